"""A screen that shows a command's output as it runs (custom commands, `compose up`)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from gotui.ops.sanitize import safe_text
from gotui.ui.logview import LogView


class CommandOutputScreen(Screen[None]):
    """Output lines (sanitized by the LogView) and, at the end, the exit code."""

    BINDINGS = [Binding("escape,q", "close", "Back", id="cmdout.close")]

    def __init__(self, title: str, command: str) -> None:
        super().__init__(classes="docker-screen")
        self.title_text = title
        self.command = command
        self.exit_code: int | None = None

    def compose(self) -> ComposeResult:
        title = Text(f" {safe_text(self.title_text, 60)} ", style="bold reverse")
        title.append("  $ " + safe_text(self.command, 200), style="dim")
        yield Static(title, classes="screen-title")
        yield LogView(max_lines=10_000, name_hint="command", id="cmd-output")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(LogView).set_note("running…")

    def add_lines(self, lines: list[str]) -> None:
        self.query_one(LogView).queue_lines(lines)

    def finished(self, code: int | None, error: str = "") -> None:
        self.exit_code = code
        view = self.query_one(LogView)
        note = error or f"exited with code {code}"
        view.mark(note)
        view.set_note(note)

    def action_close(self) -> None:
        self.dismiss(None)
