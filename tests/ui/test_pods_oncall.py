"""On-call checks of the Pods pane at 80x24 against the sandbox: what a crashing pod looks like at a glance,
and the full-screen describe (containers, last termination, events) reachable by keyboard."""

from __future__ import annotations

import pytest

from fixtures.pilot import make_settings, until
from gotui.ui.app import GotuiApp

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(120)]





def table_lines(table) -> list[str]:
    return [table.render_line(y).text for y in range(table.size.height)]


def crashing_key(pane):
    return next((k for k, r in pane.rows.items() if r.status == "CrashLoopBackOff"), None)


async def test_crashloop_status_is_not_cut_at_80x24(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("default")
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        pane = app.pane("pods")
        key = await until(pilot, lambda: crashing_key(pane), what="a CrashLoopBackOff pod")
        pane.table.move_to(key)
        # the status flips between CrashLoopBackOff and Running as the container restarts: wait for the
        # row to be drawn while it crash-loops (a cut status would never match)
        line = await until(pilot, lambda: next((t for t in table_lines(pane.table) if key[1] in t and "CrashLoopBackOff" in t), None),
                           what=f"{key[1]}'s row showing CrashLoopBackOff whole")
        assert "CrashLoopBackOff" in line, line
        # the name stays whole too
        assert all(k[1] in "\n".join(table_lines(pane.table)) for k in pane.shown)


async def test_describe_screen_shows_why_it_crashes(fresh_sandbox, tmp_path):
    from gotui.ui.pod_details import DescribeScreen

    sb = fresh_sandbox("default")
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        pane = app.pane("pods")
        key = await until(pilot, lambda: crashing_key(pane), what="a CrashLoopBackOff pod")
        pane.table.focus()
        pane.table.move_to(key)
        await pilot.press("d")
        screen = await until(pilot, lambda: isinstance(app.screen, DescribeScreen) and app.screen, what="describe screen")
        text = screen.body_text()
        assert key[1] in text
        # the last termination of the crashing container, as kubectl describe lays it out
        assert "Last State:  Terminated" in text and "Reason:     Error" in text and "Exit Code:  2" in text, text
        assert "BackOff" in text  # its events
        # live: the restart count follows the cluster while the screen is open
        restarts = pane.rows[key].restarts
        await until(pilot, lambda: pane.rows[key].restarts > restarts, what="another restart")
        await until(pilot, lambda: f"Restarts   {pane.rows[key].restarts}" in screen.body_text(), what="live describe")
        # it scrolls by keyboard, and Escape goes back to the table with the same pod selected
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, DescribeScreen), what="closed")
        assert pane.table.cursor_key == key
        # Enter on a row opens it too
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DescribeScreen), what="describe on enter")
        await pilot.press("q")
