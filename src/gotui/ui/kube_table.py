"""VirtualTable: a keyed table that renders only the visible rows (Line API), for 10,000+ pods.

The owner hands it the full, already filtered and sorted list of row keys (`set_keys`) and a
`provider(key) -> cells`; cells are built only for rows on screen (and cached until `invalidate`),
so a repaint costs the same for 20 rows or 20,000. The cursor follows its row's key across re-sorts and
updates. Cells are plain strings (already sanitized) with an optional style: never markup.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

Cell = tuple[str, Style | None]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int  # minimum width; the `flex` column takes what is left
    flex: bool = False



_HEADER = Style(bold=True, underline=True)
_CURSOR = Style(reverse=True, bold=True)
_CURSOR_BLUR = Style(underline=True, bold=True)
_DIM = Style(dim=True)


class VirtualTable(ScrollView, can_focus=True):
    """A header line plus rows; only the visible lines are ever rendered."""

    DEFAULT_CSS = """
    VirtualTable { height: 1fr; overflow-x: hidden; overflow-y: auto; scrollbar-size-vertical: 1; }
    """

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="table.up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="table.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="table.pageup"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="table.pagedown"),
        Binding("home", "edge(0)", "Top", show=False, id="table.top"),
        Binding("end", "edge(1)", "Bottom", show=False, id="table.bottom"),
        Binding("enter", "select", "Details", show=False, id="table.select"),
    ]

    cursor: reactive[int] = reactive(0, init=False, always_update=False)

    class Highlighted(Message):
        def __init__(self, table: VirtualTable, key: object) -> None:
            super().__init__()
            self.table = table
            self.key = key

    class Selected(Message):
        def __init__(self, table: VirtualTable, key: object) -> None:
            super().__init__()
            self.table = table
            self.key = key

    def __init__(self, columns: list[Column], provider: Callable[[object], list[Cell]], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.columns = columns
        self.provider = provider
        self.rows: Sequence[object] = []
        self._cells: dict[object, list[Cell]] = {}
        self._widths: list[int] = [c.width for c in columns]
        self._last_width = -1
        self.sort_column: str | None = None
        self.sort_reverse = False
        self.empty_text = ""
        self._posted_key: object | None = None
        self.render_count = 0  # lines rendered (bench/tests)
        self.paint_count = 0
        self.painted_at = 0.0  # time.monotonic() of the last full paint, and how many rows it had (bench)
        self.painted_rows = 0

    # -- data -----------------------------------------------------------------------------------
    @property
    def cursor_key(self) -> object | None:
        if 0 <= self.cursor < len(self.rows):
            return self.rows[self.cursor]
        return None

    def set_columns(self, columns: list[Column]) -> None:
        self.columns = columns
        self._last_width = -1
        self._cells.clear()
        self.refresh()

    def invalidate(self, keys: Iterable[object] | None = None) -> None:
        """Forget cached cells (all, or of `keys`) and repaint: everything, or only the lines of
        `keys` on screen (a thousand rows changing off screen repaint nothing)."""
        if keys is None:
            self._cells.clear()
            self.refresh()
            return
        changed = keys if isinstance(keys, (set, frozenset, dict)) else set(keys)
        for key in changed:
            self._cells.pop(key, None)
        rows, top = self.rows, int(self.scroll_y)
        for i in range(top, min(len(rows), top + self._visible_rows())):
            if rows[i] in changed:
                self.refresh_lines(i + 1)  # line 0 is the header

    def set_keys(self, rows: Sequence[object], *, keep_key: object | None = None) -> None:
        """Replace every row (or say that `rows`, changed in place, changed); the cursor stays on the
        same key when it is still there. No per-row work: 150,000 rows cost what 30 do."""
        key = keep_key if keep_key is not None else self._posted_key if self._posted_key is not None else self.cursor_key
        self.rows = rows
        self._set_virtual_rows(len(rows))
        new = self._position(key, min(self.cursor, max(0, len(rows) - 1))) if rows else 0
        if new != self.cursor:
            self.cursor = new
        else:
            self._scroll_to_cursor()
            if self.cursor_key != self._posted_key and self.cursor_key is not None:
                self._posted_key = self.cursor_key
                self.post_message(self.Highlighted(self, self.cursor_key))
        self.refresh()

    def _set_virtual_rows(self, n: int) -> None:
        """The scrollable height for `n` rows, without a layout pass of the whole screen while the
        scrollbar stays as it is (a filter keystroke re-laid out and repainted every widget: at
        150,000 pods, most of its time)."""
        size = Size(self.size.width, n + 1)
        if size == self.virtual_size:
            return
        if not self.is_mounted or not self.size.height:
            self.virtual_size = size
            return
        showed = self.show_vertical_scrollbar
        self.set_reactive(ScrollView.virtual_size, size)
        self._refresh_scrollbars()
        if self.show_vertical_scrollbar != showed:
            self.refresh(layout=True)  # the scrollbar comes or goes: the columns get another width
        else:
            self._scroll_update(size)
            if self.scroll_y > self.max_scroll_y:
                self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)
        self.refresh()

    def _position(self, key: object, default: int) -> int:
        """Where `key` is now: the cursor's row first, else a search (C speed), else `default`."""
        if key is None:
            return default
        rows, c = self.rows, self.cursor
        if 0 <= c < len(rows) and rows[c] == key:
            return c
        try:
            return rows.index(key)
        except ValueError:
            return default

    def move_to(self, key: object) -> bool:
        i = self._position(key, -1)
        if i < 0:
            return False
        self.cursor = i
        return True

    # -- layout ---------------------------------------------------------------------------------
    def _compute_widths(self, width: int) -> None:
        if width == self._last_width:
            return
        self._last_width = width
        widths = [c.width for c in self.columns]
        # Drop trailing columns that do not fit (the owner lists them most important first).
        while len(widths) > 1 and sum(widths) + len(widths) > width:
            widths[len([w for w in widths if w]) - 1] = 0
            if all(w == 0 for w in widths[1:]):
                break
            if sum(widths) + len([w for w in widths if w]) <= width:
                break
        spare = max(0, width - sum(widths) - len([w for w in widths if w]))
        flex = [i for i, c in enumerate(self.columns) if c.flex and widths[i]]
        for i in flex:
            widths[i] += spare // len(flex)
        self._widths = widths

    def on_resize(self) -> None:
        self._last_width = -1
        self.virtual_size = Size(self.size.width, len(self.rows) + 1)
        self._scroll_to_cursor()

    # -- rendering ------------------------------------------------------------------------------
    def _line(self, cells: list[Cell], base: Style | None) -> list[Segment]:
        segs = []
        for (text, style), width in zip(cells, self._widths, strict=False):
            if width <= 0:
                continue
            if cell_len(text) > width:
                text = set_cell_size(text, width - 1) + "…"
            else:
                text = set_cell_size(text, width)
            st = (style + base) if (style and base) else (base or style)
            segs.append(Segment(text, st))
            segs.append(Segment(" ", base))
        return segs

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        self._compute_widths(width)
        self.render_count += 1
        if y == 0:
            self.paint_count += 1
            self.painted_at = time.monotonic()
            self.painted_rows = len(self.rows)
            labels: list[Cell] = []
            for c in self.columns:
                label = c.label
                if c.key == self.sort_column:
                    label += " ▼" if self.sort_reverse else " ▲"
                labels.append((label, None))
            return Strip(self._line(labels, _HEADER)).adjust_cell_length(width)
        index = int(self.scroll_y) + y - 1
        if index >= len(self.rows):
            if index == 0 and self.empty_text:
                return Strip([Segment(set_cell_size(self.empty_text, width), Style(dim=True, italic=True))])
            return Strip.blank(width)
        key = self.rows[index]
        cells = self._cells.get(key)
        if cells is None:
            cells = self._cells[key] = self.provider(key)
            if len(self._cells) > 2000:
                self._cells.clear()
                self._cells[key] = cells
        base = (_CURSOR if self.has_focus else _CURSOR_BLUR) if index == self.cursor else None
        strip = Strip(self._line(cells, base)).adjust_cell_length(width, base)
        # the Line API bypasses `text-opacity`: honour it (stale rows, see .pane.-stale) with dim text
        return strip.apply_style(_DIM) if self.styles.text_opacity < 1 else strip

    # -- cursor ---------------------------------------------------------------------------------
    def _visible_rows(self) -> int:
        return max(1, self.size.height - 1)

    def _scroll_to_cursor(self) -> None:
        top = int(self.scroll_y)
        h = self._visible_rows()
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + h:
            self.scroll_to(y=self.cursor - h + 1, animate=False, immediate=True)

    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_to_cursor()
        self.refresh()
        key = self.cursor_key
        if key is not None:
            self._posted_key = key
            self.post_message(self.Highlighted(self, key))

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.rows) - 1)) if self.rows else 0

    def action_cursor(self, step: int) -> None:
        self.cursor = self.cursor + step

    def action_page(self, direction: int) -> None:
        self.cursor = self.cursor + direction * self._visible_rows()

    def action_edge(self, end: int) -> None:
        self.cursor = (len(self.rows) - 1) if end else 0

    def action_select(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.Selected(self, key))

    def on_click(self, event: Click) -> None:
        if event.y == 0:
            return
        index = int(self.scroll_y) + event.y - 1
        if 0 <= index < len(self.rows):
            self.cursor = index

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
