"""Pilot tests of the Pods pane, the logs screen and the HPA pane against the sandbox cluster."""

from __future__ import annotations

import pytest
from kubernetes import client

from fixtures.pilot import make_settings, modal_ready, until
from gotui.ui.app import GotuiApp
from gotui.ui.confirm import ConfirmModal

pytestmark = pytest.mark.sandbox





@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_pods_live_filter_sort(fresh_sandbox, tmp_path, size):
    sb = fresh_sandbox("quiet")
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=size) as pilot:
        await pilot.press("2")
        pane = app.pane("pods")
        await until(pilot, lambda: len(pane.rows) >= 7, what="pods listed")
        assert app.status_bar.context == "gotui-sandbox" and app.status_bar.namespace == "shop"
        # filter as you type: label selector, then name
        await pilot.press("slash", *"-l app=go-api")
        await until(pilot, lambda: len(pane.shown) == 6, what=lambda: (
            f"label filter: filter {pane.filter_text!r}, focus {app.focused!r}, shown {pane.shown}, rows {sorted(pane.rows)}"))
        await pilot.press("enter")
        pane.set_filter("worker")
        assert [k[1] for k in pane.shown] and all("worker" in k[1] for k in pane.shown)
        pane.set_filter("")
        # live: a new pod appears without any key press
        client.CoreV1Api(sb.api_client).create_namespaced_pod(
            "shop", {"metadata": {"name": "zz-live", "labels": {"app": "live"}}, "spec": {"containers": [{"name": "c", "image": "go-api:1.4.2"}]}})
        await until(pilot, lambda: ("shop", "zz-live") in pane.shown, what="live pod")
        # sort: by name (default) the new pod is last; reversed it is first
        assert pane.shown[-1] == ("shop", "zz-live")
        pane.table.focus()
        await pilot.press("S")
        assert pane.shown[0] == ("shop", "zz-live")
        # batches are coalesced: far fewer redraws than watch events
        bridge = app.services["kube"]
        assert bridge.flushes <= sum(w.stats.events for w in bridge.watchers.values()) + len(bridge.watchers)


async def test_delete_pod_through_modal(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        pane = app.pane("pods")
        await until(pilot, lambda: len(pane.rows) >= 7, what="pods listed")
        pane.table.focus()
        key = pane.table.cursor_key
        await pilot.press("ctrl+d")
        await until(pilot, lambda: modal_ready(app), what="modal")
        await pilot.press("n")
        await pilot.pause(0.3)
        assert client.CoreV1Api(sb.api_client).read_namespaced_pod(key[1], "shop").metadata.deletion_timestamp is None
        await pilot.press("ctrl+d")
        await until(pilot, lambda: modal_ready(app), what="modal again")
        await pilot.press("y")
        await until(pilot, lambda: key not in pane.rows or pane.rows[key].status == "Terminating", what="pod deleted")
        assert "delete pod" in (tmp_path / "audit.jsonl").read_text()


async def test_rbac_denial_disables_delete(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    sb.set_policy([{"verb": "delete", "resource": "pods", "namespace": "shop"}])
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        pane = app.pane("pods")
        await until(pilot, lambda: len(pane.rows) >= 7, what="pods listed")
        await until(pilot, lambda: pane.check_action("delete_pod", ()) is None, what="delete disabled")
        assert pane.check_action("restart_deployment", ()) is True
        pane.table.focus()
        await pilot.press("ctrl+d")
        await pilot.pause(0.3)
        assert not isinstance(app.screen, ConfirmModal)
        assert "delete disabled" in str(pane.query_one("#pane-status").render())


async def test_readonly_hides_mutations(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    app = GotuiApp(make_settings(sb, tmp_path, readonly=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        pane = app.pane("pods")
        await until(pilot, lambda: len(pane.rows) >= 7, what="pods listed")
        assert pane.check_action("delete_pod", ()) is False
        assert pane.check_action("restart_deployment", ()) is False
        assert app.pane("hpa").check_action("edit_limits", ()) is False
        pane.table.focus()
        for key in ("ctrl+d", "R"):
            await pilot.press(key)
            await pilot.pause(0.2)
            assert not isinstance(app.screen, ConfirmModal)
        before = {p.metadata.name for p in client.CoreV1Api(sb.api_client).list_namespaced_pod("shop").items}
        assert len(before) >= 7


async def test_event_messages_are_inert(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    core = client.CoreV1Api(sb.api_client)
    pod = sorted(p.metadata.name for p in core.list_namespaced_pod("shop").items)[0]
    nasty = "boom \x1b[31mred\x1b[0m \x1b]0;pwned\x07 [bold red]markup[/] [link=x]y[/link]"
    core.create_namespaced_event("shop", {
        "metadata": {"name": "nasty-event"}, "involvedObject": {"kind": "Pod", "name": pod, "namespace": "shop"},
        "reason": "Test", "message": nasty, "type": "Warning", "count": 1,
        "firstTimestamp": "2024-05-01T12:00:00Z", "lastTimestamp": "2024-05-01T12:00:00Z"})
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        pane = app.pane("pods")
        await until(pilot, lambda: ("shop", pod) in pane.rows, what="pods listed")

        def details():
            return pane.query_one("#details-body").render()

        text = await until(pilot, lambda: "boom" in str(details()) and details(), what="event in details")
        plain = text.plain if hasattr(text, "plain") else str(text)
        assert "[bold red]markup[/]" in plain and "[link=x]y[/link]" in plain  # shown, never interpreted
        assert "\x1b" not in plain and "\x07" not in plain and "pwned" not in plain  # OSC title payload dropped


async def test_bad_kubeconfig_message_rest_keeps_working(tmp_path, offline_settings):
    app = GotuiApp(offline_settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        pane = app.pane("pods")
        await until(pilot, lambda: "does not exist" in str(pane.query_one("#pane-status").render()), what="clear message")
        await pilot.press("1")
        assert app.active_pane.PANE_ID == "images"


async def test_missing_namespace_message(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    s = make_settings(sb, tmp_path)
    s.namespace = "nope"
    app = GotuiApp(s)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        pane = app.pane("pods")
        await until(pilot, lambda: "does not exist" in str(pane.query_one("#pane-status").render()), what="ns message")


async def test_logs_follow_and_merged(fresh_sandbox, tmp_path):
    from gotui.ui.pod_logs import PodLogsScreen

    sb = fresh_sandbox("default")
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        pane = app.pane("pods")
        await until(pilot, lambda: len(pane.rows) >= 7, what="pods listed")
        pane.set_filter("go-api-blue")
        pane.table.focus()
        await pilot.press("l")
        screen = await until(pilot, lambda: isinstance(app.screen, PodLogsScreen) and app.screen, what="logs screen")
        await until(pilot, lambda: screen.view.line_count > 0, what="log lines")
        await pilot.press("m")
        await until(pilot, lambda: len(screen.streams_info()) == 3, what="3 pods merged")
        await until(pilot, lambda: len({ln.split(" │ ")[0].split()[-1] for ln in screen.view.lines() if " │ " in ln}) >= 2, timeout=20, what="lines of 2+ pods")
        # scale up: the new pod is picked up
        client.AppsV1Api(sb.api_client).patch_namespaced_deployment_scale("go-api-blue", "shop", {"spec": {"replicas": 4}})
        await until(pilot, lambda: len(screen.streams_info()) == 4, timeout=20, what="new pod followed")
        assert all("\x1b" not in line for line in screen.view.lines())
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, PodLogsScreen), what="closed")


async def test_worker_logs_escape_sequences_inert(fresh_sandbox, tmp_path):
    from gotui.ui.pod_logs import PodLogsScreen

    sb = fresh_sandbox("quiet")
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        pane = app.pane("pods")
        await until(pilot, lambda: len(pane.rows) >= 7, what="pods listed")
        pane.set_filter("worker")
        pane.table.focus()
        await pilot.press("l")
        screen = await until(pilot, lambda: isinstance(app.screen, PodLogsScreen) and app.screen, what="logs screen")
        await until(pilot, lambda: screen.view.line_count > 3, what="log lines")
        assert all("\x1b" not in line for line in screen.view.lines())


async def test_hpa_pane_and_jump(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("default")
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        hpa = app.pane("hpa")
        await until(pilot, lambda: len(hpa.views) == 2, what="hpas")
        v = hpa.views["shop/go-api-blue"]
        assert v.min_replicas == 2 and v.max_replicas == 10
        sb.set_cpu("shop", "go-api-blue", 400)
        await until(pilot, lambda: (hpa.views["shop/go-api-blue"].cpu or 0) > 100, timeout=40, what="cpu follows")
        hpa.table.focus()
        hpa.table.move_cursor(row=0)
        await pilot.press("p")
        pods = app.pane("pods")
        await until(pilot, lambda: app.active_pane is pods and pods.filter.selector, what="jumped")
        assert pods.filter_text.startswith("-l ")


async def test_log_range_keys_reload_the_tail_or_all_kept(fresh_sandbox, tmp_path):
    """`0` loads the tail (5 here), `1` everything the ring buffer can hold, `2` the last minute: each a
    reload, named in the note and the status line."""
    import time

    from gotui.ui.pod_logs import PodLogsScreen

    sb = fresh_sandbox("quiet")
    app = GotuiApp(make_settings(sb, tmp_path, log_tail_lines=5, log_buffer_lines=500))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        pane = app.pane("pods")
        await until(pilot, lambda: len(pane.rows) >= 7, what="pods listed")
        time.sleep(6)  # the go-api pods write a line every ~0.5 s: give them a history longer than the tail
        pane.set_filter("go-api-blue")
        pane.table.focus()
        await pilot.press("l")
        screen = await until(pilot, lambda: isinstance(app.screen, PodLogsScreen) and app.screen, what="logs screen")
        await until(pilot, lambda: screen.view.line_count >= 5, what="the tail")
        # 5, plus the lines followed since (one every ~0.5 s; more when the machine is loaded), far below all kept
        assert screen.view.line_count <= 10 and "tail 5" in screen.view.state_note
        await pilot.press("1")
        await until(pilot, lambda: screen.view.line_count >= 12, what="all the lines kept")
        assert "tail 500" in screen.view.state_note and screen.range.key == "1"
        await pilot.press("2")
        await until(pilot, lambda: screen.view.line_count >= 12 and "last 1m" in screen.view.state_note,
                    what="the last minute")
        await pilot.press("0")
        await until(pilot, lambda: 5 <= screen.view.line_count <= 7 and "tail 5" in screen.view.state_note,
                    what="back to the tail")


async def test_Y_copies_the_selected_name_in_each_kube_pane(fresh_sandbox, tmp_path):
    """Pods: the pod's name; HPA: the HPA's; Releases: the colour's Deployment (through OSC 52)."""
    sb = fresh_sandbox("quiet")
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        pods = app.pane("pods")
        await until(pilot, lambda: len(pods.rows) >= 7, what="pods listed")
        pods.table.focus()
        await pilot.press("Y")
        assert app.clipboard == pods.table.cursor_key[1] and app.clipboard.startswith("go-api-")
        await pilot.press("3")
        hpa = app.pane("hpa")
        await until(pilot, lambda: len(hpa.views) == 2, what="HPAs listed")
        hpa.table.focus()
        await pilot.press("Y")
        assert app.clipboard in ("go-api-blue", "go-api-green")
        await pilot.press("4")
        rel = app.pane("releases")
        await until(pilot, lambda: rel.apps, what="apps listed")
        rel.select("color", "go-api", "green")
        rel.table.focus()
        await pilot.press("Y")
        assert app.clipboard == "go-api-green"
