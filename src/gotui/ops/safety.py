"""Safety checks that run before any action, in the TUI and headless alike.

Read-only mode is enforced here (not only by hiding keys): `check` refuses every mutating action and
`require_allowed` raises, so an operation function that calls it can never run in read-only mode.
"""

from __future__ import annotations

from dataclasses import dataclass

from gotui.config import Settings
from gotui.ops.actions import Action


class ActionRefused(Exception):
    """Raised when safety forbids an action; the message says why."""


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str = ""
    needs_typed_name: bool = False


def check(action: Action, settings: Settings) -> Verdict:
    """Decide whether `action` may be offered, and how it must be confirmed."""
    if settings.readonly:
        return Verdict(False, "gotui is in read-only mode (--readonly / GOTUI_READONLY); nothing can be changed.")
    protected = (not action.is_docker) and settings.is_protected(action.context)
    return Verdict(True, "", needs_typed_name=protected)


def require_allowed(action: Action, settings: Settings) -> None:
    """Raise `ActionRefused` unless `action` may run now."""
    verdict = check(action, settings)
    if not verdict.allowed:
        raise ActionRefused(verdict.reason)
