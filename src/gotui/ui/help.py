"""The `?` help screen: every binding of the app, the main screen and each pane."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def format_key(key: str) -> str:
    """`ctrl+d` -> `^d`, `question_mark` -> `?`, `slash` -> `/`."""
    names = {"question_mark": "?", "slash": "/", "escape": "esc", "enter": "enter", "shift+tab": "S-tab"}
    parts = []
    for one in key.split(","):
        one = one.strip()
        if one in names:
            parts.append(names[one])
        elif one.startswith("ctrl+"):
            parts.append("^" + one[5:])
        else:
            parts.append(one)
    return "/".join(parts)


class HelpScreen(ModalScreen[None]):
    """Lists every key binding, grouped by where it works."""

    BINDINGS = [
        Binding("escape", "close", "Close", show=False),
        Binding("q", "close", "Close"),
        Binding("question_mark", "close", "Close", show=False),
    ]

    def __init__(self, groups: list[tuple[str, list[tuple[str, str]]]]) -> None:
        super().__init__(classes="help-screen")
        self.groups = groups

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 1), expand=True)
        table.add_column("key", style="bold", no_wrap=True, min_width=10)
        table.add_column("what")
        for title, rows in self.groups:
            table.add_row(Text(title, style="bold underline"), "")
            for key, description in rows:
                table.add_row(format_key(key), description)
            table.add_row("", "")
        with VerticalScroll(id="help-box"):
            yield Static(Text("Keys   (q / Esc closes)", style="bold"), id="help-title")
            yield Static(table, id="help-table")

    def action_close(self) -> None:
        self.dismiss(None)


def binding_rows(bindings: list[Binding | tuple[str, ...]]) -> list[tuple[str, str]]:
    """(key, description) pairs for Binding objects or (key, action, description) tuples."""
    rows = []
    for b in bindings:
        if isinstance(b, Binding):
            if b.description:
                rows.append((b.key, b.description))
        elif len(b) >= 3:
            rows.append((b[0], b[2]))
    return rows
