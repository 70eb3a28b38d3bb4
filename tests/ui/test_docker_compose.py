"""Compose projects (`P`) grouped by their labels, on the real engine with Pilot at 80x24:
stop / start / down of a whole project behind one dialog listing its containers; `U` says clearly
when the compose CLI is missing."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from fixtures.docker_engine import TEST_LABEL, stoppable
from fixtures.images_pilot import make_app, screen_text, wait_for
from fixtures.pilot import modal_ready
from gotui.ops import docker_compose as dc
from gotui.ui.docker.compose import ComposeScreen

pytestmark = [pytest.mark.docker, pytest.mark.timeout(150)]


@pytest.fixture
def compose_project(docker_client, busybox_image):  # noqa: ANN001, ANN201
    """Three running containers carrying compose labels: services web (x2) and db of one project."""
    project = f"gotuitest{uuid.uuid4().hex[:6]}"
    ids = []
    for service, n in (("web", 1), ("web", 2), ("db", 1)):
        labels = {**TEST_LABEL, dc.PROJECT: project, dc.SERVICE: service, dc.NUMBER: str(n),
                  dc.CONFIG_FILES: f"/srv/{project}/compose.yaml", dc.WORKING_DIR: f"/srv/{project}"}
        hc = docker_client.api.create_host_config(network_mode="none")
        c = docker_client.api.create_container(busybox_image, stoppable("sleep 300"), labels=labels, host_config=hc,
                                               name=f"{project}-{service}-{n}")
        docker_client.api.start(c["Id"])
        ids.append(c["Id"])
    yield project, ids
    for cid in ids:
        try:
            docker_client.api.remove_container(cid, force=True)
        except Exception:  # noqa: BLE001 - `down` removed it
            pass


def states(client, ids: list[str]) -> list[str]:  # noqa: ANN001
    out = []
    for cid in ids:
        try:
            out.append(client.api.inspect_container(cid)["State"]["Status"])
        except Exception:  # noqa: BLE001
            out.append("gone")
    return out


async def test_project_stop_start_down_behind_one_dialog(docker_client, compose_project, tmp_path: Path) -> None:  # noqa: ANN001
    project, ids = compose_project
    app, pane = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: pane.refreshes > 0, "pane loaded")
        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposeScreen) and app.screen.loaded, "compose screen")
        screen = app.screen
        keys = [k.value for k in screen.table.rows]
        header = f"p:{project}"
        assert header in keys
        # the header row, then its three containers (services sorted: db, web, web)
        at = keys.index(header)
        assert [k.split(":")[1] for k in keys[at:at + 4]] == [project] * 4
        screen.table.move_cursor(row=at)
        await wait_for(pilot, lambda: f"▾ {project}" in screen_text(app) and "3/3 up" in screen_text(app), "header")
        # stop: one dialog naming every container; n keeps them running
        await pilot.press("ctrl+k", "n")
        await wait_for(pilot, lambda: app.screen is screen, "cancelled")
        assert states(docker_client, ids) == ["running"] * 3
        await pilot.press("ctrl+k")
        await wait_for(pilot, lambda: modal_ready(app), "dialog")
        text = screen_text(app)
        assert all(f"{project}-{s}" in text for s in ("web-1", "web-2", "db-1")), text
        await pilot.press("y")
        await wait_for(pilot, lambda: states(docker_client, ids) == ["exited"] * 3, "project stopped", timeout=40)
        await wait_for(pilot, lambda: "0/3 up" in screen_text(app), "header updated (events)")
        # start it again
        screen.table.move_cursor(row=[k.value for k in screen.table.rows].index(header))
        await pilot.press("S")
        await wait_for(pilot, lambda: modal_ready(app), "start dialog")
        await pilot.press("y")
        await wait_for(pilot, lambda: states(docker_client, ids) == ["running"] * 3, "project started", timeout=40)
        # down: stop + remove every container of the project
        screen.table.move_cursor(row=[k.value for k in screen.table.rows].index(header) + 2)  # a container row
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: modal_ready(app), "down dialog")
        assert "REMOVED" in screen_text(app)
        await pilot.press("y")
        await wait_for(pilot, lambda: states(docker_client, ids) == ["gone"] * 3, "project down", timeout=60)
        await wait_for(pilot, lambda: header not in [k.value for k in screen.table.rows], "project row gone")
    entries = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    log = [e for e in entries if e["outcome"] != "started"]  # the gate writes "started" before each run
    ran = [e for e in log if e["outcome"] not in ("cancelled",) and not e["outcome"].startswith("refused")]
    assert len(entries) - len(log) == len(ran), entries
    assert [(e["outcome"], e["action"]) for e in log] == [
        ("cancelled", "stop compose-project"), ("ok", "stop compose-project"),
        ("ok", "start compose-project"), ("ok", "down compose-project")]


async def test_up_without_compose_cli_says_so(compose_project, tmp_path: Path) -> None:  # noqa: ANN001
    if dc.compose_cli() is not None:
        pytest.skip("a compose CLI is installed here")
    project, _ = compose_project
    app, pane = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: pane.refreshes > 0, "pane loaded")
        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposeScreen) and app.screen.loaded, "compose screen")
        screen = app.screen
        screen.table.move_cursor(row=[k.value for k in screen.table.rows].index(f"p:{project}"))
        await pilot.press("U")
        await wait_for(pilot, lambda: any("docker compose" in n.message for n in app._notifications), "the message")
        assert any("not installed" in n.message for n in app._notifications)
