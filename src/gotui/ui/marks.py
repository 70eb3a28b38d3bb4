"""Row marks shared by the panes that act on several rows at once (Space marks, Esc clears): a set of
row keys that survives refreshes while the rows exist, and the marker shown for a marked row."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

from gotui.ops import bulk

MARK = "●"  # a marked row (reads without colour)


class Marks:
    """The marked row keys of one view."""

    def __init__(self) -> None:
        self.keys: set[Hashable] = set()

    def toggle(self, key: Hashable) -> bool:
        """Mark or unmark `key`; True when it is marked now."""
        if key in self.keys:
            self.keys.discard(key)
            return False
        self.keys.add(key)
        return True

    def clear(self) -> bool:
        """Unmark everything; False when nothing was marked."""
        had = bool(self.keys)
        self.keys.clear()
        return had

    def keep(self, existing: Iterable[Hashable]) -> None:
        """Forget marks of rows that are gone."""
        self.keys &= set(existing)

    def ordered(self, order: Iterable[Hashable]) -> list:
        """The marked keys in `order` (the table's), then any others sorted."""
        seen = [k for k in order if k in self.keys]
        rest = sorted((k for k in self.keys if k not in set(seen)), key=str)
        return seen + rest

    def __contains__(self, key: object) -> bool:
        return key in self.keys

    def __len__(self) -> int:
        return len(self.keys)

    def __bool__(self) -> bool:
        return bool(self.keys)

    def status(self) -> str:
        return f"{len(self.keys)} marked (Esc clears)" if self.keys else ""


def perform_each(app: Any, verb: str, kind: str, plural: str, group: str, targets: Sequence[tuple[str | None, str]],
                 steps: Sequence[tuple[Any, Callable[[], Any]]], command: str, past: str, done: Callable[[], Any],
                 name: Callable[[str], str] = str) -> None:
    """One dialog for `verb` on every target through the app's gate; then each step in turn, with its own
    audit line (ops/bulk.run_audited); `done()` afterwards (not when cancelled)."""
    context = getattr(app.services.get("kube"), "context", None)
    action = bulk.kube_action(verb, kind, plural, group, targets, context,
                              lines=[f"{ns}/{n}" if ns else n for ns, n in targets],
                              preview=bulk.preview(context, targets, command, [a for a, _ in steps], name))

    def runner() -> str:
        return f"{bulk.run_audited(steps, app.audit, past)} {plural}"

    def finished(_result: Any, _error: BaseException | None) -> None:
        done()

    app.gate.perform(action, runner, on_done=finished)
