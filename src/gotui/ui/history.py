"""The audit History screen: the newest actions from the audit log, newest first."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from gotui.ops.audit import AuditLog
from gotui.ops.sanitize import safe_text


class HistoryScreen(ModalScreen[None]):
    """Shows the audit log as a table (time, user, context, action, target, outcome, duration)."""

    BINDINGS = [
        Binding("escape", "close", "Close", show=False),
        Binding("q", "close", "Close"),
        Binding("r", "reload", "Reload"),
    ]

    def __init__(self, audit: AuditLog) -> None:
        super().__init__(classes="history-screen")
        self.audit = audit

    def compose(self) -> ComposeResult:
        with Vertical(id="history-box"):
            yield Static(Text(f"Audit history — {self.audit.path}", style="bold"), id="history-title")
            yield DataTable(id="history-table", cursor_type="row", zebra_stripes=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("time", "user", "context", "ns", "action", "target", "outcome", "ms")
        self.action_reload()
        table.focus()

    def action_reload(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        entries = self.audit.read(500)
        for e in reversed(entries):
            outcome = safe_text(e.get("outcome", ""), 60)
            style = "green" if outcome == "ok" else ("yellow" if outcome in ("cancelled", "refused") or outcome.startswith("refused") else "red")
            table.add_row(
                safe_text(e.get("time", ""))[:19].replace("T", " "),
                safe_text(e.get("user", ""), 16),
                safe_text(e.get("context") or "-", 24),
                safe_text(e.get("namespace") or "-", 16),
                safe_text(e.get("action", ""), 24),
                safe_text(e.get("target", ""), 40),
                Text(outcome, style=style),
                str(e.get("duration_ms", "")),
            )
        if not entries:
            self.query_one("#history-title", Static).update(
                Text(f"Audit history — {self.audit.path} — no actions recorded yet", style="bold")
            )

    def action_close(self) -> None:
        self.dismiss(None)
