"""LogView: a bounded, fast log viewer widget (container logs, build output, pod logs).

API (all methods run on the UI thread unless said otherwise)::

    view = LogView(max_lines=settings.log_buffer_lines, name_hint="api")   # a widget; compose it
    view.append_lines(["line 1", "line 2"])            # sanitizes; pass sanitized=True to skip
    view.append_lines(lines, style="cyan")             # one rich style for the whole batch
    view.queue_lines(lines)                            # THREAD-SAFE: buffered, flushed every 50 ms
    view.mark("stream dropped — reconnecting…")        # a visually distinct marker line
    view.clear()
    view.follow = False / True                         # pause / resume following the tail
    view.search("error")                               # highlight; n / N jump between matches
    view.save(path) -> Path                            # writes the buffered lines to a file
    view.line_count, view.new_while_paused, view.lines() -> list[str]

Lines are kept in a ring buffer (`max_lines`, default 10,000): the oldest drop off. A line that
starts with an RFC 3339 timestamp and a space (as `docker logs -t` / `kubectl logs --timestamps`
write them) keeps the timestamp apart, so the `t` key can show or hide it. Rendering uses the Line
API: only the visible rows are built, so 10,000 lines cost the same as 50.

Keys (each Binding has an id so the config can remap it): `p` pause/resume, `G`/End follow the
tail, `g`/Home top, `/` search, `n`/`N` next/previous match, `w` wrap, `t` timestamps,
`ctrl+s` save. Nothing here knows about Docker or Kubernetes.
"""

from __future__ import annotations

import bisect
import re
import threading
import time
from collections import deque
from itertools import accumulate, islice
from pathlib import Path

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.strip import Strip
from textual.widgets import Input, Static

from gotui.ops.sanitize import Span, sanitize_coloured_line, sanitize_line
from gotui.ui.clipboard import copy_through_terminal
from gotui.ui.tail_scrollbar import TailScrollBar

_TS = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) (.*)\Z", re.S)
MARK = "\x00mark"  # style sentinel for marker lines
_MARK_STYLE = Style(bold=True, reverse=True)
_MATCH_STYLE = Style(reverse=True, bold=True)
_CURRENT_STYLE = Style(bgcolor="yellow", color="black", bold=True)
_TS_STYLE = Style(dim=True)
# per line: None, a rich style string, MARK, or (that, the line's own colour spans from its SGR codes)
LineStyle = str | None | tuple[str | None, tuple[Span, ...]]
Item = tuple[str, str, LineStyle]  # (timestamp, text, style)


def prepare_lines(lines: list[str], style: str | None = None, sanitized: bool = False) -> list[Item]:
    """Buffer items for `lines` (any thread): sanitized unless `sanitized`, SGR colours kept as spans,
    a leading RFC 3339 timestamp split off."""
    items: list[Item] = []
    for raw in lines:
        line, spans = (raw, ()) if sanitized else sanitize_coloured_line(raw)
        ts, body = split_timestamp(line)
        if spans and style != MARK:
            cut = len(line) - len(body)
            spans = tuple((max(a - cut, 0), b - cut, st) for a, b, st in spans if b > cut)
            items.append((ts, body, (style, spans) if spans else style))
        else:
            items.append((ts, body, style))
    return items


def range_bindings(prefix: str) -> list[Binding]:
    """The log range keys of a log screen (`0`-`6`, see gotui.ops.log_range), calling its `log_range(key)`
    action; ids `<prefix>.range.<what>` so the config can remap them."""
    names = {"0": ("Tail", "tail"), "1": ("All kept", "all"), "2": ("Last 1m", "1m"), "3": ("Last 5m", "5m"),
             "4": ("Last 15m", "15m"), "5": ("Last 30m", "30m"), "6": ("Last 1h", "1h")}
    return [Binding(key, f"log_range('{key}')", label, show=False, id=f"{prefix}.range.{what}")
            for key, (label, what) in names.items()]


def split_timestamp(line: str) -> tuple[str, str]:
    """Split a leading RFC 3339 timestamp off `line`: (timestamp or "", rest)."""
    if line[:2].isdigit() and len(line) > 20 and line[4] == "-":
        m = _TS.match(line)
        if m:
            return m.group(1), m.group(2)
    return "", line


def short_timestamp(ts: str) -> str:
    """`2024-05-01T10:11:12.345678901Z` -> `2024-05-01 10:11:12.345`."""
    if len(ts) >= 19:
        frac = ts[19:23] if len(ts) > 19 and ts[19] == "." else ""
        return ts[:10] + " " + ts[11:19] + frac
    return ts


class LogLines(ScrollView, can_focus=True):
    """The line area (Line API). Owned by LogView; use LogView's methods."""

    DEFAULT_CSS = """
    LogLines { height: 1fr; }
    """

    class Moved(Message):
        """The user scrolled away from (or back to) the tail."""

        def __init__(self, at_end: bool) -> None:
            super().__init__()
            self.at_end = at_end

    BINDINGS = [
        Binding("up,k", "line_up", "Up", show=False),
        Binding("down,j", "line_down", "Down", show=False),
        Binding("pageup,ctrl+b", "page_up_", "Page up", show=False),
        Binding("pagedown,ctrl+f,space", "page_down_", "Page down", show=False),
        Binding("left,h", "left_", "Left", show=False),
        Binding("right", "right_", "Right", show=False),
    ]

    def __init__(self, max_lines: int, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.max_lines = max(1, int(max_lines))
        self.buffer: deque[Item] = deque(maxlen=self.max_lines)
        self.first_index = 0  # absolute index of buffer[0] (lines dropped so far)
        self.widest = 0
        self.wrap = False
        self.show_timestamps = False
        self.term = ""
        self.term_re: re.Pattern[str] | None = None
        self.current_match: int | None = None  # absolute index of the current match line
        self.follow = True
        self._heights: list[int] | None = None  # wrap mode: cumulative row starts (len n+1)
        self._heights_width = 0  # the width _heights was measured for
        self._cache: dict[tuple[int, int], list[Strip]] = {}
        self.render_hook = None  # optional callable(), called after each render pass (bench/tests)
        self.rendered_lines = 0  # render_line calls (tests: what a flush repaints)
        self.measured_lines = 0  # lines measured for wrap heights (tests: only new lines are)
        self.fast_scrolls = 0  # tail scrolls done by the terminal (scroll region), not a repaint
        self._dirty_from: int | None = None  # first screen row waiting for its repaint after a fast scroll
        self.last_dropped_rows = 0  # rows of the lines the last add() dropped off the top

    @property
    def vertical_scrollbar(self) -> ScrollBar:
        """Textual's own property, with a bar that keeps its strips while the thumb stays put
        (gotui.ui.tail_scrollbar): following a log repaints the bar's rows on every flush."""
        if self._vertical_scrollbar is None:
            bar = TailScrollBar(vertical=True, name="vertical", thickness=self.scrollbar_size_vertical)
            bar.display = False
            self._vertical_scrollbar = bar
            self.app._start_widget(self, bar)
        return self._vertical_scrollbar

    # -- content -----------------------------------------------------------------------------
    def _display(self, ts: str, text: str) -> str:
        if self.show_timestamps and ts:
            return short_timestamp(ts) + " " + text
        return text

    def add(self, items: list[Item]) -> int:
        """Append (ts, text, style) tuples; returns how many old lines were dropped."""
        before = len(self.buffer)
        overflow = max(0, before + len(items) - self.max_lines)
        if len(items) > self.max_lines:
            items = items[-self.max_lines :]
        self.buffer.extend(items)
        self.first_index += overflow
        extra = 24 if self.show_timestamps else 0
        widest = max((len(t) for _, t, _ in items), default=0) + extra
        if widest > self.widest:
            self.widest = widest
        self.last_dropped_rows = overflow
        if self._heights is not None:
            # wrap: measure only the new lines; lines that dropped off shift the row starts
            heights = self._heights
            if overflow:
                if overflow >= len(heights) - 1:
                    self.last_dropped_rows = heights[-1]
                    heights = [0]
                else:
                    base = heights[overflow]
                    self.last_dropped_rows = base
                    heights = [h - base for h in heights[overflow:]]
            kept = len(self.buffer) - (len(heights) - 1)
            width = self._heights_width
            last = heights[-1]
            for ts, t, _ in islice(self.buffer, len(self.buffer) - kept, None):
                last += max(1, -(-cell_len(self._display(ts, t)) // width))
                heights.append(last)
            self.measured_lines += kept
            self._heights = heights
        if overflow:
            # cached strips are keyed by absolute index, so they stay valid; trim the cache
            if len(self._cache) > 4096:
                self._cache.clear()
        self._update_virtual_size()
        return overflow

    def reset(self) -> None:
        self.buffer.clear()
        self.first_index = 0
        self.widest = 0
        self._heights = None
        self._cache.clear()
        self.current_match = None
        self._update_virtual_size()
        self.scroll_to(0, 0, animate=False)

    def invalidate(self) -> None:
        """Forget rendered lines (after a wrap/timestamp/search change)."""
        self._cache.clear()
        self._heights = None
        self._update_virtual_size()
        self.refresh()

    # -- geometry ----------------------------------------------------------------------------
    def _width(self) -> int:
        return max(1, self.scrollable_content_region.width or self.size.width or 80)

    def _row_starts(self) -> list[int]:
        width = self._width()
        if self._heights is None or self._heights_width != width:
            heights = (
                max(1, -(-cell_len(self._display(ts, t)) // width)) for ts, t, _ in self.buffer
            )
            self._heights = [0, *accumulate(heights)]
            self._heights_width = width
            self.measured_lines += len(self.buffer)
        return self._heights

    def total_rows(self) -> int:
        if not self.buffer:
            return 0
        return self._row_starts()[-1] if self.wrap else len(self.buffer)

    def _update_virtual_size(self) -> None:
        if self.wrap:
            size = Size(self._width(), self.total_rows())
        else:
            extra = 24 if self.show_timestamps else 0
            size = Size(max(self.widest + extra, 1), len(self.buffer))
        if size == self.virtual_size:
            return
        if self.is_mounted and self.container_size:
            # the height is set by the layout (1fr), never by the content: update the scrollbars
            # without a layout pass (which would repaint the whole screen on every new line)
            self.set_reactive(LogLines.virtual_size, size)
            width, height = self.container_size
            show_v = size.height > height
            show_h = not self.wrap and size.width > width - (1 if show_v else 0)
            if (show_v, show_h) != (self.show_vertical_scrollbar, self.show_horizontal_scrollbar) or not show_v:
                self._scroll_update(size)
                return
            bar = self.vertical_scrollbar
            bar.set_reactive(type(bar).window_virtual_size, size.height)
            if self.follow and self.scroll_y >= self.max_scroll_y - self.container_size.height:
                # following: only the rows around the thumb (at the bottom) change
                rows = min(bar.size.height, max(1, -(-height * height // max(1, size.height))) + 2)
                bar.refresh(Region(0, bar.size.height - rows, bar.size.width, rows))
            else:
                bar.refresh()
            if show_h:
                self.horizontal_scrollbar.window_virtual_size = size.width
        else:
            self.virtual_size = size

    # -- following the tail: only the new rows are painted ------------------------------------------
    def _fast_region(self) -> tuple[int, int] | None:
        """(first, last) terminal rows (1-based) the widget's content fills, when the terminal can
        scroll them by itself: full width, the active screen, nothing drawn over them."""
        try:
            app = self.app
            if app.screen is not self.screen or getattr(app, "_notifications", [1]):
                return None
            region = self.region
            content = self.scrollable_content_region
            if region.x != 0 or region.width != self.screen.size.width or content.y != region.y:
                return None
            if self.screen.find_widget(self).region != region:
                return None
            return region.y + 1, region.y + content.height
        except Exception:  # noqa: BLE001 - not mounted / no screen: the plain path
            return None

    def follow_tail(self, old_top: int, dropped_rows: int, appended_rows: int, was_at_end: bool) -> None:
        """Scroll to the end after `appended_rows` rows were added (and `dropped_rows` fell off the
        top). When the view was at the end and moves by less than a screen, the terminal scrolls
        the region itself (DECSTBM + line feeds) and only the rows that changed are repainted;
        otherwise a normal scroll and a full repaint."""
        height = self.scrollable_content_region.height
        total = self.total_rows()
        target = self.max_scroll_y
        shift = target - (old_top - dropped_rows)  # rows everything on screen moves up
        rows = self._fast_region() if was_at_end and height > 0 else None
        if rows is None or not (0 <= shift < height) or appended_rows <= 0:
            self._dirty_from = None
            self.scroll_to(y=target, animate=False, immediate=True)
            self.refresh()
            return
        if shift:
            driver = getattr(self.app, "_driver", None)
            if driver is None:
                self._dirty_from = None
                self.scroll_to(y=target, animate=False, immediate=True)
                self.refresh()
                return
            first, last = rows
            driver.write(f"\x1b[{first};{last}r\x1b[{last};1H" + "\n" * shift + "\x1b[r")
            self.set_reactive(ScrollView.scroll_y, float(target))
            self.set_reactive(ScrollView.scroll_target_y, float(target))
            if self.show_vertical_scrollbar:
                # the scrollbar column moved with the region: repaint the rows around its thumb
                # (at the bottom while following), not the whole column
                bar = self.vertical_scrollbar
                bar.set_reactive(type(bar).position, float(target))
                thumb = max(1, -(-height * height // max(1, self.virtual_size.height)))
                rows_to_paint = min(height, thumb + shift + 1)
                bar.refresh(Region(0, height - rows_to_paint, bar.size.width, rows_to_paint))
            self.fast_scrolls += 1
        bottom = min(height, total - target)  # screen rows holding content
        first_new = max(0, bottom - appended_rows)
        dirty = first_new if self._dirty_from is None else max(0, min(first_new, self._dirty_from - shift))
        self._dirty_from = dirty
        self.refresh(Region(0, dirty, self.size.width, max(1, bottom - dirty)))

    def on_resize(self) -> None:
        if self.wrap:
            self.invalidate()
        if self.follow:
            self.scroll_end(animate=False, x_axis=False)

    def row_of(self, index: int) -> int:
        """The first screen row (virtual) of buffer position `index`."""
        if not self.wrap:
            return index
        return self._row_starts()[index]

    # -- rendering ---------------------------------------------------------------------------
    def _strips_for(self, pos: int) -> list[Strip]:
        absolute = self.first_index + pos
        width = self._width() if self.wrap else 0
        key = (absolute, width)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        ts, body, style = self.buffer[pos]
        spans: tuple[Span, ...] = ()
        if isinstance(style, tuple):
            style, spans = style
        if style == MARK:
            text = Text(f"── {body} ──", style=_MARK_STYLE)
        else:
            text = Text(no_wrap=not self.wrap)
            if self.show_timestamps and ts:
                text.append(short_timestamp(ts) + " ", style=_TS_STYLE)
            start = len(text)
            text.append(body, style=style or "")
            for a, b, span_style in spans:
                text.stylize(span_style, start + a, start + b)
            if self.term_re is not None:
                hl = _CURRENT_STYLE if absolute == self.current_match else _MATCH_STYLE
                for m in self.term_re.finditer(body):
                    text.stylize(hl, start + m.start(), start + m.end())
        console = self.app.console
        if self.wrap:
            lines = text.wrap(console, width, overflow="fold") or [Text("")]
            strips = [Strip(list(line.render(console, end=""))) for line in lines]
        else:
            strips = [Strip(list(text.render(console, end="")))]
        if len(self._cache) > 4096:
            self._cache.clear()
        self._cache[key] = strips
        return strips

    def render_line(self, y: int) -> Strip:
        self.rendered_lines += 1
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        width = self.scrollable_content_region.width
        rich_style = self.rich_style
        if row < 0 or not self.buffer:
            return Strip.blank(width, rich_style)
        if self.wrap:
            starts = self._row_starts()
            if row >= starts[-1]:
                return Strip.blank(width, rich_style)
            pos = bisect.bisect_right(starts, row) - 1
            strips = self._strips_for(pos)
            offset = row - starts[pos]
            strip = strips[offset] if offset < len(strips) else Strip.blank(width)
            x = 0
        else:
            if row >= len(self.buffer):
                return Strip.blank(width, rich_style)
            strip = self._strips_for(row)[0]
            x = scroll_x
        strip = strip.crop_extend(x, x + width, rich_style)
        return strip

    def render_lines(self, crop):  # noqa: ANN001, ANN201 - Textual signature
        lines = super().render_lines(crop)
        self._dirty_from = None
        if self.render_hook is not None:
            self.render_hook()
        return lines

    # -- scrolling keys: leaving the tail pauses following --------------------------------------
    def _moved(self) -> None:
        at_end = self.scroll_y >= self.max_scroll_y
        self.post_message(self.Moved(at_end))

    def action_line_up(self) -> None:
        self.scroll_relative(y=-1, animate=False, immediate=True)
        self.post_message(self.Moved(False))

    def action_line_down(self) -> None:
        self.scroll_relative(y=1, animate=False, immediate=True)
        self.call_after_refresh(self._moved)

    def action_page_up_(self) -> None:
        self.scroll_relative(y=-max(1, self.size.height - 1), animate=False, immediate=True)
        self.post_message(self.Moved(False))

    def action_page_down_(self) -> None:
        self.scroll_relative(y=max(1, self.size.height - 1), animate=False, immediate=True)
        self.call_after_refresh(self._moved)

    def action_left_(self) -> None:
        self.scroll_relative(x=-8, animate=False, immediate=True)

    def action_right_(self) -> None:
        self.scroll_relative(x=8, animate=False, immediate=True)

    def _on_mouse_scroll_up(self, event) -> None:  # noqa: ANN001
        super()._on_mouse_scroll_up(event)
        self.post_message(self.Moved(False))

    def _on_mouse_scroll_down(self, event) -> None:  # noqa: ANN001
        super()._on_mouse_scroll_down(event)
        self.call_after_refresh(self._moved)


class LogView(Vertical):
    """A bounded log view with follow, pause (+N new), search, wrap, timestamps and save."""

    DEFAULT_CSS = """
    LogView { height: 1fr; }
    LogView > .logview-status { height: 1; background: $panel; }
    LogView > .logview-search { height: 3; }
    LogView > .logview-search.-hidden { display: none; }
    """

    BINDINGS = [
        Binding("p", "toggle_pause", "Pause", id="logview.pause"),
        Binding("G,end", "follow_tail", "Follow", id="logview.follow"),
        Binding("g,home", "top", "Top", show=False, id="logview.top"),
        Binding("slash", "open_search", "Search", id="logview.search"),
        Binding("n", "next_match", "Next", show=False, id="logview.next"),
        Binding("N", "prev_match", "Prev", show=False, id="logview.prev"),
        Binding("w", "toggle_wrap", "Wrap", id="logview.wrap"),
        Binding("t", "toggle_timestamps", "Time", id="logview.timestamps"),
        Binding("ctrl+s", "save", "Save", id="logview.save"),
        Binding("Y", "copy", "Copy", show=False, id="logview.copy"),
    ]

    follow: reactive[bool] = reactive(True, init=False)
    SLOW_INTERVAL = 0.5  # seconds: a trickle of lines is drawn at most this often (0.4: 2.05 % CPU at 10 lines/s, 0.5: 1.65 %)…
    SLOW_BATCH = 64  # …unless this many lines wait (a fast log is drawn every 50 ms tick)
    STATUS_INTERVAL = 1.0  # seconds between status-line redraws caused by new lines
    FLUSH_TICK = 0.05  # seconds a burst gathers before it is drawn

    class Saved(Message):
        def __init__(self, path: Path) -> None:
            super().__init__()
            self.path = path

    def __init__(
        self,
        max_lines: int = 10_000,
        *,
        name_hint: str = "log",
        save_dir: Path | None = None,
        title: str = "",
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.max_lines = max(1, int(max_lines))
        self.name_hint = re.sub(r"[^A-Za-z0-9_.-]+", "-", name_hint)[:60] or "log"
        self.save_dir = save_dir
        self.title = title
        self.new_while_paused = 0
        self.total_appended = 0
        self.match_count = 0
        self._pending: list[Item] = []
        self._skipped = 0  # queued lines dropped before a flush because more than max_lines waited
        self._pending_lock = threading.Lock()
        self._armed = False  # a flush timer is set (or about to be)
        self._mounted = False
        self._last_flush = 0.0
        self._last_status = 0.0
        self._status_dirty = True
        self._status_armed = False  # the end-of-flow status timer is set
        self.state_note = ""  # set by owners: "following", "stream ended", …

    def compose(self) -> ComposeResult:
        yield Static("", classes="logview-status")
        yield LogLines(self.max_lines, classes="logview-lines")
        yield Input(placeholder="search…  (Enter: find, Esc: close; n / N next / previous)", classes="logview-search -hidden")

    def on_mount(self) -> None:
        # no polling: a queued batch arms a one-shot timer (`_wake`), so an idle view never wakes up
        self._mounted = True
        with self._pending_lock:
            early = bool(self._pending) and not self._armed
            self._armed = self._armed or early
        if early:
            self._arm()
        self._render_status()

    @property
    def lines_widget(self) -> LogLines:
        return self.query_one(LogLines)

    # -- public API ---------------------------------------------------------------------------
    def append_lines(self, lines: list[str], *, style: str | None = None, sanitized: bool = False) -> None:
        """Append a batch of lines (sanitized here unless `sanitized=True`), after the queued ones."""
        if self._pending:
            self._flush_pending(force=True)
        if lines:
            self._add(prepare_lines(lines, style, sanitized))

    def mark(self, text: str) -> None:
        """Append a marker line (stream dropped, resumed, build finished…), after the lines queued
        before it."""
        self._flush_pending(force=True)
        self._add([("", sanitize_line(text), MARK)])

    def clear(self) -> None:
        """Drop every line, queued ones included."""
        with self._pending_lock:
            self._pending = []
            self._skipped = 0
        self.lines_widget.reset()
        self.new_while_paused = 0
        self.match_count = 0
        self._render_status()

    def queue_lines(self, lines: list[str], *, style: str | None = None, sanitized: bool = False) -> None:
        """Thread-safe: sanitize `lines` in the caller's thread; the UI appends them in one batch every 50 ms."""
        if not lines:
            return
        items = prepare_lines(lines, style, sanitized)
        with self._pending_lock:
            self._pending.extend(items)
            over = len(self._pending) - self.max_lines
            if over > 0:
                del self._pending[:over]
                self._skipped += over
            wake = not self._armed and self._mounted
            if wake:
                self._armed = True
        if wake:
            self.post_message(self._Wake())  # thread-safe; handled on the UI thread

    class _Wake(Message):
        """Lines were queued while no flush was armed."""

    def on_log_view__wake(self, message: Message) -> None:
        message.stop()
        self._arm()

    def _arm(self) -> None:
        """UI thread: flush soon — after 50 ms (a burst gathers), or later for a trickle of lines."""
        since = time.monotonic() - self._last_flush
        delay = max(self.FLUSH_TICK, self.SLOW_INTERVAL - since)
        if len(self._pending) >= self.SLOW_BATCH:
            delay = self.FLUSH_TICK
        try:
            self.set_timer(delay, self._flush_timer)
        except Exception:  # noqa: BLE001 - unmounted: nothing to draw into
            self._armed = False

    def _flush_timer(self) -> None:
        with self._pending_lock:
            self._armed = False
        self._flush_pending(force=True)
        with self._pending_lock:
            again = bool(self._pending) and not self._armed
            if again:
                self._armed = True
        if again:
            self._arm()
        elif self._status_dirty and not self._status_armed:
            # the counts after the last lines of a flow; while lines flow the flushes' own frames
            # redraw the status line (`_add`), so this one-shot timer rarely draws anything
            self._status_armed = True
            self.set_timer(self.STATUS_INTERVAL + self.SLOW_INTERVAL, self._status_timer)

    def _status_timer(self) -> None:
        self._status_armed = False
        if not self._status_dirty:
            return
        if self._armed or time.monotonic() - self._last_flush < self.SLOW_INTERVAL + self.FLUSH_TICK:
            self._status_armed = True  # lines still flow: a flush's frame will carry the status
            self.set_timer(self.STATUS_INTERVAL, self._status_timer)
            return
        self._render_status()

    def lines(self) -> list[str]:
        """The buffered lines as shown (timestamps included when they are shown)."""
        w = self.lines_widget
        return [w._display(ts, t) for ts, t, _ in w.buffer]

    @property
    def line_count(self) -> int:
        return len(self.lines_widget.buffer)

    def search(self, term: str) -> int:
        """Highlight `term` (case-insensitive); jump to the last match at or above the view's end."""
        w = self.lines_widget
        w.term = term
        w.term_re = re.compile(re.escape(term), re.I) if term else None
        w.current_match = None
        self.match_count = sum(1 for _, t, _ in w.buffer if w.term_re.search(t)) if w.term_re else 0
        w.invalidate()
        if w.term_re is not None and self.match_count:
            self._jump(backwards=True, from_pos=len(w.buffer))
        self._render_status()
        return self.match_count

    def save(self, path: Path | None = None) -> Path:
        """Write the buffered lines to `path` (default: ./<name>-<time>.log); returns the path."""
        if path is None:
            folder = self.save_dir or Path.cwd()
            path = folder / f"{self.name_hint}-{time.strftime('%Y%m%d-%H%M%S')}.log"
        w = self.lines_widget
        with open(path, "w", encoding="utf-8") as fh:
            for ts, text, style in w.buffer:
                if style == MARK:
                    fh.write(f"-- {text} --\n")
                else:
                    fh.write((ts + " " if ts else "") + text + "\n")
        return path

    # -- internals -----------------------------------------------------------------------------
    def _flush_pending(self, force: bool = False) -> None:
        now = time.monotonic()
        if not self._pending:
            if self._status_dirty and now - self._last_status >= self.STATUS_INTERVAL:
                self._render_status()
            return
        if not force and len(self._pending) < self.SLOW_BATCH and now - self._last_flush < self.SLOW_INTERVAL:
            return  # a slow log: gather a few lines per frame instead of one frame per line
        self._last_flush = now
        with self._pending_lock:
            items, self._pending = self._pending, []
            skipped, self._skipped = self._skipped, 0
        if skipped:  # never shown: counted as appended (and as new while paused)
            self.total_appended += skipped
            if not self.follow:
                self.new_while_paused += skipped
        self._add(items)

    def _add(self, items: list[Item]) -> None:
        w = self.lines_widget
        was_y = w.scroll_y
        was_at_end = was_y >= w.max_scroll_y
        old_rows = w.total_rows()
        dropped = w.add(items)
        self.total_appended += len(items)
        if w.term_re is not None:
            self.match_count += sum(1 for _, t, s in items if s != MARK and w.term_re.search(t))
        if self.follow:
            appended = w.total_rows() - old_rows + w.last_dropped_rows
            w.follow_tail(int(was_y), w.last_dropped_rows, appended, was_at_end)
        else:
            self.new_while_paused += len(items)
            if dropped and not w.wrap:
                # keep the same lines on screen while older ones drop off the top
                w.scroll_to(y=max(0, was_y - dropped), animate=False, immediate=True)
                w.refresh()
            elif dropped or old_rows < int(was_y) + w.scrollable_content_region.height:
                w.refresh()  # the new rows (or shifted ones) are on screen
            self._render_status()  # "+N new" is what changes on screen
            return
        # following: the status line (line counts) is redrawn about once a second while lines flow,
        # always in the frame of a flush (a frame of its own per second cost a third more CPU on a
        # slow log); with the new rows at the bottom and the status on top, a frame would span the view
        self._status_dirty = True
        if time.monotonic() - self._last_status >= self.STATUS_INTERVAL - self.SLOW_INTERVAL:
            self._render_status()

    def _render_status(self) -> None:
        self._status_dirty = False
        self._last_status = time.monotonic()
        w = self.lines_widget
        text = Text(no_wrap=True, overflow="ellipsis")
        if self.title:
            text.append(f" {self.title} ", style="bold")
        if self.follow:
            text.append(" FOLLOW ", style="bold reverse green")
        else:
            text.append(" PAUSED ", style="bold reverse yellow")
            text.append(f" +{self.new_while_paused} new (G follows) ", style="yellow")
        text.append(f" {len(w.buffer)}/{self.max_lines} lines", style="dim")
        if w.term:
            text.append(f"  /{w.term}: {self.match_count} matches", style="bold")
        flags = [name for name, on in (("wrap", w.wrap), ("time", w.show_timestamps)) if on]
        if flags:
            text.append("  [" + " ".join(flags) + "]", style="dim")
        if self.state_note:
            text.append("  " + self.state_note, style="italic")
        if text == getattr(self, "_status_text", None):
            return
        self._status_text = text
        self.query_one(".logview-status", Static).update(text, layout=False)  # one row, always

    def set_note(self, note: str) -> None:
        """Show a short state note in the status line (e.g. `stream ended (exit 3)`)."""
        self.state_note = sanitize_line(note, 120)
        self._render_status()

    def watch_follow(self, follow: bool) -> None:
        w = self.lines_widget
        w.follow = follow
        if follow:
            self.new_while_paused = 0
            w.scroll_end(animate=False, x_axis=False)
        self._render_status()

    def on_log_lines_moved(self, event: LogLines.Moved) -> None:
        event.stop()
        if not event.at_end and self.follow:
            self.follow = False
        elif event.at_end and not self.follow:
            self.follow = True

    def _jump(self, *, backwards: bool, from_pos: int | None = None) -> bool:
        w = self.lines_widget
        if w.term_re is None or not w.buffer:
            return False
        n = len(w.buffer)
        if from_pos is None:
            cur = (w.current_match - w.first_index) if w.current_match is not None else None
            if cur is None or not (0 <= cur < n):
                cur = n if backwards else -1
            from_pos = cur
        rng = range(from_pos - 1, -1, -1) if backwards else range(from_pos + 1, n)
        for pos in rng:
            ts, t, style = w.buffer[pos]
            if style != MARK and w.term_re.search(t):
                w.current_match = w.first_index + pos
                w._cache.clear()
                if self.follow:
                    self.follow = False
                row = w.row_of(pos)
                w.scroll_to(y=max(0, row - w.size.height // 2), animate=False, immediate=True)
                w.refresh()
                return True
        self.notify(f"no more matches for {w.term!r}", timeout=2)
        return False

    # -- actions -------------------------------------------------------------------------------
    def action_toggle_pause(self) -> None:
        self.follow = not self.follow

    def action_follow_tail(self) -> None:
        self.follow = True

    def action_top(self) -> None:
        self.follow = False
        self.lines_widget.scroll_to(0, 0, animate=False, immediate=True)

    def action_open_search(self) -> None:
        box = self.query_one(".logview-search", Input)
        box.remove_class("-hidden")
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.search(event.value)
        # the status line shows the term and its count: give the 3 rows back to the log
        event.input.add_class("-hidden")
        self.lines_widget.focus()

    def on_key(self, event) -> None:  # noqa: ANN001
        box = self.query_one(".logview-search", Input)
        if event.key == "escape" and box.has_focus:
            event.stop()
            box.add_class("-hidden")
            if not box.value:
                self.search("")
            self.lines_widget.focus()

    def action_next_match(self) -> None:
        self._jump(backwards=False)

    def action_prev_match(self) -> None:
        self._jump(backwards=True)

    def action_toggle_wrap(self) -> None:
        w = self.lines_widget
        w.wrap = not w.wrap
        w.invalidate()
        if self.follow:
            w.scroll_end(animate=False)
        self._render_status()

    def action_toggle_timestamps(self) -> None:
        w = self.lines_widget
        w.show_timestamps = not w.show_timestamps
        w.invalidate()
        self._render_status()

    def action_save(self) -> None:
        try:
            path = self.save()
        except OSError as exc:
            self.notify(f"could not save: {exc.strerror or exc}", severity="error")
            return
        self.notify(f"saved {self.line_count} lines to {path}", timeout=5)
        self.post_message(self.Saved(path))

    def copy_text(self) -> tuple[str, int]:
        """What `Y` copies, and how many lines: the current search match's line, else the lines on screen."""
        w = self.lines_widget
        if not w.buffer:
            return "", 0
        if w.current_match is not None and 0 <= w.current_match - w.first_index < len(w.buffer):
            ts, text, _ = w.buffer[w.current_match - w.first_index]
            return w._display(ts, text), 1
        top = int(w.scroll_y)
        height = max(1, w.scrollable_content_region.height)
        if w.wrap:
            starts = w._row_starts()
            first = max(0, bisect.bisect_right(starts, top) - 1)
            last = max(first, bisect.bisect_right(starts, top + height - 1) - 1)
        else:
            first, last = top, top + height - 1
        rows = [w._display(ts, t) for ts, t, _ in islice(w.buffer, first, last + 1)]
        return "\n".join(rows), len(rows)

    def action_copy(self) -> None:
        text, count = self.copy_text()
        if not count:
            self.notify("nothing to copy", severity="warning", timeout=3)
            return
        copy_through_terminal(self, text + "\n", f"{count} line{'s' if count != 1 else ''}")

    def focus_lines(self) -> None:
        self.lines_widget.focus()
