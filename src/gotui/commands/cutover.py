"""`gotui cutover SERVICE --to COLOR`: the TUI's blue-green cutover, headless.

Exit codes (gotui.cli): 0 done, 1 failed and reverted, 2 refused (preflight, bad arguments, no
confirmation), 3 the revert failed too (or undoing a scale-up failed). Every run appends an audit line
(source "cli").

`--scale-up` (cutover and rollback): when the target colour has fewer replicas than the live one (an HPA
scaled the idle colour down to its minReplicas), scale it up to the live count first and raise its HPA's
minReplicas to match (SCALE step, see gotui.ops.scale_up). Off by default headless: a pipeline states it.

Audit first: a "started" line is flushed before anything changes; when it cannot be written (read-only
directory, a directory at the path, a full disk) the command refuses (exit 2) naming the path and the cause.
SIGINT, SIGTERM and SIGHUP stop the run cleanly: before SWITCH it ends CANCELLED, after it VERIFY stops and
REVERT restores the old colour; the lock is released and the audit line records the signal.
`--break-lock` takes over the lock of another cutover whose process is gone (recorded in the audit line).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from gotui.config import Settings
from gotui.ops import gate
from gotui.ops.actions import Action
from gotui.ops.audit import AuditError, AuditLog
from gotui.ops.cutover import (
    Cutover,
    CutoverOptions,
    StepEvent,
    audit_fields,
    cutover_action,
    read_app,
    rollback_problems,
)
from gotui.ops.kube_io import KubeError, KubeIO, api_client_from_settings
from gotui.ops.sanitize import safe_text
from gotui.ops.scale_up import ScalePlan, plan_scale_up

EXIT_OK, EXIT_FAILED, EXIT_REFUSED, EXIT_REVERT_FAILED = 0, 1, 2, 3



def connect(settings: Settings, prog: str, err: TextIO) -> tuple[KubeIO, str, str] | None:
    """(KubeIO, context, namespace), or None after printing why the cluster cannot be used."""
    try:
        client, context, namespace = api_client_from_settings(settings)
    except ValueError as exc:
        print(f"gotui {prog}: {exc}", file=err)
        return None
    return KubeIO(client), context, namespace


def confirm(action: Action, settings: Settings, yes: bool, *, stdin: TextIO | None = None,
            out: TextIO | None = None) -> tuple[bool, str]:
    """Ask on a terminal unless `yes`; refuse without a terminal. Returns (go, reason when not)."""
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    if yes:
        return True, ""
    if not stdin.isatty():
        return False, "no terminal to ask on: pass --yes to run without a confirmation."
    print(f"{action.title}  (context {action.context or '-'})", file=out)
    for line in action.detail.split(" ⏎ "):
        print("  " + line, file=out)
    if action.preview:
        print("  $ " + action.preview, file=out)
    if settings.is_protected(action.context):
        print(f"Protected context: type {action.target!r} to confirm: ", end="", file=out, flush=True)
        answer = stdin.readline().strip()
        return (answer == action.target), "the name typed did not match; cancelled."
    print("Proceed? [y/N] ", end="", file=out, flush=True)
    answer = stdin.readline().strip().lower()
    return answer in ("y", "yes"), "cancelled at the prompt."


def printer(out: TextIO):  # noqa: ANN201
    """A progress callback printing one line per finished step."""

    def on_event(ev: StepEvent) -> None:
        if ev.status in ("ok", "fail", "skip"):
            took = f"{(ev.duration_s or 0) * 1000:7.0f} ms"
            print(f"  {ev.step.value:<9} {ev.status:<4} {took}  {safe_text(ev.message, 300)}", file=out, flush=True)

    return on_event


def try_decline(audit: AuditLog, action: Action, outcome: str, message: str, prog: str, err: TextIO) -> bool:
    """Record a decision that changed nothing (`gate.decline`); when the line cannot be written print why
    on `err` and return False."""
    try:
        gate.decline(action, audit, outcome, message)
    except AuditError as exc:
        print(f"gotui {prog}: {exc}", file=err)
        return False
    return True


SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextmanager
def interrupts(cutover: Cutover, prog: str, err: TextIO) -> Iterator[None]:
    """While the block runs, SIGINT/SIGTERM/SIGHUP interrupt `cutover` (it stops cleanly, releases its lock
    and the caller writes the audit line) instead of killing the process. Main thread only."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: Any) -> None:
        name = signal.Signals(signum).name
        if cutover.interrupted:
            print(f"gotui {prog}: {name}: already stopping, please wait", file=err, flush=True)
            return
        print(f"gotui {prog}: {name}: stopping (before SWITCH nothing changes; after it the old colour is "
              "put back)", file=err, flush=True)
        cutover.interrupt(name)

    previous = {sig: signal.signal(sig, handler) for sig in SIGNALS}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def execute(args: argparse.Namespace, settings: Settings, *, rollback: bool,
            out: TextIO | None = None, err: TextIO | None = None, stdin: TextIO | None = None) -> int:
    """The shared body of `gotui cutover` and `gotui rollback`."""
    out = out or sys.stdout
    err = err or sys.stderr
    prog = "rollback" if rollback else "cutover"
    conn = connect(settings, prog, err)
    if conn is None:
        return EXIT_REFUSED
    io, context, namespace = conn
    audit = AuditLog(settings.audit_log, source="cli")
    try:
        app = read_app(io, namespace, args.service)
    except KubeError as exc:
        print(f"gotui {prog}: cannot read {namespace}/{args.service}: {exc}", file=err)
        return EXIT_REFUSED
    except Exception as exc:  # noqa: BLE001 - connection refused etc.
        print(f"gotui {prog}: cannot reach the cluster: {exc}", file=err)
        return EXIT_REFUSED
    to_color = None if rollback else args.to_color
    from_color = app.live_color if app else "?"
    if rollback and app is not None:  # the recorded previous colour, or the one other ready colour
        to_color = rollback_problems(app)[0] or app.previous_color
    scale_up = bool(getattr(args, "scale_up", False))
    plan = preview_scale_plan(io, app, to_color) if scale_up else None
    action = cutover_action(namespace, args.service, from_color, to_color or "?", context, rollback=rollback, app=app,
                            scale_plan=plan)
    dry_run = bool(getattr(args, "dry_run", False))
    if not dry_run:
        verdict = gate.verdict(action, settings)
        if not verdict.allowed:
            try_decline(audit, action, "refused: " + verdict.reason, verdict.reason, prog, err)
            print(f"gotui {prog}: refused: {verdict.reason}", file=err)
            return EXIT_REFUSED
        go, why = confirm(action, settings, bool(args.yes), stdin=stdin, out=out)
        if not go:
            try_decline(audit, action, "refused: " + why if "terminal" in why else "cancelled", why, prog, err)
            print(f"gotui {prog}: {why}", file=err)
            return EXIT_REFUSED
    options = CutoverOptions(
        smoke_path=getattr(args, "smoke_path", None),
        verify_timeout=float(getattr(args, "timeout", 30.0) or 30.0),
        dry_run=dry_run,
        rollback=rollback,
        scale_up=scale_up,
        break_lock=bool(getattr(args, "break_lock", False)),
    )
    print(f"gotui {prog}: {namespace}/{args.service} {from_color} → {to_color or '?'}" + (" (dry run)" if dry_run else ""), file=out)
    if plan is not None:
        print(f"  {plan.describe()}", file=out)
    start = time.monotonic()
    cutover = Cutover(io, namespace, args.service, to_color, options, settings=settings, context=context,
                      on_event=printer(out))
    handle: gate.Handle | None = None
    with interrupts(cutover, prog, err):
        if not dry_run:  # audit first: nothing changes unless the gate's "started" line is on disk
            try:
                handle = gate.begin(action, audit, message=f"{from_color} → {to_color or '?'}",
                                    break_lock=options.break_lock)
            except gate.GateRefused as exc:
                print(f"gotui {prog}: {exc.reason}", file=err)
                return EXIT_REFUSED
        result = cutover.run()
    if handle is not None:  # one outcome line, flushed before we report success
        fields = audit_fields(result)
        try:
            handle.finish(fields.pop("outcome"), **fields)
        except AuditError as exc:
            print(f"gotui {prog}: the result could not be audited: {exc}", file=err)
    elif result.patch:
        import json

        print("  patch: " + json.dumps(result.patch[1:]), file=out)
    stream = out if result.ok else err
    print(f"gotui {prog}: {result.state.value}: {safe_text(result.message, 1000)} ({time.monotonic() - start:.2f}s)", file=stream)
    return result.exit_code


def preview_scale_plan(io: KubeIO, app: Any, to_color: str | None) -> ScalePlan | None:
    """The SCALE plan shown at the prompt (the cutover re-plans from fresh reads when it runs)."""
    if app is None or not to_color:
        return None
    try:
        hpas = io.list("horizontalpodautoscalers", app.namespace)
    except Exception:  # noqa: BLE001 - the prompt shows less; PREFLIGHT refuses with the reason
        hpas = []
    return plan_scale_up(app, to_color, hpas)


def run(args: argparse.Namespace, settings: Settings, **streams: Any) -> int:
    """Entry point of `gotui cutover`."""
    if not args.to_color:
        print("gotui cutover: --to COLOR is required", file=sys.stderr)
        return EXIT_REFUSED
    return execute(args, settings, rollback=False, **streams)
