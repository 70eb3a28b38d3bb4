"""The `?` help screen: every binding of the app, its panes, dialogs and views, as the keymap has them
now (ui/keys.py), with each binding's id (the name to use under `keys:` in the config)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from gotui.ui import keys
from gotui.ui.keys import KeyRow, format_key

if TYPE_CHECKING:
    from gotui.ui.app import GotuiApp

__all__ = ["HelpScreen", "binding_rows", "format_key", "help_groups", "show_help"]

Group = tuple[str, list[KeyRow]]


class HelpScreen(ModalScreen[None]):
    """Lists key bindings, grouped by where they work; scrolls with j/k, arrows, PgUp/PgDn, Home/End."""

    AUTO_FOCUS = "#help-box"
    BINDINGS = [
        Binding("escape", "close", "Close", show=False, id="help.close"),
        Binding("q", "close", "Close", id="help.close_q"),
        Binding("question_mark", "close", "Close", show=False, id="help.close_help"),
        Binding("down,j", "scroll(1)", "Scroll down", show=False, id="help.down"),
        Binding("up,k", "scroll(-1)", "Scroll up", show=False, id="help.up"),
        Binding("pagedown,space", "page(1)", "Page down", show=False, id="help.pagedown"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="help.pageup"),
        Binding("home,g", "edge(0)", "Top", show=False, id="help.top"),
        Binding("end,G", "edge(1)", "Bottom", show=False, id="help.bottom"),
    ]

    def __init__(self, groups: list[tuple[str, list[Any]]], keymap: dict[str, str] | None = None) -> None:
        super().__init__(classes="help-screen")
        live = keys.active_keymap() if keymap is None else keymap
        self.sections: list[Group] = [(title, [keys.relabel(r, live) for r in rows]) for title, rows in groups]
        # (key, description) per group, as shown; `sections` also has the ids
        self.groups: list[tuple[str, list[tuple[str, str]]]] = [
            (title, [(r.key, r.description) for r in rows]) for title, rows in self.sections]

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 1), expand=True)
        table.add_column("key", style="bold", no_wrap=True, min_width=8, max_width=16, overflow="fold")
        table.add_column("what", ratio=1)
        table.add_column("id (for keys: in the config)", style="dim", no_wrap=True, overflow="ellipsis")
        for title, rows in self.sections:
            table.add_row(Text(title, style="bold underline"), "", "")
            for row in rows:
                table.add_row(Text(format_key(row.key)), Text(row.description), Text(row.binding_id))
            table.add_row("", "", "")
        with VerticalScroll(id="help-box"):
            yield Static(Text("Keys · q/Esc close · j/k PgUp/PgDn Home/End scroll · id: name for keys:",
                              style="bold"), id="help-title")
            yield Static(table, id="help-table")

    @property
    def box(self) -> VerticalScroll:
        return self.query_one("#help-box", VerticalScroll)

    def action_scroll(self, lines: int) -> None:
        self.box.scroll_relative(y=lines, animate=False)

    def action_page(self, pages: int) -> None:
        self.box.scroll_relative(y=pages * max(1, self.box.scrollable_content_region.height - 1), animate=False)

    def action_edge(self, end: int) -> None:
        self.box.scroll_to(y=self.box.max_scroll_y if end else 0, animate=False)

    def action_close(self) -> None:
        self.dismiss(None)


def binding_rows(bindings: list[Binding | tuple[str, ...]]) -> list[KeyRow]:
    """`KeyRow`s (key, description, id) for the described bindings, keymap applied."""
    return keys.rows(bindings)


def help_groups(app: GotuiApp) -> list[Group]:
    """The active pane's keys first, then the global ones, the other panes, then every dialog and view."""
    keymap = keys.active_keymap(app)
    active = app.active_pane
    panes = [active] + [p for p in app.panes if p is not active]
    pane_groups = [(keys.title_of(type(p)), keys.group(type(p), keymap)) for p in panes]
    command_line = [keys.KeyRow(k, d) for k, d in keys.COMMAND_LINE_ROWS]
    groups = (pane_groups[:1] + [("Everywhere", keys.group(type(app), keymap)), ("Command line (:)", command_line)]
              + pane_groups[1:])
    shown = {type(p) for p in panes} | {type(app)}
    for cls in keys.owners():
        if cls in shown or any(issubclass(cls, s) or issubclass(s, cls) for s in shown):
            continue  # panes and the app are listed above (a base's keys with its subclasses)
        rows = keys.group(cls, keymap)
        if rows:
            groups.append((keys.title_of(cls), rows))
    return groups


def show_help(app: GotuiApp) -> None:
    """Open `?` over the main screen."""
    app.push_screen(HelpScreen(help_groups(app), dict(keys.active_keymap(app))))
