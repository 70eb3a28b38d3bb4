"""When the cluster goes away the panes keep their last rows, dimmed, and say since when; they come
back by themselves when it returns (real sandbox, stopped and started again on the same port)."""

from __future__ import annotations

import pytest

from fixtures.pilot import make_settings, until
from fixtures.sandbox import start_sandbox
from gotui.ui.app import GotuiApp

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(120)]


def dimmed(table) -> bool:
    segs = [seg for seg in table.render_line(2) if seg.text.strip()]
    return bool(segs) and all(seg.style is not None and seg.style.dim for seg in segs)


def status(pane) -> str:
    return str(pane.query_one("#pane-status").render())


async def test_rows_go_stale_while_reconnecting_and_recover(fresh_sandbox, tmp_path, tmp_path_factory):
    sb = fresh_sandbox("quiet")
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        pods = app.pane("pods")
        await until(pilot, lambda: len(pods.rows) >= 6, what="pods listed")
        assert not pods.has_class("-stale") and not dimmed(pods.table)
        count = len(pods.rows)
        sb.stop()
        await until(pilot, lambda: pods.has_class("-stale"), timeout=30, what="pods rows marked stale")
        text = status(pods)
        assert "reconnecting" in text and "rows as of" in text, text
        assert len(pods.rows) == count  # the last rows stay on screen, dimmed
        assert dimmed(pods.table)
        await pilot.press("4")
        releases = app.pane("releases")
        await until(pilot, lambda: releases.has_class("-stale") and "rows as of" in status(releases),
                    what="releases marked stale")
        back = start_sandbox(tmp_path_factory.mktemp("sandbox-back"), "quiet", port=sb.port)
        try:
            await until(pilot, lambda: not releases.has_class("-stale"), timeout=60, what="releases fresh again")
            await pilot.press("2")
            await until(pilot, lambda: not pods.has_class("-stale") and "rows as of" not in status(pods),
                        timeout=60, what="pods fresh again")
            assert len(pods.rows) >= 6 and not dimmed(pods.table)
        finally:
            back.stop()
