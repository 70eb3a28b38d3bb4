"""Actions on several marked rows at once (Docker and Kubernetes alike): one dialog listing them all;
the items done one after another, past failures, each with its own audit line where the caller gives
each its own Action."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from gotui.ops.actions import Action

LISTED = 12  # rows named in the dialog; the rest are counted


def listing(lines: list[str]) -> str:
    """Dialog lines (joined by the modal's line break), the first LISTED and a count of the rest."""
    shown = [f"  {line}" for line in lines[:LISTED]]
    if len(lines) > LISTED:
        shown.append(f"  … and {len(lines) - LISTED} more")
    return " ⏎ ".join(shown)


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


def run_audited(steps: Sequence[tuple[Action, Callable[[], Any]]], audit: Any, verb: str) -> str:
    """Run each (action, fn) in turn; write one audit line per action (outcome ok or error, with the
    before/after of an `Outcome`-like result); go on past failures, then raise one error naming them."""
    failed: list[str] = []
    for action, fn in steps:
        started = time.monotonic()
        try:
            result = fn()
        except Exception as exc:  # noqa: BLE001 - audited, collected and reported together
            first = (str(exc).splitlines() or [type(exc).__name__])[0][:160]
            failed.append(f"{action.target}: {first}")
            audit.record(action, f"error: {first}", time.monotonic() - started)
            continue
        audit.record(action, "ok", time.monotonic() - started, before=getattr(result, "before", None),
                     after=getattr(result, "after", None),
                     message=str(result) if isinstance(result, str) else "")
    done = len(steps) - len(failed)
    if failed:
        raise RuntimeError(f"{verb} {done} of {len(steps)}; failed: " + "; ".join(failed))
    return f"{verb} {done} of {len(steps)}"


def kube_action(verb: str, kind: str, plural: str, group: str, targets: Sequence[tuple[str | None, str]],
                context: str | None, *, lines: list[str], preview: str) -> Action:
    """The one Action the dialog shows for `verb` (delete, restart) on every marked object of one kind
    (`kind` as the audit names it: pod, deployment; `plural`/`group` for RBAC); each object still gets
    its own Action (and audit line) when it runs."""
    namespaces = {ns for ns, _ in targets}
    return Action(verb=verb, kind=kind, target=f"{len(targets)} {plural}",
                  namespace=next(iter(namespaces)) if len(namespaces) == 1 else None, context=context,
                  preview=preview, reversible=verb != "delete",
                  detail=f"{len(targets)} marked {plural}: ⏎ " + listing(lines),
                  rbac=("delete" if verb == "delete" else "patch", plural, group), params={"targets": list(targets)})


def preview(context: str | None, targets: Sequence[tuple[str | None, str]], command: str,
            each: Sequence[Action], name: Callable[[str], str] = str) -> str:
    """One kubectl line when the objects share a namespace, else each object's own command line."""
    namespaces = {ns for ns, _ in targets}
    if len(namespaces) == 1:
        ns = next(iter(namespaces))
        where = f" -n {ns}" if ns else ""
        return f"kubectl --context {context}{where} {command} " + " ".join(name(n) for _, n in targets)
    return " ; ".join(act.preview for act in each)
