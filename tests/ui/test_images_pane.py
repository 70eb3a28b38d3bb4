"""The Images pane on the real engine with Pilot at 80x24: lists, remove (Cancel keeps, y removes),
in-use refusal, prune modal figures, container troubleshooting, logs follow, inspect masking."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from fixtures.docker_engine import TEST_LABEL
from fixtures.images_pilot import make_app, screen_text, wait_for
from fixtures.pilot import modal_ready
from gotui.ui.confirm import ConfirmModal
from gotui.ui.docker_screens import ContainerLogsScreen, InspectScreen
from gotui.ui.logview import LogView
from gotui.ui.panes.images import ImagesPane

pytestmark = [pytest.mark.docker, pytest.mark.timeout(120)]





def select(pane: ImagesPane, ref: str) -> None:
    table = pane.table
    keys = [r.ref for r in pane.image_rows] if pane.view == "images" else [r.name for r in pane.container_rows]
    table.move_cursor(row=keys.index(ref))


def tag_copy(docker_client, source: str, tag: str) -> None:  # noqa: ANN001
    repo, _, t = tag.partition(":")
    docker_client.api.tag(source, repo, t)


async def test_remove_image_through_the_modal(docker_client, busybox_image, tmp_path: Path) -> None:  # noqa: ANN001
    tag_copy(docker_client, busybox_image, "gotui-test/remove:me")
    app, pane = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: any(r.ref == "gotui-test/remove:me" for r in pane.image_rows), "image listed")
        assert app.status_bar.docker_host == pane.source.host
        select(pane, "gotui-test/remove:me")  # the cursor brings it on screen, however many images the engine has
        await wait_for(pilot, lambda: "gotui-test/remove:me" in screen_text(app), "image on screen")
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: modal_ready(app), "the modal")
        assert "docker image rm gotui-test/remove:me" in screen_text(app)
        await pilot.press("n")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmModal), "modal closed")
        await pilot.pause(0.3)
        docker_client.api.inspect_image("gotui-test/remove:me")  # Cancel kept it
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: modal_ready(app), "the modal again")
        await pilot.press("y")
        await wait_for(pilot, lambda: not any(r.ref == "gotui-test/remove:me" for r in pane.image_rows), "row gone (events)")
        assert not any("gotui-test/remove:me" in (i.get("RepoTags") or []) for i in docker_client.api.images())
    log = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert [e["outcome"] for e in log] == ["cancelled", "started", "ok"]  # "started" is written before the change
    assert log[-1]["action"] == "remove image" and log[-1]["target"] == "gotui-test/remove:me"


def build_unique(docker_client, base: str, tag: str, tmp_path: Path) -> None:  # noqa: ANN001
    """An image with an id of its own (one tag only), so removing that tag would delete it."""
    ctx = tmp_path / "unique-ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(f"FROM {base}\nLABEL gotui.test=1 gotui.unique={tag}\n")
    for chunk in docker_client.api.build(path=str(ctx), tag=tag, rm=True, decode=True):
        assert "errorDetail" not in chunk, chunk


async def test_removing_one_of_several_tags_is_an_untag(docker_client, busybox_image, run_container, tmp_path: Path) -> None:  # noqa: ANN001
    """`docker rmi repo:tag` of an image with another tag only untags: containers are no reason to refuse."""
    tag_copy(docker_client, busybox_image, "gotui-test/extra:tag")
    run_container("true", start=False)  # a container of the same image id
    app, pane = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: any(r.ref == "gotui-test/extra:tag" and r.containers for r in pane.image_rows), "listed")
        select(pane, "gotui-test/extra:tag")
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: modal_ready(app), "the modal")
        await pilot.press("y")
        await wait_for(pilot, lambda: not any(r.ref == "gotui-test/extra:tag" for r in pane.image_rows), "tag gone")
    docker_client.api.inspect_image(busybox_image)  # the image itself stays


async def test_image_in_use_is_refused_with_the_reason(docker_client, busybox_image, run_container, tmp_path: Path) -> None:  # noqa: ANN001
    build_unique(docker_client, busybox_image, "gotui-test/inuse:1", tmp_path)
    cid = docker_client.api.create_container("gotui-test/inuse:1", ["true"], labels=TEST_LABEL,
                                             host_config=docker_client.api.create_host_config(network_mode="none"),
                                             name="gotui-test-inuse")["Id"]
    try:
        app, pane = make_app(tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: any(r.ref == "gotui-test/inuse:1" and r.containers for r in pane.image_rows), "listed")
            select(pane, "gotui-test/inuse:1")
            await pilot.press("ctrl+d")
            await pilot.pause(0.3)
            assert not isinstance(app.screen, ConfirmModal)
            notes = [n.message for n in app._notifications]
            assert any("is used by 1 container(s): gotui-test-inuse" in m and "force" in m for m in notes)
            await pilot.press("F")
            await wait_for(pilot, lambda: modal_ready(app), "force modal")
            assert "--force" in screen_text(app)
            await pilot.press("n")
            await pilot.pause(0.2)
        docker_client.api.inspect_image("gotui-test/inuse:1")
    finally:
        docker_client.api.remove_container(cid, force=True)


async def test_prune_modal_shows_count_and_bytes(docker_client, busybox_image, tmp_path: Path) -> None:  # noqa: ANN001
    from fixtures.docker_engine import BASE_DOCKERFILE, make_context

    # a dangling image: build twice with the same tag and different content
    for n in (1, 2):
        ctx = make_context(tmp_path / f"d{n}", BASE_DOCKERFILE + f"RUN echo {n} > /n{n}\n")
        for _ in docker_client.api.build(path=str(ctx), tag="gotui-test/dangle:1", labels=TEST_LABEL, rm=True, decode=True):
            pass
    dangling = docker_client.api.images(filters={"dangling": True})
    assert dangling
    # a dangling image that some container (maybe not ours) still uses is not pruned, nor counted
    used = {c["ImageID"] for c in docker_client.api.containers(all=True)}
    dangling = [i for i in dangling if i["Id"] not in used]
    app, pane = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: pane.refreshes > 0, "first list")
        await pilot.press("x")
        await wait_for(pilot, lambda: modal_ready(app) and not app.screen.checking, "prune modal counted")
        text = screen_text(app)
        assert f"{len(dangling)} dangling image(s) will be removed, freeing up to" in text
        assert "docker image prune --force" in text
        await pilot.press("n")
        await pilot.pause(0.2)
        assert docker_client.api.images(filters={"dangling": True})
        await pilot.press("x")
        await wait_for(pilot, lambda: modal_ready(app), "prune modal again")
        await pilot.press("y")
        victims = {i["Id"] for i in dangling}
        await wait_for(pilot, lambda: not victims & {i["Id"] for i in docker_client.api.images(filters={"dangling": True})}, "pruned")
        await wait_for(pilot, lambda: not any(r.dangling and r.image_id in victims for r in pane.image_rows), "pane updated")


async def test_exited_container_troubleshooting_and_logs(docker_client, run_container, tmp_path: Path) -> None:  # noqa: ANN001
    cid = run_container("echo first line; echo second line; echo third line; exit 42", name="gotui-test-exit42")
    docker_client.api.wait(cid, timeout=30)
    app, pane = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await wait_for(pilot, lambda: any(r.name == "gotui-test-exit42" for r in pane.container_rows), "container listed")
        select(pane, "gotui-test-exit42")
        row = pane.selected_container()
        assert row.exit_code == 42 and row.state == "exited"
        await wait_for(pilot, lambda: "third line" in str(pane.details_renderable), "troubleshooting details", 10)
        text = str(pane.details_renderable)
        assert "exit code  42" in text and "OOMKilled  no" in text and "finished" in text
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, ContainerLogsScreen), "logs screen")
        logs = app.screen
        await wait_for(pilot, lambda: logs.ended, "log stream end")
        await pilot.pause(0.2)
        view = logs.query_one(LogView)
        assert view.lines()[:3] == ["first line", "second line", "third line"]
        assert "container exited with code 42" in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ContainerLogsScreen), "back")


async def test_logs_follow_a_running_container(docker_client, run_container, tmp_path: Path) -> None:  # noqa: ANN001
    run_container("i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.05; done", name="gotui-test-ticker")
    app, pane = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await wait_for(pilot, lambda: any(r.name == "gotui-test-ticker" for r in pane.container_rows), "listed")
        select(pane, "gotui-test-ticker")
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, ContainerLogsScreen), "logs screen")
        view = app.screen.query_one(LogView)
        await wait_for(pilot, lambda: view.line_count >= 5, "first lines")
        before = view.line_count
        await wait_for(pilot, lambda: view.line_count >= before + 10, "followed lines")
        last = view.lines()[-1]
        assert last.startswith("tick ") and "tick" in screen_text(app)
        await pilot.press("escape")


async def test_inspect_masks_secrets_and_reveals_one(docker_client, run_container, tmp_path: Path) -> None:  # noqa: ANN001
    run_container("sleep 30", env={"DB_PASSWORD": "hunter2-secret", "API_TOKEN": "tok-123", "MODE": "blue"},
                  name="gotui-test-env")
    app, pane = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await wait_for(pilot, lambda: any(r.name == "gotui-test-env" for r in pane.container_rows), "listed")
        select(pane, "gotui-test-env")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, InspectScreen), "inspect")
        screen = app.screen
        await wait_for(pilot, lambda: "MODE" in screen_text(app), "env shown")
        text = screen_text(app)
        assert "hunter2-secret" not in text and "tok-123" not in text and "blue" in text and "••••" in text
        table = screen.query_one("#inspect-env")
        names = [k.value for k in table.rows]
        table.move_cursor(row=names.index("DB_PASSWORD"))
        await pilot.press("v")
        await pilot.pause(0.2)
        text = screen_text(app)
        assert "hunter2-secret" in text and "tok-123" not in text
        await pilot.press("escape")


async def test_logs_resume_after_the_container_restarts(docker_client, run_container, tmp_path: Path) -> None:  # noqa: ANN001
    """`docker restart` ends the log stream: the screen marks it, reconnects, and shows no line twice."""
    cid = run_container("i=0; while true; do i=$((i+1)); echo beat $i; sleep 0.1; done", name="gotui-test-beat")
    app, pane = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await wait_for(pilot, lambda: any(r.name == "gotui-test-beat" for r in pane.container_rows), "listed")
        select(pane, "gotui-test-beat")
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, ContainerLogsScreen), "logs screen")
        view = app.screen.query_one(LogView)
        await wait_for(pilot, lambda: view.line_count >= 5, "first lines")
        docker_client.api.restart(cid, timeout=0)
        await wait_for(pilot, lambda: any("log stream resumed" in line for line in view.lines()), "resumed marker", 30)
        resumed_at = next(i for i, line in enumerate(view.lines()) if "log stream resumed" in line)
        await wait_for(pilot, lambda: len(view.lines()) > resumed_at + 5, "lines after the restart", 30)
        beats = [int(line.rsplit(" ", 1)[1]) for line in view.lines() if line.startswith("beat ")]
        runs: list[list[int]] = []
        for n in beats:  # the restarted shell counts from 1 again: one run per start
            if n == 1 or not runs:
                runs.append([])
            runs[-1].append(n)
        assert len(runs) == 2, runs
        for run in runs:  # within a run no line is repeated or lost across the reconnect
            assert run == list(range(run[0], run[0] + len(run))), run
        assert not app.screen.ended  # still following the restarted container
        await pilot.press("escape")


async def test_log_range_keys_on_a_container(docker_client, run_container, tmp_path: Path) -> None:  # noqa: ANN001
    """`0` the tail (5 here), `1` all the buffer keeps, `2` the last minute: each reloads the stream."""
    cid = run_container("for i in $(seq 1 40); do echo old $i; done; sleep 300", name="gotui-test-range")
    deadline = time.monotonic() + 20
    while b"old 40" not in docker_client.api.logs(cid) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    app, pane = make_app(tmp_path, log_tail_lines=5, log_buffer_lines=100)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("c")
        await wait_for(pilot, lambda: any(r.name == "gotui-test-range" for r in pane.container_rows), "listed")
        select(pane, "gotui-test-range")
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, ContainerLogsScreen), "logs screen")
        view = app.screen.query_one(LogView)
        await wait_for(pilot, lambda: view.line_count == 5, "the tail of 5")
        assert view.lines()[0] == "old 36" and "tail 5" in screen_text(app)
        await pilot.press("1")
        await wait_for(pilot, lambda: view.line_count == 40, "all 40 lines")
        assert view.lines()[0] == "old 1" and "tail 100" in view.state_note
        await pilot.pause(0.3)
        assert view.line_count == 40 and not any("reconnecting" in line for line in view.lines())
        await pilot.press("2")
        await wait_for(pilot, lambda: "last 1m" in view.state_note, "the last minute")
        await wait_for(pilot, lambda: view.line_count == 40, "the 40 lines of the last minute")
        await pilot.press("0")
        await wait_for(pilot, lambda: view.line_count == 5 and "tail 5" in view.state_note, "the tail again")
        await pilot.press("escape")
