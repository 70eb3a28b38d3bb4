"""Space marks rows in the Images pane; stop/remove act on every marked row with ONE dialog listing
them; marks survive a refresh; Esc clears them (real engine, Pilot at 80x24, keys in bursts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fixtures.images_pilot import make_app, screen_text, wait_for
from fixtures.pilot import modal_ready
from gotui.ui.confirm import ConfirmModal

pytestmark = [pytest.mark.docker, pytest.mark.timeout(120)]


def select_name(pane, name: str) -> None:  # noqa: ANN001
    pane.table.move_cursor(row=[r.name for r in pane.container_rows].index(name))


async def test_marked_containers_stop_with_one_dialog_and_marks_survive_refresh(
        docker_client, run_container, tmp_path: Path) -> None:  # noqa: ANN001
    names = [f"gotui-test-mark-{i}-{tmp_path.name[-6:]}".lower() for i in range(3)]
    ids = [run_container("sleep 300", name=n) for n in names]
    app, pane = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await wait_for(pilot, lambda: all(n in [r.name for r in pane.container_rows] for n in names), "listed")
        select_name(pane, names[0])
        await pilot.press("space")
        select_name(pane, names[1])
        await pilot.press("space")
        assert pane.marks["containers"] == {ids[0], ids[1]}
        await wait_for(pilot, lambda: "2 marked" in screen_text(app), "marks counted")
        assert "● " in screen_text(app)
        # a refresh (an engine event: a new container) keeps the marks
        before = pane.refreshes
        run_container("true", start=False)
        await wait_for(pilot, lambda: pane.refreshes > before, "a refresh")
        assert pane.marks["containers"] == {ids[0], ids[1]}
        await pilot.press("ctrl+k", "n")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmModal), "cancelled")
        await pilot.press("ctrl+k")
        await wait_for(pilot, lambda: modal_ready(app), "one dialog")
        shown = screen_text(app)
        modal = app.screen
        assert names[0] in shown and names[1] in shown and names[2] not in shown
        assert "2 containers" in shown
        await pilot.press("y")
        await wait_for(pilot, lambda: app.screen is not modal, "dialog closed")
        await wait_for(pilot, lambda: all(docker_client.api.inspect_container(i)["State"]["Status"] == "exited"
                                          for i in ids[:2]), "both stopped", timeout=40)
        assert docker_client.api.inspect_container(ids[2])["State"]["Status"] == "running"
        # Esc clears the marks
        await pilot.press("escape")
        assert pane.marks["containers"] == set()
        await wait_for(pilot, lambda: "marked" not in screen_text(app), "marks gone from the status line")
    entries = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    log = [e for e in entries if e["outcome"] != "started"]  # the gate writes "started" before each run
    ran = [e for e in log if e["outcome"] not in ("cancelled",) and not e["outcome"].startswith("refused")]
    assert len(entries) - len(log) == len(ran), entries
    assert [(e["outcome"], e["action"]) for e in log] == [("cancelled", "stop containers"), ("ok", "stop containers")]


async def test_marked_images_remove_with_one_dialog(docker_client, busybox_image, tmp_path: Path) -> None:  # noqa: ANN001
    refs = [f"gotui-test/marked:{i}" for i in range(2)]
    for ref in refs:
        repo, _, tag = ref.partition(":")
        docker_client.api.tag(busybox_image, repo, tag)
    app, pane = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: all(r in [x.ref for x in pane.image_rows] for r in refs), "listed")
        for ref in refs:
            pane.table.move_cursor(row=[x.ref for x in pane.image_rows].index(ref))
            await pilot.press("space")
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: modal_ready(app), "one dialog")
        text = screen_text(app)
        assert all(r in text for r in refs) and "2 images" in text
        await pilot.press("y")
        await wait_for(pilot, lambda: not any(r in [x.ref for x in pane.image_rows] for r in refs), "both gone")
        assert pane.marks["images"] == set()
    tags = {t for i in docker_client.api.images() for t in (i.get("RepoTags") or [])}
    assert not tags & set(refs)
    assert busybox_image in tags  # only the marked tags went
