"""Images pane and Docker screens at 80x24 on the real engine: what a long-time lazydocker / dive
user tripped over (columns cut off, a status line that wrapped, a cancel key the form swallowed,
secrets in the layer history, a forced remove reported as "removed")."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from fixtures.docker_engine import BASE_DOCKERFILE, TEST_LABEL, make_context
from fixtures.images_pilot import make_app, screen_text, wait_for
from fixtures.pilot import modal_ready
from gotui.ui.docker_screens import BuildScreen, InspectScreen

pytestmark = [pytest.mark.docker, pytest.mark.timeout(120)]





def build(docker_client, ctx: Path, tag: str) -> str:  # noqa: ANN001
    image_id = ""
    for chunk in docker_client.api.build(path=str(ctx), tag=tag, rm=True, forcerm=True, decode=True, labels=TEST_LABEL):
        assert "errorDetail" not in chunk, chunk
        image_id = (chunk.get("aux") or {}).get("ID", image_id)
    return image_id


async def test_container_state_and_exit_code_visible_at_80_columns(docker_client, busybox_image, tmp_path: Path) -> None:  # noqa: ANN001
    """A container whose image lost its tag shows `sha256:<64 hex>` as its image; that used to push
    the state and exit columns off an 80-column screen."""
    build(docker_client, make_context(tmp_path / "u", BASE_DOCKERFILE + "LABEL gotui.qa=untagged\n"), "gotui-test/qa-untag:1")
    cid = docker_client.api.create_container(
        "gotui-test/qa-untag:1", ["sh", "-c", "exit 7"], labels=TEST_LABEL, name="gotui-test-qa-exit7",
        host_config=docker_client.api.create_host_config(network_mode="none"))["Id"]
    try:
        docker_client.api.start(cid)
        docker_client.api.wait(cid, timeout=30)
        docker_client.api.remove_image("gotui-test/qa-untag:1", force=True)  # untagged: the container keeps it
        assert docker_client.api.inspect_container(cid)["Config"]["Image"] == "gotui-test/qa-untag:1"
        app, pane = make_app(tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("c")
            await wait_for(pilot, lambda: any(r.name == "gotui-test-qa-exit7" for r in pane.container_rows), "listed")
            # the cursor brings the row on screen, however many containers the engine has
            pane.table.move_cursor(row=[r.name for r in pane.container_rows].index("gotui-test-qa-exit7"))
            await pilot.pause(0.3)
            row = next(line for line in screen_text(app).splitlines() if "gotui-test-qa-exit7" in line)
            assert "exited" in row and " 7 " in row, row
            header = next(line for line in screen_text(app).splitlines() if "name" in line and "state" in line)
            assert header.index("state") < header.index("image")
    finally:
        docker_client.api.remove_container(cid, force=True)


async def test_status_line_fits_80_columns_and_counts_ignore_the_filter(docker_client, busybox_image, tmp_path: Path) -> None:  # noqa: ANN001
    import uuid

    # at least one dangling image: the same tag built twice with different content
    for n in (1, 2):
        build(docker_client, make_context(tmp_path / f"d{n}", BASE_DOCKERFILE + f"RUN echo {uuid.uuid4().hex} > /n\n"),
              "gotui-test/qa-dangle:1")
    assert docker_client.api.images(filters={"dangling": True})
    app, pane = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: pane.refreshes > 0, "first list")
        await pilot.press("o", "D", "slash", *"zzqa-no-such-image", "enter")
        await pilot.pause(0.3)

        def status() -> str:
            return str(pane.query_one("#pane-status").render())

        assert "dangling only" in status() and "/zzqa-no-such-image" in status()
        # not 0: the filter hides rows, not images. Polled: an earlier test's failed or cancelled build can
        # still be leaving an intermediate (dangling) image behind while this one runs.
        await wait_for(pilot, lambda: f"{len(docker_client.api.images(filters={'dangling': True}))} dangling" in status(),
                       "the status to count every dangling image of the engine")
        assert pane.query_one("#pane-status").size.height == 1
        assert len(pane.status_line()) <= 78, pane.status_line()


async def test_build_cancel_works_from_the_form_field(docker_client, busybox_image, tmp_path: Path) -> None:  # noqa: ANN001
    """ctrl+x is `cut` in a Textual Input: the screen's cancel must take priority, or a build
    started from the field you just typed in cannot be cancelled."""
    ctx = make_context(tmp_path / "slow", BASE_DOCKERFILE + f"RUN echo slow-step-{time.time_ns()} && sleep 20\n")
    app, pane = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: pane.refreshes > 0, "first list")
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, BuildScreen), "build screen")
        screen = app.screen
        screen.query_one("#build-context").value = str(ctx)
        screen.query_one("#build-tag").value = "gotui-test/qa-cancel:1"
        screen.query_one("#build-tag").focus()
        await pilot.pause(0.1)
        await pilot.press("ctrl+b")
        await wait_for(pilot, lambda: "slow-step-" in "\n".join(screen.query_one("#build-log").lines()), "the slow step", 60)
        assert app.focused is screen.query_one("#build-tag")
        await pilot.press("ctrl+x")
        await wait_for(pilot, lambda: not screen.running, "the build to stop", 15)
        assert screen.result is not None and screen.result.cancelled
        assert screen.query_one("#build-tag").value == "gotui-test/qa-cancel:1"  # not cut
        assert "Build cancelled" in screen.progress
    import docker.errors

    with pytest.raises(docker.errors.ImageNotFound):  # a cancelled build tags nothing
        docker_client.api.inspect_image("gotui-test/qa-cancel:1")


async def test_build_form_leaves_the_log_most_of_the_screen(docker_client, tmp_path: Path) -> None:  # noqa: ANN001
    app, pane = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: pane.refreshes > 0, "first list")
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, BuildScreen), "build screen")
        assert app.screen.query_one("#build-form").size.height <= 4
        assert app.screen.query_one("#build-log").size.height >= 14
        # no cache / pull: reachable by keyboard, inside 80 columns, and in the request (and its command)
        screen = app.screen
        for wid in ("#build-nocache", "#build-pull", ".build-hint"):
            region = screen.query_one(wid).region
            assert region.width > 0 and region.right <= 80, (wid, region)
        screen.query_one("#build-context").value = str(tmp_path)
        screen.query_one("#build-tag").value = "gotui-test/form:1"
        screen.query_one("#build-nocache").focus()
        await pilot.press("space")
        await pilot.pause()
        req = screen.request()
        assert req.nocache and not req.pull and req.command().endswith(f"--no-cache {tmp_path}")
        # the state reads without colour: x when on, blank when off
        assert "x" in screen.query_one("#build-nocache").render().plain
        assert "x" not in screen.query_one("#build-pull").render().plain.replace("pull", "")


async def test_layer_history_masks_secrets_and_puts_the_toolchain_advice_first(docker_client, busybox_image, tmp_path: Path) -> None:  # noqa: ANN001
    dockerfile = (BASE_DOCKERFILE + "ENV GOLANG_VERSION=1.22.5 API_TOKEN=tok-qa-s3cr3t\n"
                  "ARG NPM_TOKEN=npm-qa-s3cr3t\nRUN echo token is $NPM_TOKEN > /dev/null\n")
    build(docker_client, make_context(tmp_path / "sec", dockerfile), "gotui-test/qa-secret:1")
    app, pane = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: any(r.ref == "gotui-test/qa-secret:1" for r in pane.image_rows), "listed")
        pane.table.move_cursor(row=[r.ref for r in pane.image_rows].index("gotui-test/qa-secret:1"))
        # the advice is the first thing under the image's headline: visible without scrolling at 80x24
        await wait_for(pilot, lambda: "Go build toolchain" in screen_text(app), "the toolchain advice on screen", 10)
        details = screen_text(app)
        assert "s3cr3t" not in details
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, InspectScreen), "inspect")
        await wait_for(pilot, lambda: "GOLANG_VERSION" in screen_text(app), "env shown")
        scroll = app.screen.query_one("#inspect-scroll")
        texts = []
        for _ in range(8):
            texts.append(screen_text(app))
            scroll.scroll_page_down(animate=False)
            await pilot.pause(0.1)
        everything = "\n".join(texts)
        assert "ENV GOLANG_VERSION=1.22.5 API_TOKEN=••••••••" in everything
        assert "s3cr3t" not in everything


async def test_forced_remove_of_an_image_a_running_container_uses_says_it_only_untagged(docker_client, busybox_image, tmp_path: Path) -> None:  # noqa: ANN001
    build(docker_client, make_context(tmp_path / "f", BASE_DOCKERFILE + "LABEL gotui.qa=forced\n"), "gotui-test/qa-forced:1")
    cid = docker_client.api.create_container("gotui-test/qa-forced:1", ["sleep", "60"], labels=TEST_LABEL, name="gotui-test-qa-forced",
                                             host_config=docker_client.api.create_host_config(network_mode="none"))["Id"]
    try:
        docker_client.api.start(cid)  # a running container: even a forced remove only untags
        app, pane = make_app(tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: any(r.ref == "gotui-test/qa-forced:1" for r in pane.image_rows), "listed")
            pane.table.move_cursor(row=[r.ref for r in pane.image_rows].index("gotui-test/qa-forced:1"))
            await pilot.press("F")
            await wait_for(pilot, lambda: modal_ready(app), "force modal")
            await pilot.press("y")
            await wait_for(pilot, lambda: not any(r.ref == "gotui-test/qa-forced:1" for r in pane.image_rows), "tag gone")
            notes = [str(n.message) for n in app._notifications]
            assert any("untagged gotui-test/qa-forced:1" in m and "stays" in m for m in notes), notes
            assert not any(m.startswith("removed gotui-test/qa-forced:1") for m in notes)
        docker_client.api.inspect_container(cid)  # the container and its image are still there
    finally:
        docker_client.api.remove_container(cid, force=True)
