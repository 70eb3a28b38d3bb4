"""The engine events screen (`E`) on the real engine with Pilot at 80x24: newest first, filter,
bounded buffer."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from fixtures.docker_engine import TEST_LABEL
from fixtures.images_pilot import make_app, screen_text, wait_for
from gotui.ui.docker.events import EventsScreen

pytestmark = [pytest.mark.docker, pytest.mark.timeout(120)]


@pytest.fixture
def volume_names(docker_client):  # noqa: ANN001, ANN201
    made: list[str] = []
    yield made
    for name in made:
        try:
            docker_client.api.remove_volume(name, force=True)
        except Exception:  # noqa: BLE001
            pass


async def test_events_newest_first_and_filter(docker_client, volume_names, run_container, tmp_path: Path) -> None:  # noqa: ANN001
    tag = uuid.uuid4().hex[:6]
    # an exec with a long command first: its "exec_start: sh -c …" events had a 40-column action that,
    # at 80 columns, pushed the actor column off the screen (even once filtered away: widths only grew)
    cid = run_container("sleep 60")
    exec_id = docker_client.api.exec_create(cid, ["sh", "-c", "echo " + "long-argument-" * 6])["Id"]
    docker_client.api.exec_start(exec_id)
    before = f"gotui-test-before-{tag}"
    volume_names.append(before)
    docker_client.api.create_volume(before, labels=TEST_LABEL)  # before the screen opens: replayed
    app, pane = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: pane.refreshes > 0, "pane loaded")
        await pilot.press("E")
        await wait_for(pilot, lambda: isinstance(app.screen, EventsScreen) and app.screen.connected, "events screen")
        screen = app.screen
        await wait_for(pilot, lambda: any(r.actor == before for r in screen.buffer.newest_first()), "recent history")
        for i in range(2):
            name = f"gotui-test-ev{i}-{tag}"
            volume_names.append(name)
            docker_client.api.create_volume(name, labels=TEST_LABEL)
        ev1 = f"gotui-test-ev1-{tag}"
        await wait_for(pilot, lambda: any(r.actor == ev1 for r in screen.buffer.newest_first()), "the event", timeout=45)
        # (only this test's volumes: a test on the other worker makes events on the same engine, and may push
        # these rows below the screen's bottom)
        actors = [r.actor for r in screen.buffer.newest_first() if r.type == "volume" and r.actor.endswith(tag)]
        assert actors[:3] == [ev1, f"gotui-test-ev0-{tag}", before]  # newest first
        await pilot.press("slash", *tag, "enter")
        await wait_for(pilot, lambda: screen.table.row_count == 3, "filtered to this test's rows")
        table_rows = [[str(c) for c in screen.table.get_row_at(i)] for i in range(3)]
        assert [r[1:4] for r in table_rows] == [["volume", "create", a] for a in actors[:3]]
        await wait_for(pilot, lambda: all(a in screen_text(app) for a in actors[:3]), "the three rows painted whole")
        execs = [r for r in screen.buffer.newest_first() if r.actor_id == cid[:12] and r.action == "exec_start"]
        assert execs and "long-argument-long-argument" in execs[0].attributes  # the command: a detail
        await pilot.press("escape")
        await wait_for(pilot, lambda: not screen.filter_text, "filter cleared")
        await pilot.press("slash", *f"ev0-{tag}", "enter")
        await wait_for(pilot, lambda: screen.table.row_count == 1, "filtered to one row")
        await wait_for(pilot, lambda: f"gotui-test-ev0-{tag}" in screen_text(app), "the row painted whole")
        assert f"gotui-test-ev1-{tag}" not in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen.table.row_count >= 2 and not screen.filter_text, "filter cleared")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, EventsScreen), "back to the pane")


async def test_events_buffer_is_bounded(docker_client, volume_names, tmp_path: Path) -> None:  # noqa: ANN001
    app, pane = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: pane.refreshes > 0, "pane loaded")
        screen = EventsScreen(pane.source, kept=5)
        app.push_screen(screen)
        await wait_for(pilot, lambda: screen.connected, "stream open")
        tag = uuid.uuid4().hex[:6]
        for i in range(8):
            name = f"gotui-test-b{i}-{tag}"
            volume_names.append(name)
            docker_client.api.create_volume(name, labels=TEST_LABEL)
        await wait_for(pilot, lambda: any(r.actor == f"gotui-test-b7-{tag}" for r in screen.buffer.newest_first()), "last event")
        await wait_for(pilot, lambda: screen.table.row_count == 5, "five rows")
        assert screen.buffer.total >= 8 and len(screen.buffer) == 5
        assert "5 kept (last 5)" in screen_text(app)
