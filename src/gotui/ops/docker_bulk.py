"""Actions on several marked rows at once: one dialog listing them all, one audit line."""

from __future__ import annotations

from collections.abc import Callable

from gotui.ops.actions import Action
from gotui.ops.docker_ops import ContainerRow, ImageRow, human_size

LISTED = 12  # rows named in the dialog; the rest are counted


def listing(lines: list[str]) -> str:
    shown = [f"  {line}" for line in lines[:LISTED]]
    if len(lines) > LISTED:
        shown.append(f"  … and {len(lines) - LISTED} more")
    return " ⏎ ".join(shown)


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


def run_each(items: list[str], fn: Callable[[str], object], verb: str) -> str:
    """Apply `fn` to every item; go on past failures, then raise one error naming them all."""
    failed: list[str] = []
    for item in items:
        try:
            fn(item)
        except Exception as exc:  # noqa: BLE001 - collected and reported together
            failed.append(f"{item}: {str(exc).splitlines()[0][:160]}")
    done = len(items) - len(failed)
    if failed:
        raise RuntimeError(f"{verb} {done} of {len(items)}; failed: " + "; ".join(failed))
    return f"{verb} {done} of {len(items)}"
