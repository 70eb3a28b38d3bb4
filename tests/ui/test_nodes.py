"""`:no` lists the sandbox's nodes; c / u / R cordon, uncordon and drain the node under the cursor, each
behind the gate's dialog, at 80x24 with keys in bursts. Checked through the official client."""

from __future__ import annotations

import pytest
from kubernetes import client

from fixtures.pilot import make_settings, modal_ready, until
from gotui.ops.nodes import MIRROR_ANNOTATION
from gotui.ui.app import GotuiApp
from gotui.ui.confirm import ConfirmModal
from gotui.ui.resource_view import ResourceView

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(180)]

NODE = "sandbox-node-2"


def unschedulable(core: client.CoreV1Api, node: str = NODE) -> bool:
    return bool(core.read_node(node).spec.unschedulable)


def pods_on(core: client.CoreV1Api, node: str = NODE) -> set[tuple[str, str]]:
    return {(p.metadata.namespace, p.metadata.name)
            for p in core.list_pod_for_all_namespaces(field_selector=f"spec.nodeName={node}").items
            if not p.metadata.deletion_timestamp}


async def open_nodes(pilot, app) -> ResourceView:  # noqa: ANN001
    await until(pilot, lambda: app.services.get("kube") is not None and app.services["kube"].api_client is not None,
                what="kube connected")
    view = app.query_one(ResourceView)
    await pilot.press(":", "n", "o", "enter")
    await until(pilot, lambda: ("", NODE) in view.rows, what="nodes listed")
    await pilot.press("slash", *NODE, "enter")
    await until(pilot, lambda: view.shown == [("", NODE)], what="filtered to one node")
    return view


async def test_cordon_uncordon_behind_the_dialog(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    core = client.CoreV1Api(sb.api_client)
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_nodes(pilot, app)
        assert {k[1] for k in view.rows} == {"sandbox-node-1", "sandbox-node-2", "sandbox-node-3"}
        # `n` answers the dialog: nothing changes
        await pilot.press("c", "n")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmModal), what="dialog closed by n")
        await pilot.pause(0.3)
        assert not unschedulable(core)
        await pilot.press("c")
        modal = await until(pilot, lambda: modal_ready(app), what="cordon dialog")
        assert modal.action.preview == f"kubectl cordon {NODE} --context gotui-sandbox"
        await pilot.press("y")
        await until(pilot, lambda: unschedulable(core), what="spec.unschedulable set")
        await until(pilot, lambda: "SchedulingDisabled" in " ".join(view.rows[("", NODE)].cells), what="row shows it")
        await pilot.press("u", "y")
        await until(pilot, lambda: not unschedulable(core), what="uncordoned")
        audit = (tmp_path / "audit.jsonl").read_text()
        assert "cordon" in audit and "uncordon" in audit


async def test_drain_evicts_the_listed_pods_and_keeps_mirror_pods(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    core = client.CoreV1Api(sb.api_client)
    # a mirror (static) pod on the node: drain leaves it
    core.create_namespaced_pod("shop", {"metadata": {"name": "static-agent", "annotations": {MIRROR_ANNOTATION: "x"}},
                                        "spec": {"nodeName": NODE, "containers": [{"name": "a", "image": "agent:1"}]}})
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_nodes(pilot, app)
        before = pods_on(core)
        assert ("shop", "static-agent") in before and len(before) >= 2
        await pilot.press("R", "n")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmModal), what="dialog closed by n")
        await pilot.pause(0.3)
        assert not unschedulable(core) and pods_on(core) == before
        await pilot.press("R")
        modal = await until(pilot, lambda: modal_ready(app) and "will be evicted" in app.screen.action.detail and app.screen,
                            what="drain dialog with its pod list")
        assert modal.action.preview == f"kubectl drain {NODE} --ignore-daemonsets --delete-emptydir-data --context gotui-sandbox"
        planned = {tuple(k) for k in modal.action.params["plan"].evict}
        assert planned == before - {("shop", "static-agent")}
        for ns, name in sorted(planned)[:3]:
            assert f"{ns}/{name}" in modal.action.detail
        await pilot.press("y")
        await until(pilot, lambda: unschedulable(core), what="cordoned")
        await until(pilot, lambda: not (pods_on(core) & planned), timeout=60, what="the listed pods gone from the node")
        assert ("shop", "static-agent") in pods_on(core)
        # replacements were scheduled elsewhere (the node is cordoned)
        assert pods_on(core) == {("shop", "static-agent")}
        assert view.kind is not None and view.kind.resource == "nodes"
        # they went through the eviction subresource (policy/v1), not a plain delete
        await until(pilot, lambda: f"{len(planned)} evicted, 0 deleted" in (tmp_path / "audit.jsonl").read_text(),
                    what="the drain's outcome in the audit log")


async def test_drain_dialog_lists_pods_one_per_line_at_80x24(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    core = client.CoreV1Api(sb.api_client)
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_nodes(pilot, app)
        before = pods_on(core)
        await pilot.press("R")
        await until(pilot, lambda: modal_ready(app) and "will be evicted" in app.screen.action.detail, what="drain dialog")
        await pilot.pause(0.2)
        shown = app.export_screenshot()
        lines = [line for line in app.screen._facts().plain.splitlines() if "/" in line and line.startswith("  ")]
        assert {tuple(line.strip().split("/", 1)) for line in lines} == before, lines
        assert "kubectl&#160;drain" in shown  # the preview is on screen
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmModal), what="closed")
        assert not unschedulable(core) and pods_on(core) == before
