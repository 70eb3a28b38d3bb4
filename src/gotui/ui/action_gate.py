"""The TUI half of the action gate (`gotui.ops.gate` is the plain-Python half): `app.gate.perform`.

Everything up to the dialog happens synchronously in the key handler that called `perform`: the
safety verdict (a read-only refusal is shown at once) and the push of `ConfirmModal`, which checks
RBAC while it is open. So every key typed after an action key (one read over SSH) lands in the dialog,
never on the pane below. One pending dialog or run per (verb, kind, context, namespace, target): a
second press meanwhile is a no-op. The Action shown in the dialog is the one run and audited.
Once confirmed, a worker writes the "started" line (the action is refused if it cannot), runs the
change in a thread and writes the outcome line; any audit failure is shown, never lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gotui.ops import gate
from gotui.ops.actions import Action
from gotui.ops.audit import AuditError
from gotui.ops.errors import describe_error
from gotui.ui.confirm import ConfirmModal, QuitWhileRunning

if TYPE_CHECKING:
    from gotui.ui.app import GotuiApp

Key = tuple[str, str, str | None, str | None, str]
Permission = Callable[[Action], str | None]


def action_key(action: Action) -> Key:
    """What makes two requests "the same action": verb, kind, context, namespace, target."""
    return (action.verb, action.kind, action.context, action.namespace, action.target)


@dataclass
class Pending:
    """One action between its key press and its outcome line."""

    action: Action
    runner: Callable[[], Any]
    on_done: Callable[[Any, BaseException | None], None] | None
    success: str | None
    audit_fields: Callable[[Any, BaseException | None], dict[str, Any] | None] | None
    key: Key
    running: bool = False
    on_cancel: Callable[[], None] | None = None


class ActionGate:
    """Owns the pending actions of one app."""

    def __init__(self, app: GotuiApp) -> None:
        self.app = app
        self.pending: dict[Key, Pending] = {}
        self.quit_when_idle = False
        self.exit_code = 0
        # What running actions can stop cleanly when told to (a cutover: before SWITCH nothing changes,
        # after it the old colour is put back, and its lock is released). Runners add and remove themselves.
        self.interruptible: set[Any] = set()

    def is_pending(self, action: Action) -> bool:
        """Is `action` (or the same verb on the same target) waiting for its answer, or running?"""
        return action_key(action) in self.pending

    def running(self) -> list[Pending]:
        """Actions confirmed and not yet audited as finished."""
        return [p for p in self.pending.values() if p.running]

    # -- in the key handler ---------------------------------------------------------------------
    def perform(
        self,
        action: Action,
        runner: Callable[[], Any],
        *,
        on_done: Callable[[Any, BaseException | None], None] | None = None,
        success: str | None = None,
        audit_fields: Callable[[Any, BaseException | None], dict[str, Any] | None] | None = None,
        prepare: Callable[[], Action] | None = None,
        on_cancel: Callable[[], None] | None = None,
    ) -> None:
        """Safety check -> dialog (pushed now, RBAC checked inside it) -> "started" audit line -> run in a
        thread -> outcome audit line -> notify.

        `runner` runs in a worker thread and may return a short message; `on_done(result, error)` is
        called on the UI thread afterwards (not when cancelled or refused). `audit_fields(result, error)`
        may return the audit line's fields (outcome, duration_s, before, after, message, extras) instead
        of the plain ok / error. A second call for the same action while one is pending is a no-op.
        `prepare()` (optional) runs in a thread inside the open dialog and returns the final Action (what
        needs a round trip to know, e.g. a prune's count), or raises to say why there is nothing to do.
        `on_cancel()` is called on the UI thread when the dialog closes without confirming.
        """
        app = self.app
        key = action_key(action)
        if key in self.pending:
            return  # the same action is already waiting for its answer, or running
        verdict = gate.verdict(action, app.settings)
        if not verdict.allowed:
            self._decline(action, "refused", verdict.reason)
            app.notify(verdict.reason, title=f"Refused: {action.title}", severity="error")
            return
        op = Pending(action, runner, on_done, success, audit_fields, key, on_cancel=on_cancel)
        self.pending[key] = op
        permission = app.rbac_checker if action.rbac else None
        if not action.destructive:
            self._start(op, permission)
            return
        modal = ConfirmModal(action, typed_name_required=verdict.needs_typed_name, permission=permission,
                             prepare=prepare)
        app.push_screen(modal, callback=lambda confirmed: self._answered(op, modal, bool(confirmed)))

    def _answered(self, op: Pending, modal: ConfirmModal, confirmed: bool) -> None:
        op.action = modal.action  # as prepared in the dialog: what was confirmed is what runs
        if confirmed:
            self._start(op, None)
            return
        self.pending.pop(op.key, None)
        title = op.action.title
        if op.on_cancel is not None:
            op.on_cancel()
        if modal.unavailable:
            self._decline(op.action, "cancelled", modal.denied_reason or "")
            self.app.notify(modal.denied_reason or "nothing to do", title=title, timeout=5)
        elif modal.denied_reason:
            self._decline(op.action, "refused", modal.denied_reason)
            self.app.notify(modal.denied_reason, title=f"Not allowed: {title}", severity="error")
        else:
            self._decline(op.action, "cancelled")
            self.app.notify(f"Cancelled: {title}", timeout=3)

    def _decline(self, action: Action, outcome: str, message: str = "") -> None:
        try:
            gate.decline(action, self.app.audit, outcome, message)
        except AuditError as exc:
            self.app.notify(str(exc), title="Audit log not written", severity="error", timeout=15)

    # -- after the answer ------------------------------------------------------------------------
    def _start(self, op: Pending, permission: Permission | None) -> None:
        op.running = True
        self.app.run_worker(self._run(op, permission), group="actions", exit_on_error=False,
                            name=f"action {op.action.title}")

    async def _run(self, op: Pending, permission: Permission | None) -> None:
        app, action = self.app, op.action
        try:
            if permission is not None:  # actions without a dialog are checked here
                try:
                    reason = await asyncio.to_thread(permission, action)
                except Exception:  # noqa: BLE001 - unanswered: the API server decides
                    reason = None
                if reason:
                    self._decline(action, "refused", reason)
                    app.notify(reason, title=f"Not allowed: {action.title}", severity="error")
                    return
            try:
                handle = await asyncio.to_thread(gate.begin, action, app.audit, app.settings)
            except gate.GateRefused as exc:
                app.notify(exc.reason, title=f"Refused: {action.title}", severity="error", timeout=15)
                return
            try:
                result = await asyncio.to_thread(op.runner)
            except Exception as exc:  # noqa: BLE001 - every failure is reported, never raised into the UI
                message = describe_error(exc)
                await self._finish(op, handle, None, exc, f"error: {message}")
                app.notify(message, title=f"Failed: {action.title}", severity="error", timeout=10)
                if op.on_done:
                    op.on_done(None, exc)
                return
            await self._finish(op, handle, result, None, "ok")
            text = op.success or (result if isinstance(result, str) and result else f"Done: {action.title}")
            app.notify(text, title=action.title, timeout=5)
            if op.on_done:
                op.on_done(result, None)
        finally:
            self.pending.pop(op.key, None)
            if self.quit_when_idle and not self.running():
                app.exit(None, self.exit_code)

    async def _finish(self, op: Pending, handle: gate.Handle, result: Any, error: BaseException | None,
                      default_outcome: str) -> None:
        fields = dict(op.audit_fields(result, error) or {}) if op.audit_fields else {}
        outcome = fields.pop("outcome", default_outcome)
        try:
            await asyncio.to_thread(lambda: handle.finish(outcome, **fields))
        except AuditError as exc:
            self.app.notify(f"{op.action.title} ran, but its outcome was not written: {exc}",
                            title="Audit log not written", severity="error", timeout=15)

    # -- quitting --------------------------------------------------------------------------------
    def stop_for_signal(self, name: str, code: int, grace_s: float = 60.0) -> None:
        """SIGTERM/SIGHUP: interrupt what can stop cleanly, then exit with `code` once every running action
        has written its outcome line (after `grace_s` at most: the "started" lines are on disk already)."""
        app = self.app
        self.exit_code = code
        if not self.running():
            app.exit(None, code)
            return
        for item in list(self.interruptible):
            item.interrupt(name)
        self.quit_when_idle = True
        app.set_timer(grace_s, lambda: app.exit(None, code))

    def request_quit(self) -> None:
        """Quit now, or (an action running) ask first and quit once it has written its outcome line."""
        app = self.app
        running = self.running()
        if not running:
            app.exit()
            return
        if isinstance(app.screen, QuitWhileRunning):
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            self.quit_when_idle = True
            if not self.running():
                app.exit()
                return
            app.notify("Quitting as soon as the running action has finished.", timeout=30)

        app.push_screen(QuitWhileRunning([p.action.title for p in running]), callback=answered)
