"""The HPA pane at 80x24 against the sandbox, all namespaces: a NAMESPACE column (only then), and `p`
jumping to the target Deployment's pods in the HPA's own namespace even when a Deployment with the same
labels runs in another namespace."""

from __future__ import annotations

import pytest
from kubernetes import client

from fixtures.pilot import make_settings, until
from gotui.ops.hpa import selector_text
from gotui.ops.pods import parse_filter
from gotui.ui.app import GotuiApp
from gotui.ui.context_picker import ALL_NAMESPACES, PickerScreen

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(120)]

LABELS = {"app": "go-api", "version": "blue"}





def twin_in_default(api_client) -> None:
    """A Deployment named and labelled like shop/go-api-blue, with its own HPA, in namespace default."""
    client.AppsV1Api(api_client).create_namespaced_deployment("default", {
        "metadata": {"name": "go-api-blue", "labels": dict(LABELS)},
        "spec": {"replicas": 2, "selector": {"matchLabels": dict(LABELS)},
                 "template": {"metadata": {"labels": dict(LABELS)},
                              "spec": {"containers": [{"name": "go-api", "image": "go-api:1.4.2"}]}}}})
    client.AutoscalingV2Api(api_client).create_namespaced_horizontal_pod_autoscaler("default", {
        "metadata": {"name": "go-api-blue"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "go-api-blue"},
                 "minReplicas": 2, "maxReplicas": 5,
                 "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]}})


def column_labels(pane) -> list[str]:
    return [c.label.plain for c in pane.table.columns.values()]


def row_text(pane, key: str) -> list[str]:
    return [c.plain if hasattr(c, "plain") else str(c) for c in pane.table.get_row(key)]


async def test_all_namespaces_column_and_jump_to_pods_in_the_hpa_namespace(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("default")
    twin_in_default(sb.api_client)
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        hpa = app.pane("hpa")
        await until(pilot, lambda: len(hpa.views) == 2, what="the 2 HPAs of shop")
        # one namespace: no NAMESPACE column (80 columns are tight)
        assert column_labels(hpa)[0] == "NAME" and "NAMESPACE" not in column_labels(hpa)
        # all namespaces, through the picker
        hpa.table.focus()
        await pilot.press("n")
        picker = await until(pilot, lambda: isinstance(app.screen, PickerScreen) and app.screen, what="picker")
        await until(pilot, lambda: picker.option_list.option_count >= 3, what="namespaces listed")
        await pilot.press("pageup")
        assert picker.choices[picker.shown[picker.option_list.highlighted]][0] == ALL_NAMESPACES
        await pilot.press("enter")
        await until(pilot, lambda: len(hpa.views) == 3, what="HPAs of every namespace")
        assert column_labels(hpa)[:2] == ["NAMESPACE", "NAME"]
        assert row_text(hpa, "default/go-api-blue")[:2] == ["default", "go-api-blue"]
        assert row_text(hpa, "shop/go-api-blue")[:2] == ["shop", "go-api-blue"]
        # the column is on screen at 80x24, the names beside it
        hpa.table.focus()
        await pilot.pause(0.2)
        shown = [hpa.table.render_line(y).text for y in range(hpa.table.size.height)]
        assert "NAMESPACE" in shown[0] and any("default" in ln and "go-api-blue" in ln for ln in shown), shown
        # the twin's pods are there too, so a label-only filter would show both namespaces
        pods = app.pane("pods")
        bridge = app.services["kube"]
        await until(pilot, lambda: sum(1 for p in bridge.store.list("pods", "default")
                                       if (p["metadata"].get("labels") or {}).get("version") == "blue") >= 2,
                    what="pods of default/go-api-blue")
        # p on shop/go-api-blue: its pods, in shop only
        hpa.table.move_cursor(row=hpa.table.get_row_index("shop/go-api-blue"))
        await pilot.press("p")
        await until(pilot, lambda: app.active_pane is pods, what="jumped to Pods")

        def blue_pods(ns):
            return sorted((ns, p["metadata"]["name"]) for p in bridge.store.list("pods", ns)
                          if (p["metadata"].get("labels") or {}).get("version") == "blue")

        await until(pilot, lambda: pods.shown and sorted(pods.shown) == blue_pods("shop"), what="the pods of shop/go-api-blue")
        assert all(ns == "shop" and name.startswith("go-api-blue-") for ns, name in pods.shown), pods.shown
        assert pods.filter_text == "ns:shop -l app=go-api,version=blue"  # the filter says which namespace
        # and from the default one: its pods, in default only
        await pilot.press("3")
        hpa.table.focus()
        hpa.table.move_cursor(row=hpa.table.get_row_index("default/go-api-blue"))
        await pilot.press("p")
        await until(pilot, lambda: app.active_pane is pods and pods.shown and sorted(pods.shown) == blue_pods("default"),
                    what="the pods of default/go-api-blue")
        # back to one namespace: the column goes away again
        bridge.switch(bridge.context, "shop")
        await until(pilot, lambda: "NAMESPACE" not in column_labels(hpa) and len(hpa.views) == 2, what="column dropped")


def test_selector_text_and_namespace_filter():
    sel = {"matchLabels": {"version": "blue", "app": "go-api"},
           "matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", "api"]},
                                {"key": "legacy", "operator": "DoesNotExist"},
                                {"key": "team", "operator": "Exists"}]}
    text = selector_text(sel)
    assert text == "app=go-api,version=blue,tier in (web,api),!legacy,team"
    base = parse_filter(f"-l {text}")
    assert not base.error and len(base.selector) == 5
    scoped = parse_filter(f"ns:shop -l {text}")
    assert scoped.namespaces == ("shop",) and len(scoped.selector) == 5 and not scoped.error
    assert parse_filter("ns:shop").empty is False and parse_filter("").empty
    assert selector_text(None) == "" and selector_text({}) == ""


async def test_edit_min_max_restores_the_minimum_a_scale_up_raised(fresh_sandbox, tmp_path):
    """A rollback's scale-up raised shop/go-api-green's minReplicas and recorded the old one: the pane says
    so, `e` fills the old minimum in, and the confirmed edit puts it back and drops the record."""
    import json

    from fixtures.pilot import modal_ready
    from gotui.ops.scale_up import ANN_MIN_BEFORE
    from gotui.ui.panes.hpa import LimitsModal

    sb = fresh_sandbox("quiet")
    auto = client.AutoscalingV2Api(sb.api_client)
    before = auto.read_namespaced_horizontal_pod_autoscaler("go-api-green", "shop").spec
    raised = before.min_replicas + 1
    auto.patch_namespaced_horizontal_pod_autoscaler("go-api-green", "shop", {
        "metadata": {"annotations": {ANN_MIN_BEFORE: str(before.min_replicas)}},
        "spec": {"minReplicas": raised, "maxReplicas": max(before.max_replicas, raised)}})
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        hpa = app.pane("hpa")
        await until(pilot, lambda: (v := hpa.views.get("shop/go-api-green")) and v.min_before == before.min_replicas
                    and v.min_replicas == raised, what="the raised HPA")
        hpa.table.focus()
        hpa.table.move_cursor(row=hpa.table.get_row_index("shop/go-api-green"))
        await until(pilot, lambda: f"min raised from {before.min_replicas}" in str(hpa.query_one("#details-body").render()),
                    what="the details say the minimum was raised")
        await pilot.press("e")
        modal = await until(pilot, lambda: isinstance(app.screen, LimitsModal) and app.screen, what="limits modal")
        assert modal.query_one("#limits-min").value == str(before.min_replicas)
        await pilot.press("enter", "enter")
        confirm = await until(pilot, lambda: modal_ready(app), what="confirm modal")
        assert "that record is dropped" in confirm.action.detail and ANN_MIN_BEFORE in confirm.action.preview
        await pilot.press("y")

        def restored():
            h = auto.read_namespaced_horizontal_pod_autoscaler("go-api-green", "shop")
            return h.spec.min_replicas == before.min_replicas and ANN_MIN_BEFORE not in (h.metadata.annotations or {})

        await until(pilot, restored, what="minReplicas restored and the record dropped")
        # the cluster may show the change before the gate has written the outcome line after "started"
        entry = await until(pilot, lambda: (e := json.loads((tmp_path / "audit.jsonl").read_text().splitlines()[-1]))
                            ["outcome"] != "started" and e, what="the outcome audit line")
        assert entry["action"].startswith("scale-limits") and entry["outcome"] == "ok"
