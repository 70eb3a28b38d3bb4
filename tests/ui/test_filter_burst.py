"""Keys that arrive in one burst after Enter in a pane's filter bar (typing `/name⏎s` over SSH) go
to the table, not into the filter: Textual moves the focus only after the keys are queued."""

from __future__ import annotations

from pathlib import Path

from textual import events

from fixtures.images_pilot import make_app, wait_for


async def test_keys_after_enter_in_the_same_burst_reach_the_table(tmp_path: Path) -> None:
    app, pane = make_app(tmp_path, docker_host=f"unix://{tmp_path}/no-docker.sock")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: pane.table.has_focus, "the table focused")
        await pilot.press("slash")
        await wait_for(pilot, lambda: pane.query_one("#pane-filter").has_focus, "the filter bar focused")
        for key, char in (("x", "x"), ("enter", "\r"), ("c", "c")):  # one burst: no pause between them
            app.post_message(events.Key(key, char))
        await wait_for(pilot, lambda: pane.view == "containers", "`c` after Enter toggled the view")
        assert pane.filter_text == "x"
        assert pane.table.has_focus
