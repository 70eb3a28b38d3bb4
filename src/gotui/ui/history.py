"""The audit History screen: the newest actions from the audit log, newest first, with the highlighted
entry's source, before -> after, message and cutover steps below the table."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from gotui.ops.audit import AuditLog
from gotui.ops.sanitize import safe_text


def _clip(text: str, width: int) -> str:
    """`text` cut to `width` characters with a trailing ellipsis (the full value is in the detail below)."""
    return text if len(text) <= width else text[: width - 1] + "…"


class HistoryScreen(ModalScreen[None]):
    """Shows the audit log as a table: what happened first (time, action, target, outcome), then where and
    by whom, so the useful columns fit at 80 columns."""

    BINDINGS = [
        Binding("escape", "close", "Close", show=False),
        Binding("q", "close", "Close"),
        Binding("r", "reload", "Reload"),
    ]

    def __init__(self, audit: AuditLog) -> None:
        super().__init__(classes="history-screen")
        self.audit = audit
        self.entries: list[dict] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="history-box"):
            yield Static(Text(f"Audit history — {self.audit.path}", style="bold"), id="history-title")
            yield DataTable(id="history-table", cursor_type="row", zebra_stripes=False)
            yield Static(id="history-detail")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("time", "action", "target", "outcome", "ms", "ns", "context", "user")
        self.action_reload()
        table.focus()

    def action_reload(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        entries = self.audit.read(500)
        self.entries = list(reversed(entries))
        for e in self.entries:
            outcome = safe_text(e.get("outcome", ""), 60)
            style = "green" if outcome == "ok" else ("yellow" if outcome in ("cancelled", "refused") or outcome.startswith("refused") else "red")
            table.add_row(
                safe_text(e.get("time", ""))[5:19].replace("T", " "),  # MM-DD HH:MM:SS
                _clip(safe_text(e.get("action", ""), 40), 14),
                _clip(safe_text(e.get("target", ""), 80), 28),
                Text(_clip(outcome, 18), style=style),
                str(e.get("duration_ms", "")),
                _clip(safe_text(e.get("namespace") or "-", 40), 12),
                _clip(safe_text(e.get("context") or "-", 200), 24),
                _clip(safe_text(e.get("user", ""), 40), 12),
            )
        if not entries:
            self.query_one("#history-title", Static).update(
                Text(f"Audit history — {self.audit.path} — no actions recorded yet", style="bold")
            )

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.show_detail(event.cursor_row)

    def show_detail(self, index: int) -> None:
        """Source, before -> after, message and steps of the entry at `index` (newest first)."""
        if not 0 <= index < len(self.entries):
            return
        e = self.entries[index]
        text = Text()
        text.append(f"{safe_text(e.get('action', ''), 40)} {safe_text(e.get('target', ''), 60)}", style="bold")
        text.append(f"  from {safe_text(e.get('source', '?'), 8)}, {safe_text(e.get('outcome', ''), 200)}\n")
        text.append(f"{safe_text(e.get('time', ''), 40)} by {safe_text(e.get('user', ''), 40)} on "
                    f"{safe_text(e.get('context') or '-', 200)} ns {safe_text(e.get('namespace') or '-', 60)}\n", style="dim")
        if e.get("before") is not None or e.get("after") is not None:
            text.append(f"before {safe_text(e.get('before'), 120)} → after {safe_text(e.get('after'), 120)}\n")
        steps = (e.get("extra") or {}).get("steps") or []
        if steps:
            text.append("steps " + " → ".join(
                f"{safe_text(s.get('step'), 12)} {safe_text(s.get('status'), 6)} {safe_text(s.get('ms'), 8)}ms"
                for s in steps if isinstance(s, dict)) + "\n")
        if e.get("message"):
            text.append(safe_text(e.get("message"), 400), style="dim")
        self.query_one("#history-detail", Static).update(text)

    def action_close(self) -> None:
        self.dismiss(None)
