"""Volumes and networks screen (`V`, `v` switches) on the real engine, Pilot at 80x24: list with
users, inspect, remove through the dialog (`n` keeps, `y` removes), in-use refusal, marks, prune."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from fixtures.docker_engine import TEST_LABEL
from fixtures.images_pilot import make_app, screen_text, wait_for
from fixtures.pilot import modal_ready
from gotui.ui.confirm import ConfirmModal
from gotui.ui.docker.volumes import VolumesScreen

pytestmark = [pytest.mark.docker, pytest.mark.timeout(120)]


@pytest.fixture
def volumes(docker_client):  # noqa: ANN001, ANN201
    made: list[str] = []

    def make(name: str | None = None) -> str:
        name = name or f"gotui-test-vol-{uuid.uuid4().hex[:8]}"
        docker_client.api.create_volume(name, labels=TEST_LABEL)
        made.append(name)
        return name

    yield make
    for name in made:
        try:
            docker_client.api.remove_volume(name, force=True)
        except Exception:  # noqa: BLE001 - removed by the test
            pass


@pytest.fixture
def networks(docker_client):  # noqa: ANN001, ANN201
    made: list[str] = []

    def make() -> str:
        name = f"gotui-test-net-{uuid.uuid4().hex[:8]}"
        docker_client.api.create_network(name, driver="bridge", labels=TEST_LABEL)
        made.append(name)
        return name

    yield make
    for name in made:
        try:
            docker_client.api.remove_network(name)
        except Exception:  # noqa: BLE001
            pass


def exists_volume(client, name: str) -> bool:  # noqa: ANN001
    return any(v["Name"] == name for v in client.api.volumes().get("Volumes") or [])


def select(screen: VolumesScreen, name: str) -> None:
    keys = [r.key for r in (screen.volumes if screen.kind == "volumes" else screen.networks)]
    screen.table.move_cursor(row=keys.index(name))


async def open_screen(pilot, app) -> VolumesScreen:  # noqa: ANN001
    await pilot.press("V")
    await wait_for(pilot, lambda: isinstance(app.screen, VolumesScreen) and app.screen.loaded, "volumes screen")
    return app.screen


async def test_remove_volume_cancel_keeps_it_y_removes_it(docker_client, volumes, tmp_path: Path) -> None:  # noqa: ANN001
    name = volumes()
    app, pane = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: pane.source is not None and pane.refreshes > 0, "pane loaded")
        screen = await open_screen(pilot, app)
        assert name in [v.key for v in screen.volumes]
        select(screen, name)
        await wait_for(pilot, lambda: name in screen_text(app), "volume on screen")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Mountpoint" in screen_text(app), "inspect shown")
        assert "no container" in screen_text(app)
        await pilot.press("ctrl+d", "n")
        await wait_for(pilot, lambda: app.screen is screen, "dialog cancelled")
        await pilot.pause(0.3)
        assert exists_volume(docker_client, name)
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: modal_ready(app), "dialog")
        assert f"docker volume rm {name}" in screen_text(app)
        await pilot.press("y")
        await wait_for(pilot, lambda: not exists_volume(docker_client, name), "volume removed")
        await wait_for(pilot, lambda: name not in [v.key for v in screen.volumes], "row gone (events)")
    entries = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    log = [e for e in entries if e["outcome"] != "started"]  # the gate writes "started" before each run
    ran = [e for e in log if e["outcome"] not in ("cancelled",) and not e["outcome"].startswith("refused")]
    assert len(entries) - len(log) == len(ran), entries
    assert [(e["outcome"], e["action"], e["target"]) for e in log] == [
        ("cancelled", "remove volume", name), ("ok", "remove volume", name)]


async def test_volume_in_use_is_refused_with_its_users_named(docker_client, busybox_image, volumes,
                                                             tmp_path: Path) -> None:  # noqa: ANN001
    name = volumes()
    cname = f"gotui-test-voluser-{uuid.uuid4().hex[:6]}"
    hc = docker_client.api.create_host_config(network_mode="none", binds={name: {"bind": "/data", "mode": "rw"}})
    docker_client.api.create_container(busybox_image, ["true"], name=cname, labels=TEST_LABEL, host_config=hc)
    try:
        app, pane = make_app(tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: pane.refreshes > 0, "pane loaded")
            screen = await open_screen(pilot, app)
            row = next(v for v in screen.volumes if v.key == name)
            assert row.users == (cname,)
            select(screen, name)
            await pilot.press("ctrl+d")
            await pilot.pause(0.3)
            assert not isinstance(app.screen, ConfirmModal)
            notes = [n.message for n in app._notifications]
            assert any(f"volume {name} is in use by 1 container(s): {cname}" in m and "Remove those containers first" in m
                       for m in notes), notes
            assert exists_volume(docker_client, name)
    finally:
        docker_client.api.remove_container(cname, force=True)


async def test_marked_volumes_removed_with_one_dialog(docker_client, volumes, tmp_path: Path) -> None:  # noqa: ANN001
    names = [volumes(), volumes()]
    app, pane = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: pane.refreshes > 0, "pane loaded")
        screen = await open_screen(pilot, app)
        for n in names:
            select(screen, n)
            await pilot.press("space")
        assert screen.marks == set(names)
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: modal_ready(app), "dialog")
        text = screen_text(app)
        assert all(n in text for n in names) and "2 volumes" in text
        await pilot.press("y")
        await wait_for(pilot, lambda: not any(exists_volume(docker_client, n) for n in names), "both removed")


async def test_network_remove_and_predefined_refusal(docker_client, networks, tmp_path: Path) -> None:  # noqa: ANN001
    name = networks()
    app, pane = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: pane.refreshes > 0, "pane loaded")
        screen = await open_screen(pilot, app)
        await pilot.press("v")
        await wait_for(pilot, lambda: screen.kind == "networks" and name in screen_text(app), "networks listed")
        select(screen, "none")
        await pilot.press("ctrl+d")
        await pilot.pause(0.3)
        assert not isinstance(app.screen, ConfirmModal)
        assert any("predefined" in n.message for n in app._notifications)
        select(screen, name)
        await pilot.press("ctrl+d", "n")
        await wait_for(pilot, lambda: app.screen is screen, "cancelled")
        assert docker_client.api.networks(names=[name])
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: modal_ready(app), "dialog")
        await pilot.press("y")
        await wait_for(pilot, lambda: not [n for n in docker_client.api.networks(names=[name]) if n["Name"] == name],
                       "network removed")
