"""The action gate under keys typed ahead (issue 10): an action key and the keys after it arrive in one
read over SSH, so each test queues them all before the app handles the first (`fixtures.bursts.burst`;
`pilot.press` waits for idle between keys). Against the sandbox cluster."""

from __future__ import annotations

import json

import pytest
from kubernetes import client

from fixtures.bursts import burst
from fixtures.pilot import make_settings, until
from gotui.ops.kube_io import KubeIO
from gotui.ui.app import GotuiApp
from gotui.ui.confirm import ConfirmModal
from gotui.ui.context_picker import PickerScreen
from gotui.ui.cutover_screen import CutoverScreen
from gotui.ui.yaml_view import YamlScreen

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(180)]


def audit(tmp_path) -> list[dict]:  # noqa: ANN001
    path = tmp_path / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def outcomes(tmp_path, action: str) -> list[str]:  # noqa: ANN001
    return [e["outcome"] for e in audit(tmp_path) if e["action"] == action]


def dialogs(app: GotuiApp) -> list[ConfirmModal]:
    return [s for s in app.screen_stack if isinstance(s, ConfirmModal)]


async def open_pods(pilot, app: GotuiApp):  # noqa: ANN001, ANN201
    await pilot.press("2")
    pane = app.pane("pods")
    await until(pilot, lambda: len(pane.rows) >= 7, what="pods listed")
    pane.table.focus()
    await pilot.pause()
    return pane


async def open_releases(pilot, app: GotuiApp):  # noqa: ANN001, ANN201
    await pilot.press("4")
    pane = app.pane("releases")
    await until(pilot, lambda: any(r.kind == "color" for r in pane.rows.values())
                and all(st.ready == 3 and st.rollout_complete and not st.unready_pods
                        for a in pane.apps for st in a.colors.values()), what="apps listed")
    return pane


def pod_alive(sb, name: str) -> bool:  # noqa: ANN001
    try:
        pod = client.CoreV1Api(sb.api_client).read_namespaced_pod(name, "shop")
    except client.ApiException as exc:
        if exc.status == 404:
            return False
        raise
    return pod.metadata.deletion_timestamp is None


async def test_pods_ctrl_d_n_cancels_the_dialog_not_the_namespace_picker(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_pods(pilot, app)
        name = pane.table.cursor_key[1]
        await burst(pilot, "ctrl+d", "n")
        await until(pilot, lambda: outcomes(tmp_path, "delete pod") == ["cancelled"], what="the cancel line")
        assert not any(isinstance(s, PickerScreen) for s in app.screen_stack)
        assert not dialogs(app)
        assert pod_alive(sb, name)


async def test_pods_ctrl_d_y_deletes_without_opening_yaml(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_pods(pilot, app)
        name = pane.table.cursor_key[1]
        await burst(pilot, "ctrl+d", "y")
        await until(pilot, lambda: outcomes(tmp_path, "delete pod") == ["started", "ok"], what="the pod deleted")
        assert not pod_alive(sb, name)
        assert not any(isinstance(s, YamlScreen) for s in app.screen_stack)


async def test_pods_ctrl_d_tab_keeps_the_dialog_and_the_pane(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_pods(pilot, app)
        await burst(pilot, "ctrl+d", "tab", "1", "question_mark")
        await pilot.pause(0.3)
        assert isinstance(app.screen, ConfirmModal) and len(app.screen_stack) == 2
        assert app.active_pane.PANE_ID == "pods"
        await pilot.press("n")
        await until(pilot, lambda: outcomes(tmp_path, "delete pod") == ["cancelled"], what="cancelled")


async def test_pods_ctrl_d_q_closes_the_dialog_not_the_app(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_pods(pilot, app)
        name = pane.table.cursor_key[1]
        await burst(pilot, "ctrl+d", "q")
        await until(pilot, lambda: outcomes(tmp_path, "delete pod") == ["cancelled"], what="cancelled")
        assert app.is_running and app._exit_renderables == [] and app.return_code is None
        assert pod_alive(sb, name)


async def test_pods_held_key_opens_one_dialog_and_restarts_once(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_pods(pilot, app)
        pane.set_filter("go-api-blue")
        await until(pilot, lambda: pane.shown and all("go-api-blue" in k[1] for k in pane.shown), what="filter")
        pane.table.focus()
        await burst(pilot, "R", "R", "R", "R", "R")
        await pilot.pause(0.2)
        assert len(dialogs(app)) == 1
        await burst(pilot, "y", "y")
        await until(pilot, lambda: "ok" in outcomes(tmp_path, "restart deployment"), what="restarted")
        await pilot.pause(0.5)
        assert outcomes(tmp_path, "restart deployment") == ["started", "ok"]


async def test_filter_burst_types_into_the_filter(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_pods(pilot, app)
        await burst(pilot, "slash", "a", "b", "c")
        await pilot.pause(0.2)
        assert pane.query_one("#pane-filter").value == "abc"
        assert app.screen is app.screen_stack[0]  # `c` did not open the context picker


async def test_releases_c_y_and_R_y_run_the_cutover_and_the_rollback(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    io = KubeIO(sb.api_client)
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_releases(pilot, app)
        pane.select("app", "go-api")
        pane.table.focus()
        await burst(pilot, "c", "y")
        screen = await until(pilot, lambda: isinstance(app.screen, CutoverScreen) and app.screen, what="cutover ran")
        await until(pilot, lambda: screen.final is not None, what="cutover done")
        assert io.get("services", "shop", "go-api")["spec"]["selector"]["version"] == "green"
        await pilot.press("q")
        await until(pilot, lambda: pane.apps[0].live_color == "green" and pane.apps[0].previous_color == "blue",
                    what="green live")
        pane.select("app", "go-api")
        pane.table.focus()
        await burst(pilot, "R", "y")
        screen = await until(pilot, lambda: isinstance(app.screen, CutoverScreen) and app.screen, what="rollback ran")
        await until(pilot, lambda: screen.final is not None, what="rollback done")
        assert io.get("services", "shop", "go-api")["spec"]["selector"]["version"] == "blue"


async def test_releases_c_D_y_runs_only_the_cutover(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    io = KubeIO(sb.api_client)
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await open_releases(pilot, app)
        pane.select("app", "go-api")
        pane.table.focus()
        await burst(pilot, "c", "D", "y")
        screen = await until(pilot, lambda: isinstance(app.screen, CutoverScreen) and app.screen, what="cutover ran")
        await until(pilot, lambda: screen.final is not None, what="cutover done")
        await pilot.pause(0.5)
        assert io.get("deployments", "shop", "go-api-green")["spec"]["replicas"] == 3
        assert io.get("services", "shop", "go-api")["spec"]["selector"]["version"] == "green"
        assert not [e for e in audit(tmp_path) if e["action"].startswith("scale")]


@pytest.mark.docker
async def test_pane_switch_then_action_in_one_read_acts_on_the_new_pane(fresh_sandbox, docker_client, busybox_image,
                                                                        tmp_path):  # noqa: ANN001
    """`1` (Images, a table of the engine's images), then `2 ctrl+d` in one read: the dialog is for a pod."""
    import os

    sb = fresh_sandbox("quiet")
    settings = make_settings(sb, tmp_path)
    settings.docker_host = os.environ["DOCKER_HOST"]
    app = GotuiApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_pods(pilot, app)
        images = app.pane("images")
        await pilot.press("1")
        await until(pilot, lambda: images.image_rows and app.focused is images.table, what="images listed")
        await burst(pilot, "2", "ctrl+d")
        dialog = await until(pilot, lambda: dialogs(app) and dialogs(app)[0], what="a dialog")
        assert (dialog.action.verb, dialog.action.kind) == ("delete", "pod")
        await burst(pilot, "n")
        await until(pilot, lambda: not dialogs(app), what="closed")
