"""A full screen with a title, a status line, one table, an optional details area and the footer;
the Docker screens (compose, volumes/networks, events) build on it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

if TYPE_CHECKING:
    from gotui.sources.docker_source import DockerSource


class DockerTableScreen(Screen[None]):
    """Subclasses set COLUMNS and TITLE and call `fill(rows)` with (key, cells) pairs."""

    COLUMNS: tuple[str, ...] = ()
    TITLE = ""
    BINDINGS = [Binding("q", "close", "Back", id="dockerscreen.close")]

    def __init__(self, source: DockerSource) -> None:
        super().__init__(classes="docker-screen")
        self.source = source

    def compose(self) -> ComposeResult:
        yield Static(Text(f" {self.TITLE} ", style="bold reverse"), classes="screen-title", id="dscreen-title")
        yield Static("loading…", id="dscreen-status", classes="dscreen-status")
        yield DataTable(id="dscreen-table", cursor_type="row", classes="dscreen-table")
        with VerticalScroll(id="dscreen-details", classes="dscreen-details"):
            yield Static("", id="dscreen-details-body")
        yield Footer()

    def on_mount(self) -> None:
        self.set_columns(self.COLUMNS)
        self.table.focus()

    @property
    def table(self) -> DataTable:
        return self.query_one("#dscreen-table", DataTable)

    def set_columns(self, columns: tuple[str, ...], widths: list[int] | None = None) -> None:
        table = self.table
        table.clear(columns=True)
        for i, label in enumerate(columns):
            table.add_column(label, key=label, width=widths[i] if widths else None)

    def set_status(self, text: str, style: str = "") -> None:
        self.query_one("#dscreen-status", Static).update(Text(text, style=style))

    def set_details(self, renderable: Any) -> None:
        self.query_one("#dscreen-details-body", Static).update(renderable)

    def fill(self, rows: list[tuple[str, tuple[str, ...]]]) -> None:
        """Replace the rows, keeping the cursor on the same key when it is still there."""
        table = self.table
        cursor_key = self.cursor_key()
        wanted = [k for k, _ in rows]
        # the same columns again, their widths fitted to these rows, not to every row ever shown (a filter
        # down to one event kept the width of a long one that had pushed the actor off the screen). The
        # widths are set here: the table's own measure runs later, on idle, and a frame drawn before it
        # stayed cut to the labels' widths in the table's line cache.
        labels = tuple(str(c.label) for c in table.columns.values())
        widths = [cell_len(label) for label in labels]
        for _, cells in rows:
            for i, cell in enumerate(cells[:len(widths)]):
                widths[i] = max(widths[i], cell_len(cell))
        self.set_columns(labels, widths)
        for key, cells in rows:
            table.add_row(*(Text(c) for c in cells), key=key)
        if cursor_key in wanted:
            table.move_cursor(row=wanted.index(cursor_key), animate=False)

    def cursor_key(self) -> str | None:
        table = self.table
        if not table.row_count or not 0 <= table.cursor_row < table.row_count:
            return None
        return str(table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0))[0].value)

    def perform(self, action: Any, runner: Any) -> None:
        """Through the app's gate (safety, dialog, audit); reload afterwards."""
        gate = getattr(self.app, "gate", None)
        if gate is None:
            self.notify("actions need the gotui app", severity="error")
            return
        gate.perform(action, runner, on_done=lambda result, error: self.reload())

    def reload(self) -> Any:
        """Fetch and show the rows again (subclasses: a thread worker)."""

    def docker_changed(self, kinds: set[str]) -> None:
        """The Images pane saw these object kinds change on the engine."""

    def action_close(self) -> None:
        self.dismiss(None)
