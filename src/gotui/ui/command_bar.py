"""The k9s `:` command line: one line at the bottom, with completion and command history.

`CommandKeys` (a mixin of the app) reads every key itself, in the app's own queue, while the line is
open: keys typed in one burst after `:` (`:deploy⏎[`) are never forwarded to the table that had the
focus, and the key after Enter reaches the view the command opened. Typing edits the line, Tab
completes to the suggestion (shown dim after the cursor), Up/Down recall earlier commands, Enter runs
it (ui/navigation.py), Escape or ctrl+c closes it. Nothing typed here is parsed as markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events
from textual.actions import SkipAction
from textual.widgets import Static

from gotui.ops.sanitize import safe_text

if TYPE_CHECKING:
    from gotui.ui.navigation import Navigator

HISTORY_MAX = 50


class CommandBar(Static):
    """The `:` line (hidden until `:`). Its text is edited by `CommandKeys`, never by its own events."""

    DEFAULT_CSS = """
    CommandBar { height: 1; width: 100%; padding: 0 1; background: $boost; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.value = ""
        self.cursor = 0
        self.history: list[str] = []
        self._recall = -1  # index into history while Up/Down recall; -1 = the line being typed
        self._draft = ""
        self.completer: Any = None  # callable(prefix) -> list[str]
        self.display = False

    @property
    def active(self) -> bool:
        return bool(self.display)

    # -- editing --------------------------------------------------------------------------------
    def open(self) -> None:
        self.value, self.cursor, self._recall, self._draft = "", 0, -1, ""
        self.display = True
        self._render_line()

    def close(self) -> None:
        self.display = False

    def suggestion(self) -> str:
        """The completion of the current word (the kind/command), or ""."""
        if not self.value or " " in self.value or self.cursor != len(self.value) or self.completer is None:
            return ""
        for name in self.completer(self.value):
            if name != self.value.lower():
                return name
        return ""

    def insert(self, text: str) -> None:
        self.value = self.value[: self.cursor] + text + self.value[self.cursor:]
        self.cursor += len(text)
        self._render_line()

    def backspace(self) -> bool:
        """Delete before the cursor; False when the line was already empty (then the bar closes)."""
        if not self.value:
            return False
        if self.cursor:
            self.value = self.value[: self.cursor - 1] + self.value[self.cursor:]
            self.cursor -= 1
        self._render_line()
        return True

    def complete(self) -> None:
        hint = self.suggestion()
        if hint:
            self.value, self.cursor = hint, len(hint)
            self._render_line()

    def recall(self, step: int) -> None:
        """Up (+1: older) / Down (-1: newer) through the commands run before."""
        if not self.history:
            return
        if self._recall == -1:
            self._draft = self.value
        index = max(-1, min(len(self.history) - 1, self._recall + step))
        self._recall = index
        self.value = self._draft if index == -1 else self.history[-1 - index]
        self.cursor = len(self.value)
        self._render_line()

    def remember(self, command: str) -> None:
        if command and (not self.history or self.history[-1] != command):
            self.history.append(command)
            del self.history[:-HISTORY_MAX]

    def move(self, step: int) -> None:
        self.cursor = max(0, min(len(self.value), self.cursor + step))
        self._render_line()

    def _render_line(self) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(":", style="bold")
        shown = safe_text(self.value, 200)
        text.append(shown[: self.cursor])
        under = shown[self.cursor: self.cursor + 1] or " "
        hint = self.suggestion()
        if hint and self.cursor == len(shown):
            rest = hint[len(self.value):]
            text.append(rest[:1] or " ", style="reverse dim")
            text.append(rest[1:], style="dim")
            text.append("   Tab completes", style="dim italic")
        else:
            text.append(under, style="reverse")
            text.append(shown[self.cursor + 1:])
        self.update(text)


class CommandKeys:
    """App mixin: the `:` line's key handling, and the view history keys (`[` `]` `-`)."""

    navigator: Navigator

    @property
    def command_bar(self) -> CommandBar:
        return self.query_one(CommandBar)  # type: ignore[attr-defined, no-any-return]

    def _on_main_screen(self) -> bool:
        return self.screen is self.screen_stack[0]  # type: ignore[attr-defined, no-any-return]

    def _navigation_key(self, char: str) -> None:
        """Raise SkipAction unless a navigation key should act now: on the main screen, with no
        text input focused (Textual's own filter misses `-` `:` `[` `]`: their key names map to no
        character, so an Input does not claim them)."""
        focused = self.focused  # type: ignore[attr-defined]
        if not self._on_main_screen() or (focused is not None and focused.check_consume_key(char, char)):
            raise SkipAction()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded and self._command_key(event):
            return
        await super().on_event(event)  # type: ignore[misc]

    def _command_key(self, event: events.Key) -> bool:
        """Handle `event` when the `:` line is open; True if it was used."""
        try:
            bar = self.command_bar
        except Exception:  # noqa: BLE001 - not composed yet / shutting down
            return False
        if not bar.active or not self._on_main_screen():
            return False
        key = event.key
        if key == "enter":
            command = bar.value.strip()
            bar.close()
            bar.remember(command)
            self.navigator.run(command)
        elif key in ("escape", "ctrl+c", "ctrl+g"):
            bar.close()
            self.navigator.refocus()
        elif key == "tab":
            bar.complete()
        elif key == "up":
            bar.recall(1)
        elif key == "down":
            bar.recall(-1)
        elif key == "left":
            bar.move(-1)
        elif key == "right":
            if bar.cursor == len(bar.value):
                bar.complete()
            else:
                bar.move(1)
        elif key in ("home", "ctrl+a"):
            bar.move(-len(bar.value))
        elif key in ("end", "ctrl+e"):
            bar.move(len(bar.value))
        elif key == "ctrl+u":
            bar.value, bar.cursor = "", 0
            bar.insert("")
        elif key == "backspace":
            if not bar.backspace():
                bar.close()
                self.navigator.refocus()
        elif event.character and event.character.isprintable() and len(event.character) == 1:
            bar.insert(event.character)
        else:
            return True  # other keys are swallowed while the line is open
        return True

    # -- actions (bound with priority: they run in order, in the app's queue) --------------------
    def action_command(self) -> None:
        self._navigation_key(":")
        bar = self.command_bar
        bar.completer = self.navigator.complete
        bar.open()
        self.navigator.prefetch()

    def action_view_back(self) -> None:
        self._navigation_key("[")
        self.navigator.back()

    def action_view_forward(self) -> None:
        self._navigation_key("]")
        self.navigator.forward()

    def action_view_last(self) -> None:
        self._navigation_key("-")
        self.navigator.toggle_last()
