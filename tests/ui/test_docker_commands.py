"""Custom commands from the config (`docker_commands:`) in the Images pane, on the real engine:
placeholders substituted, output shown, `confirm: true` through the dialog, taken keys refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fixtures.images_pilot import make_app, screen_text, wait_for
from fixtures.pilot import modal_ready
from gotui.ui.docker.output import CommandOutputScreen
from gotui.ui.logview import LogView

pytestmark = [pytest.mark.docker, pytest.mark.timeout(120)]

COMMANDS = [
    {"name": "show", "key": "T", "command": "echo got {{.Name}} {{ .Image }}; echo id={{.ID}}", "confirm": False,
     "scope": "containers"},
    {"name": "careful", "key": "K", "command": "echo careful-ran {{.Name}}; exit 3", "confirm": True,
     "scope": "containers"},
    {"name": "clash", "key": "c", "command": "true", "confirm": False, "scope": "containers"},
]


async def test_custom_commands(run_container, tmp_path: Path) -> None:  # noqa: ANN001
    name = f"gotui-test-cmd-{tmp_path.name[-6:]}".lower()
    cid = run_container("sleep 300", name=name)
    app, pane = make_app(tmp_path, docker_commands=COMMANDS)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await wait_for(pilot, lambda: name in [r.name for r in pane.container_rows], "listed")
        assert any("'c' is taken" in n.message for n in app._notifications)
        pane.table.move_cursor(row=[r.name for r in pane.container_rows].index(name))
        await pilot.press("T")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandOutputScreen) and app.screen.exit_code is not None,
                       "output screen, finished")
        lines = app.screen.query_one(LogView).lines()
        assert any(f"got {name} gotui-test/busybox:" in line for line in lines), lines
        assert f"id={cid}" in "\n".join(lines)
        await pilot.press("q")
        await wait_for(pilot, lambda: not isinstance(app.screen, CommandOutputScreen), "back")
        # confirm: true -> the dialog; n runs nothing
        await pilot.press("K", "n")
        await pilot.pause(0.5)
        assert not isinstance(app.screen, CommandOutputScreen)
        await pilot.press("K")
        await wait_for(pilot, lambda: modal_ready(app), "dialog")
        assert f"echo careful-ran {name}; exit 3" in screen_text(app)
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandOutputScreen) and app.screen.exit_code == 3,
                       "ran, exit 3")
        assert "exited with code 3" in screen_text(app)
    entries = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    log = [e for e in entries if e["outcome"] != "started"]  # the gate writes "started" before each run
    ran = [e for e in log if e["outcome"] not in ("cancelled",) and not e["outcome"].startswith("refused")]
    assert len(entries) - len(log) == len(ran), entries
    assert [(e["action"], e["outcome"][:5]) for e in log] == [
        ("run docker-command", "ok"), ("run docker-command", "cance"), ("run docker-command", "error")]


async def test_custom_command_refused_in_readonly_mode(run_container, tmp_path: Path) -> None:  # noqa: ANN001
    name = f"gotui-test-ro-{tmp_path.name[-6:]}".lower()
    run_container("sleep 300", name=name)
    app, pane = make_app(tmp_path, docker_commands=COMMANDS[:1], readonly=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await wait_for(pilot, lambda: name in [r.name for r in pane.container_rows], "listed")
        pane.table.move_cursor(row=[r.name for r in pane.container_rows].index(name))
        await pilot.press("T")
        await wait_for(pilot, lambda: any("read-only" in n.message for n in app._notifications), "refusal")
        assert not isinstance(app.screen, CommandOutputScreen)


async def test_image_scope_command(busybox_image, tmp_path: Path) -> None:  # noqa: ANN001
    cmds = [{"name": "img", "key": "Z", "command": "echo img={{.Name}} id={{.ID}}", "confirm": False, "scope": "images"}]
    app, pane = make_app(tmp_path, docker_commands=cmds)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: busybox_image in [r.ref for r in pane.image_rows], "listed")
        row = next(r for r in pane.image_rows if r.ref == busybox_image)
        pane.table.move_cursor(row=pane.image_rows.index(row))
        await pilot.press("Z")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandOutputScreen) and app.screen.exit_code == 0, "ran")
        assert f"img={busybox_image} id={row.image_id}" in app.screen.query_one(LogView).lines()
        # on the containers view an images command says where to go
        await pilot.press("q", "c", "Z")
        await wait_for(pilot, lambda: any("switch to images" in n.message for n in app._notifications), "hint")
