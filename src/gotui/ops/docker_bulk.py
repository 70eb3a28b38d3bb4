"""Docker actions on several marked rows at once: one dialog listing them all, one audit line (the
shared parts are in ops/bulk.py)."""

from __future__ import annotations

from gotui.ops.actions import Action
from gotui.ops.bulk import LISTED, listing, run_each  # noqa: F401 - shared with the Kubernetes marks
from gotui.ops.docker_ops import ContainerRow, ImageRow, human_size


def containers_action(verb: str, rows: list[ContainerRow], host: str) -> Action:
    """verb: stop, restart or remove, on every marked container."""
    cli = {"stop": "docker stop", "restart": "docker restart", "remove": "docker rm --force"}[verb]
    names = [r.name for r in rows]
    return Action(verb=verb, kind="containers", target=f"{len(rows)} containers", context=host,
                  preview=f"{cli} " + " ".join(names), reversible=verb != "remove",
                  detail=f"{len(rows)} marked container(s): ⏎ " + listing([f"{r.name} ({r.state}, {r.image})" for r in rows]),
                  params={"ids": [r.key for r in rows], "names": names})


def images_action(rows: list[ImageRow], host: str, *, force: bool = False) -> Action:
    targets = [r.short if r.dangling else r.ref for r in rows]
    return Action(verb="remove", kind="images", target=f"{len(rows)} images", context=host,
                  preview=f"docker image rm {'--force ' if force else ''}" + " ".join(targets),
                  detail=f"{len(rows)} marked image(s): ⏎ " + listing([f"{t} ({human_size(r.size)})" for t, r in zip(targets, rows, strict=True)]),
                  params={"images": targets, "force": force})
