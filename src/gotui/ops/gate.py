"""The one action gate, shared by the TUI and every headless command (Docker included).

Order, always: safety verdict -> (the caller's confirmation) -> a "started" audit line written and
fsynced BEFORE any change -> the change -> one outcome line with before/after. An action whose
"started" line cannot be written does not run: `begin` raises `GateRefused` naming the log's path and
the cause (headless commands exit 2 on it, `GateRefused.exit_code`).

API (plain Python, no Textual):

    handle = gate.begin(action, audit, settings)       # GateRefused if read-only or unauditable
    try:
        result = change_something()
    except Exception as exc:
        handle.fail(exc)                               # "error: ..." line, then re-raise or report
        raise
    handle.finish("ok", before=..., after=..., message=..., **extra)

    result = gate.run(action, audit, settings, runner, fields=None)   # the same in one call;
        # `fields(result, error)` may return the outcome line's fields (outcome, duration_s, before,
        # after, message, extras) instead of plain "ok" / "error: ...".

    gate.decline(action, audit, "cancelled" | "refused", message)     # a decision with no change

`finish` and `decline` raise `AuditError` when the line cannot be written: the caller says so (the
change, if any, has happened). `verdict(action, settings)` is `safety.check`: the UI asks it before
opening the dialog, `begin` asks it again right before the change.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gotui.config import Settings
from gotui.ops import safety
from gotui.ops.actions import Action
from gotui.ops.audit import AuditEntry, AuditError, AuditLog
from gotui.ops.errors import describe_error

EXIT_REFUSED = 2

__all__ = ["AuditError", "GateRefused", "Handle", "begin", "decline", "run", "verdict"]


class GateRefused(safety.ActionRefused):
    """The action may not run: read-only mode, or its "started" audit line could not be written."""

    exit_code = EXIT_REFUSED

    def __init__(self, reason: str, *, audit_error: AuditError | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.audit_error = audit_error


def verdict(action: Action, settings: Settings) -> safety.Verdict:
    """May `action` be offered, and must the operator type its name? (`safety.check`)"""
    return safety.check(action, settings)


@dataclass
class Handle:
    """An action that passed the gate and whose "started" line is on disk."""

    action: Action
    audit: AuditLog
    started_at: float = field(default_factory=time.monotonic)
    entry: AuditEntry | None = None  # the outcome line, once written

    @property
    def done(self) -> bool:
        return self.entry is not None

    def finish(
        self,
        outcome: str = "ok",
        *,
        duration_s: float | None = None,
        before: Any = None,
        after: Any = None,
        message: str = "",
        **extra: Any,
    ) -> AuditEntry:
        """Write the outcome line (once; a second call returns the first entry)."""
        if self.entry is not None:
            return self.entry
        took = time.monotonic() - self.started_at if duration_s is None else duration_s
        self.entry = self.audit.record(self.action, outcome, took, before=before, after=after, message=message, **extra)
        return self.entry

    def fail(self, error: BaseException | str, **fields: Any) -> AuditEntry:
        """The outcome line of a change that raised: "error: <what went wrong>"."""
        text = error if isinstance(error, str) else describe_error(error)
        return self.finish(fields.pop("outcome", f"error: {text}"), **fields)


def begin(action: Action, audit: AuditLog, settings: Settings | None = None, **extra: Any) -> Handle:
    """Check `action` (when `settings` is given) and write its "started" line; `GateRefused` if it may not run."""
    if settings is not None:
        v = safety.check(action, settings)
        if not v.allowed:
            try:
                audit.record(action, "refused", message=v.reason)
            except AuditError as exc:
                raise GateRefused(f"{v.reason} ({exc})", audit_error=exc) from exc
            raise GateRefused(v.reason)
    try:
        audit.started(action, **extra)
    except AuditError as exc:
        raise GateRefused(f"refused: {exc}; nothing was changed", audit_error=exc) from exc
    return Handle(action, audit)


def decline(action: Action, audit: AuditLog, outcome: str, message: str = "") -> AuditEntry:
    """Record a decision that changed nothing ("cancelled", "refused"); raises `AuditError`."""
    return audit.record(action, outcome, message=message)


def run(
    action: Action,
    audit: AuditLog,
    settings: Settings | None,
    runner: Callable[[], Any],
    *,
    fields: Callable[[Any, BaseException | None], dict[str, Any] | None] | None = None,
) -> Any:
    """`begin`, run `runner()`, write its outcome line; returns the result or re-raises its error."""
    handle = begin(action, audit, settings)
    try:
        result = runner()
    except Exception as exc:
        extra = dict(fields(None, exc) or {}) if fields else {}
        handle.fail(exc, **extra)
        raise
    extra = dict(fields(result, None) or {}) if fields else {}
    handle.finish(extra.pop("outcome", "ok"), **extra)
    return result
