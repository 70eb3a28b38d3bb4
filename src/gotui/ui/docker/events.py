"""The engine's event stream (`E` in the Images pane): time, type, action, actor, newest first;
`/` filters, the last EVENTS_KEPT events are kept. It opens with the last ten minutes of events
and reconnects when the stream drops."""

from __future__ import annotations

import time
from typing import Any

from textual import work
from textual.binding import Binding
from textual.widgets import Input

from gotui.ops.docker_events import EVENT_COLUMNS, EventBuffer
from gotui.ops.errors import describe_error
from gotui.ui.docker.base import DockerTableScreen

EVENTS_KEPT = 1000
HISTORY_S = 600  # on opening, the engine's events of the last ten minutes


class EventsScreen(DockerTableScreen):
    TITLE = "engine events (newest first)"
    COLUMNS = EVENT_COLUMNS
    BINDINGS = [
        Binding("escape", "escape", "Back", id="events.escape"),
        Binding("q", "close", "Back", show=False, id="events.close"),
        Binding("slash", "filter", "Filter", id="events.filter"),
    ]
    REDRAW = 0.2  # seconds between table redraws while events arrive

    def __init__(self, source: Any, kept: int = EVENTS_KEPT) -> None:
        super().__init__(source)
        self.buffer = EventBuffer(kept)
        self.filter_text = ""
        self._dirty = True
        self._stream: Any = None
        self.connected = False

    def compose(self) -> Any:
        yield from super().compose()
        box = Input(placeholder="filter events…  (Enter keeps it, Esc clears)", id="events-filter")
        box.display = False
        yield box

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#dscreen-details").display = False
        self.set_interval(self.REDRAW, self._redraw)
        self.follow()

    @work(thread=True, exit_on_error=False, group="events-stream")
    def follow(self) -> None:
        from textual.worker import get_current_worker

        worker = get_current_worker()
        delay = 0.5
        while not worker.is_cancelled:
            try:
                # the first connection replays the last HISTORY_S seconds; a reconnection starts
                # after the newest event shown (the engine's seconds are whole: a few may repeat)
                newest = self.buffer.newest_first()[:1]
                since = int(newest[0].when) if newest else int(time.time()) - HISTORY_S
                self._stream = self.source.events(since=since)
                self.connected = True
                self._dirty = True
                delay = 0.5
                for event in self._stream:
                    if worker.is_cancelled:
                        return
                    if isinstance(event, dict):
                        self.buffer.add(event)
                        self._dirty = True
                raise ConnectionError("the event stream ended")
            except Exception as exc:  # noqa: BLE001 - engine away: say so and retry
                if worker.is_cancelled:
                    return
                self.connected = False
                self.app.call_from_thread(self.set_status, describe_error(exc, what="events") +
                                          f" — retrying in {delay:.0f}s", "bold red")
                deadline = time.monotonic() + delay
                while time.monotonic() < deadline and not worker.is_cancelled:
                    time.sleep(0.05)
                delay = min(delay * 2, 8.0)

    def _redraw(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        rows = self.buffer.newest_first(self.filter_text)
        self.fill([(str(r.seq), r.cells()) for r in rows])
        status = f"{len(self.buffer)} kept (last {self.buffer.size})"
        if self.filter_text:
            status += f" · {len(rows)} match /{self.filter_text}"
        if self.connected:
            self.set_status(status + " · following")

    def fill(self, rows: list[tuple[str, tuple[str, ...]]]) -> None:
        """Newest first: keep the cursor on the top row when it is there, else on its event."""
        at_top = self.table.cursor_row == 0
        super().fill(rows)
        if at_top:
            self.table.move_cursor(row=0, animate=False)

    def action_filter(self) -> None:
        box = self.query_one("#events-filter", Input)
        box.display = True
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.filter_text = event.value
        self._dirty = True

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value:
            event.input.display = False
        self.table.focus()

    def action_escape(self) -> None:
        box = self.query_one("#events-filter", Input)
        if box.has_focus or self.filter_text:
            box.value = ""
            self.filter_text = ""
            box.display = False
            self._dirty = True
            self.table.focus()
        else:
            self.action_close()

    def _stop(self) -> None:
        self.workers.cancel_group(self, "events-stream")
        if self._stream is not None:
            self._stream.close()

    def action_close(self) -> None:
        self._stop()
        self.dismiss(None)

    def on_unmount(self) -> None:
        self._stop()
