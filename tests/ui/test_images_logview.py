"""LogView: ring buffer bound, follow / pause with new-line count, search with n/N, timestamps,
wrap, inert text, marks, save."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult

from gotui.ui.logview import LogView


class LogApp(App[None]):
    def compose(self) -> ComposeResult:
        yield LogView(max_lines=100, name_hint="t")


def visible(view: LogView) -> list[str]:
    w = view.lines_widget
    return ["".join(seg.text for seg in w.render_line(y)).rstrip() for y in range(w.size.height)]


async def test_ring_buffer_follow_pause_and_search(tmp_path: Path) -> None:
    app = LogApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(LogView)
        view.append_lines([f"2024-05-01T10:00:00.{i:06d}Z line {i}" for i in range(250)])
        await pilot.pause()
        assert view.line_count == 100 and view.lines()[0] == "line 150"
        assert visible(view)[-1] == "line 249"  # following the tail
        view.focus_lines()
        await pilot.press("up")
        await pilot.pause()
        assert not view.follow
        view.append_lines(["late 1", "late 2", "late 3"])
        await pilot.pause(0.15)  # the status line is redrawn on the 50 ms batch timer
        assert view.new_while_paused == 3 and "late 3" not in visible(view)
        status = "".join(s.text for s in view.query_one(".logview-status").render_line(0))
        assert "PAUSED" in status and "+3 new" in status
        await pilot.press("G")
        await pilot.pause()
        assert view.follow and visible(view)[-1] == "late 3"
        await pilot.press("t")
        await pilot.pause()
        assert visible(view)[-4].startswith("2024-05-01 10:00:00.000 line 249")
        await pilot.press("t", "slash", *"line 24", "enter")
        await pilot.pause()
        assert view.match_count == 10  # line 240..249
        first = view.lines_widget.current_match
        await pilot.press("N")
        await pilot.pause()
        assert view.lines_widget.current_match == first - 1
        await pilot.press("n")
        await pilot.pause()
        assert view.lines_widget.current_match == first
        view.mark("stream dropped")
        path = view.save(tmp_path / "out.log")
        saved = path.read_text().splitlines()
        assert saved[-1] == "-- stream dropped --" and saved[0] == "2024-05-01T10:00:00.000154Z line 154"  # 4 more dropped off


async def test_hostile_text_is_inert_and_wrap_counts_rows() -> None:
    app = LogApp()
    async with app.run_test(size=(40, 12)) as pilot:
        view = app.query_one(LogView)
        view.append_lines(["\x1b]52;c;ZXZpbA==\x07[bold]x[/bold] \x1b[2J" + "y" * 100])
        await pilot.pause()
        shown = view.lines()[0]
        assert "\x1b" not in shown and shown.startswith("[bold]x[/bold] ")
        await pilot.press("w")
        await pilot.pause()
        assert view.lines_widget.virtual_size.height >= 3
        view.clear()
        await pilot.pause()
        assert view.line_count == 0


async def test_search_box_closes_on_enter_and_gives_the_rows_back() -> None:
    app = LogApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(LogView)
        view.append_lines([f"line {i} {'error' if i % 7 == 0 else 'ok'}" for i in range(60)])
        view.focus_lines()
        rows_before = view.lines_widget.size.height
        await pilot.press("slash", *"error", "enter")
        await pilot.pause(0.1)
        assert view.match_count == 9
        assert view.query_one(".logview-search").has_class("-hidden")
        assert view.lines_widget.size.height == rows_before and view.lines_widget.has_focus
        status = "".join(s.text for s in view.query_one(".logview-status").render_line(0))
        assert "/error: 9 matches" in status
        await pilot.press("n")  # n / N still jump with the box closed
        assert view.lines_widget.current_match is not None


async def test_log_colours_are_kept_as_styles_and_the_text_stays_inert() -> None:
    """SGR colours from a container render as colours (as `docker logs` shows them); the rest stays inert,
    and search, timestamps and save see the plain text."""
    app = LogApp()
    async with app.run_test(size=(80, 10)) as pilot:
        view = app.query_one(LogView)
        view.queue_lines(["2024-05-01T10:00:00Z \x1b[32mINFO\x1b[0m ready \x1b[1;31mERROR\x1b[0m [b]x[/b]\x1b]0;t\x07"])
        for _ in range(100):  # flushed on the 50 ms batch timer
            if view.line_count:
                break
            await pilot.pause(0.05)
        await pilot.pause()
        assert view.lines() == ["INFO ready ERROR [b]x[/b]"]
        segs = [s for s in view.lines_widget.render_line(0) if s.text.strip()]
        styled = {s.text.strip(): s.style for s in segs}
        assert styled["INFO"].color.number == 2 and styled["ERROR"].color.number == 1 and styled["ERROR"].bold
        assert "ready" in "".join(s.text for s in segs if s.style is None or s.style.color is None)
        await pilot.press("t")  # the timestamp shifts the spans; they stay on their words
        await pilot.pause()
        segs = list(view.lines_widget.render_line(0))
        info = next(s for s in segs if s.text == "INFO")
        assert info.style.color.number == 2
        assert view.search("error") == 1


async def test_copy_the_match_or_the_screen_through_osc52() -> None:
    app = LogApp()
    async with app.run_test(size=(80, 10)) as pilot:
        view = app.query_one(LogView)
        view.append_lines([f"line {i}" for i in range(50)])
        view.focus_lines()
        await pilot.pause()
        await pilot.press("Y")
        rows = view.lines_widget.scrollable_content_region.height
        assert app.clipboard == "\n".join(f"line {i}" for i in range(50 - rows, 50)) + "\n"
        assert view.copy_text()[1] == rows
        view.search("line 7")
        await pilot.pause()
        await pilot.press("Y")
        assert app.clipboard == "line 7\n"
