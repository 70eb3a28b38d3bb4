"""A slow log while following: a new line measures only itself (wrap), and the frame after a flush
renders only the rows that changed (the terminal scrolls the region), not the whole view; what is on
screen stays right (checked against the buffer)."""

from __future__ import annotations

import threading
import time

from textual.app import App, ComposeResult
from textual.widgets import Footer

import gotui.ui.logview as logview
from gotui.ui.logview import LogLines, LogView


class LogApp(App[None]):
    def compose(self) -> ComposeResult:
        yield LogView(max_lines=10_000, name_hint="t")
        yield Footer()


def visible(view: LogView) -> list[str]:
    w = view.lines_widget
    return ["".join(seg.text for seg in w.render_line(y)).rstrip() for y in range(w.size.height)]


async def settle(pilot, view: LogView, count: int) -> None:  # noqa: ANN001
    deadline = time.monotonic() + 10
    while view.line_count < count and time.monotonic() < deadline:
        await pilot.pause(0.02)
    await pilot.pause(0.1)


async def test_wrap_measures_only_new_lines(monkeypatch) -> None:  # noqa: ANN001
    app = LogApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(LogView)
        view.append_lines([f"line {i} " + "x" * (i % 150) for i in range(10_000)])
        await pilot.press("w")  # wrap on
        await pilot.pause(0.2)
        measured: list[int] = []
        real = logview.cell_len
        monkeypatch.setattr(logview, "cell_len", lambda text: (measured.append(1), real(text))[1])
        for i in range(5):
            view.queue_lines([f"new {i} " + "y" * 100])
            await settle(pilot, view, 10_000)
            await pilot.pause(0.45)
        assert view.lines()[-1].startswith("new 4")
        # five lines arrived: five measured (the old code measured all 10,000 on every flush)
        assert len(measured) <= 10, len(measured)
        assert visible(view)[-1].startswith("y") or "new 4" in visible(view)[-2]


async def test_slow_log_flush_renders_only_the_new_rows(monkeypatch) -> None:  # noqa: ANN001
    app = LogApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(LogView)
        view.append_lines([f"old {i}" for i in range(500)])
        await pilot.pause(0.3)
        height = view.lines_widget.size.height
        assert height >= 15
        rendered: list[int] = []
        real = LogLines.render_line

        def counting(self, y):  # noqa: ANN001, ANN202
            rendered.append(y)
            return real(self, y)

        monkeypatch.setattr(LogLines, "render_line", counting)
        per_flush = []
        for i in range(6):  # a slow log: one line at a time from the stream thread
            rendered.clear()
            threading.Thread(target=view.queue_lines, args=([f"request {i}"],)).start()
            await settle(pilot, view, 500)
            deadline = time.monotonic() + 5
            while f"request {i}" not in view.lines() and time.monotonic() < deadline:
                await pilot.pause(0.05)
            await pilot.pause(0.2)
            per_flush.append(len(rendered))
        assert view.lines()[-1] == "request 5"
        # one new line: the bottom row (and its neighbour) is rendered, not the whole view
        assert max(per_flush) <= 3, (per_flush, height)
        assert view.lines_widget.fast_scrolls >= 5
        rendered.clear()
        # the screen shows the tail, in order: what the terminal scrolled plus what was painted
        assert visible(view)[-6:] == [f"request {i}" for i in range(6)]


async def test_scrolling_away_and_back_repaints_everything() -> None:
    """Paused, or after a jump, the plain path (a full repaint) is used: nothing stale on screen."""
    app = LogApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(LogView)
        view.append_lines([f"old {i}" for i in range(300)])
        await pilot.pause(0.2)
        view.focus_lines()
        await pilot.press("up", "up", "up")
        await pilot.pause(0.1)
        assert not view.follow
        view.append_lines(["late"])
        await pilot.pause(0.1)
        assert "late" not in visible(view)
        await pilot.press("G")
        await pilot.pause(0.2)
        assert visible(view)[-1] == "late" and view.follow


async def test_slow_log_status_line_rides_on_the_flush_frames() -> None:
    """10 lines/s: one frame per flush, the line counts drawn in those frames (the status line had a
    frame of its own about once a second: a third more frames); the final count still shows."""
    app = LogApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(LogView)
        view.append_lines([f"old {i}" for i in range(100)])
        await pilot.pause(0.5)
        screen = app.screen
        frames: list[float] = []
        flushes: list[float] = []
        real_refresh, real_add = screen._compositor_refresh, view._add
        screen._compositor_refresh = lambda: (frames.append(time.monotonic()), real_refresh())[1]  # type: ignore[method-assign]
        view._add = lambda items: (flushes.append(time.monotonic()), real_add(items))[1]  # type: ignore[method-assign]
        stop = threading.Event()

        def produce() -> None:
            i = 0
            while not stop.is_set():
                view.queue_lines([f"request {i}"])
                i += 1
                stop.wait(0.1)

        threading.Thread(target=produce, daemon=True).start()
        deadline = time.monotonic() + 3.2
        while time.monotonic() < deadline:
            await pilot.pause(0.1)
        stop.set()
        await pilot.pause(0.6)  # the last flush
        assert len(flushes) >= 5, flushes
        # from the second flush on (a loaded machine may paint the first flush in two frames, or a frame
        # left over from the 100 lines before it)
        steady = [f for f in frames if f >= flushes[1] - 0.02]
        assert len(steady) <= len(flushes) - 1 + 1, (len(steady), len(flushes) - 1, frames, flushes)
        status = app.query_one(".logview-status")
        deadline = time.monotonic() + 5
        while f"{view.line_count}/" not in str(status.render()) and time.monotonic() < deadline:
            await pilot.pause(0.1)
        assert f"{view.line_count}/10000 lines" in str(status.render())


async def test_following_does_not_render_the_scrollbar_again_while_its_thumb_stays(monkeypatch) -> None:  # noqa: ANN001
    """A long log followed: each flush repaints the bar's rows, but the bar is drawn through Rich
    again only when its thumb moves to other cells (it was on every flush: a third of the frame);
    what is kept is what a fresh render draws."""
    from textual.scrollbar import ScrollBar

    app = LogApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(LogView)
        view.append_lines([f"old {i}" for i in range(2000)])
        await pilot.pause(0.3)
        bar = view.lines_widget.vertical_scrollbar
        renders: list[int] = []
        real = ScrollBar._render_content

        def counting(self):  # noqa: ANN001, ANN202
            if self is bar:
                renders.append(1)
            return real(self)

        monkeypatch.setattr(ScrollBar, "_render_content", counting)
        for i in range(5):
            view.queue_lines([f"request {i}"])
            deadline = time.monotonic() + 5
            while f"request {i}" not in view.lines()[-1:] and time.monotonic() < deadline:
                await pilot.pause(0.05)
            await pilot.pause(0.1)
        assert view.lines_widget.fast_scrolls >= 5
        assert len(renders) <= 1, renders
        def cells() -> list[tuple[str, object]]:
            return [(seg.text, seg.style) for strip in bar._render_cache.lines for seg in strip]

        kept = cells()
        real(bar)  # a fresh render of the same state
        assert kept == cells()
        assert visible(view)[-5:] == [f"request {i}" for i in range(5)]
