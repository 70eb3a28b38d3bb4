"""Pilot: marks in the generic view. Space marks rows (a marker column shows them), ctrl+d / R act on
ALL marked rows after ONE dialog listing them: `n` changes nothing (marks stay), `y` deletes/restarts
each and writes one audit line per object, and the marks are cleared; Esc clears marks before it goes
back. At 80x24, keys in bursts."""

from __future__ import annotations

import dataclasses
import json
import uuid
from typing import Any

import pytest
from kubernetes import client

from fixtures.pilot import make_settings, modal_ready, until
from gotui.ui.app import GotuiApp
from gotui.ui.confirm import ConfirmModal
from gotui.ui.marks import MARK
from gotui.ui.resource_view import ResourceView

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(90)]


def audit(tmp_path: Any) -> list[dict[str, Any]]:
    path = tmp_path / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def open_kind(pilot: Any, app: GotuiApp, command: str, key: tuple[str, str]) -> ResourceView:
    await until(pilot, lambda: app.services.get("kube") is not None and app.services["kube"].api_client is not None,
                what="kube connected")
    view = app.query_one(ResourceView)
    await pilot.press(":", *command, "enter")
    await until(pilot, lambda: key in view.rows, what=f"{key} listed")
    view.table.move_to(key)
    await until(pilot, lambda: view.table.cursor_key == key, what=f"{key} under the cursor")
    return view


async def test_marked_configmaps_one_dialog_then_each_deleted_and_audited(sandbox, tmp_path):
    ns = f"mk-{uuid.uuid4().hex[:6]}"
    core = client.CoreV1Api(sandbox.api_client)
    core.create_namespace({"metadata": {"name": ns}})
    for name in ("cm-a", "cm-b", "cm-c", "keep"):
        core.create_namespaced_config_map(ns, {"metadata": {"name": name}, "data": {"k": name}})

    def names() -> set[str]:
        return {c.metadata.name for c in core.list_namespaced_config_map(ns).items}

    app = GotuiApp(dataclasses.replace(make_settings(sandbox, tmp_path), namespace=ns))
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_kind(pilot, app, "cm", (ns, "cm-a"))
        await until(pilot, lambda: len(view.shown) == 4, what="4 configmaps")
        await pilot.press("space", "space", "space")
        await until(pilot, lambda: len(view.marking.marks) == 3, what="3 marked")
        assert view.table.columns[0].key == "mark" and view.table.cursor_key == (ns, "keep")
        assert view._cells((ns, "cm-b"))[0][0] == MARK and view._cells((ns, "keep"))[0][0] == ""
        assert "3 marked" in str(view.query_one("#pane-status").render())
        assert MARK in app.export_screenshot()

        # one dialog lists the three; n changes nothing and keeps the marks
        await pilot.press("ctrl+d")
        modal = await until(pilot, lambda: modal_ready(app), what="the bulk dialog")
        assert modal.action.target == "3 configmaps"
        assert modal.action.preview == f"kubectl --context gotui-sandbox -n {ns} delete configmaps cm-a cm-b cm-c"
        for name in ("cm-a", "cm-b", "cm-c"):
            assert f"{ns}/{name}" in modal.action.detail
        assert "keep" not in modal.action.detail
        await pilot.press("n")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmModal), what="dialog closed by n")
        await pilot.pause(0.2)
        assert names() == {"cm-a", "cm-b", "cm-c", "keep"} and len(view.marking.marks) == 3
        assert not [a for a in audit(tmp_path) if a["outcome"] == "ok"]

        # y deletes each of them, one audit line per object, then the marks are cleared
        await pilot.press("ctrl+d", "y")
        await until(pilot, lambda: names() == {"keep"}, what="the 3 marked deleted")
        await until(pilot, lambda: not view.marking.marks and view.table.columns[0].key != "mark", what="marks cleared")
        lines = audit(tmp_path)
        each = sorted(a["target"] for a in lines if a["action"] == "delete configmap" and a["outcome"] == "ok"
                      and a["target"] != "3 configmaps")
        assert each == ["cm-a", "cm-b", "cm-c"]
        assert all(a["namespace"] == ns for a in lines)
        await until(pilot, lambda: any(a["target"] == "3 configmaps" and a["outcome"] == "ok" for a in audit(tmp_path)),
                    what="the bulk outcome line")

        # Esc clears marks first (the view stays), a second Esc goes back
        view.table.move_to((ns, "keep"))
        await pilot.press("space", "escape")
        await until(pilot, lambda: not view.marking.marks, what="Esc cleared the mark")
        assert view.display and view.kind is not None and view.kind.resource == "configmaps"


async def test_marked_deployments_restarted_after_one_dialog(sandbox, tmp_path):
    ns = f"mr-{uuid.uuid4().hex[:6]}"
    core, apps = client.CoreV1Api(sandbox.api_client), client.AppsV1Api(sandbox.api_client)
    core.create_namespace({"metadata": {"name": ns}})
    for name in ("api", "web"):
        labels = {"app": name}
        apps.create_namespaced_deployment(ns, {
            "metadata": {"name": name}, "spec": {"replicas": 0, "selector": {"matchLabels": labels}, "template": {
                "metadata": {"labels": labels}, "spec": {"containers": [{"name": name, "image": f"{name}:1"}]}}}})

    def restarted(name: str) -> bool:
        annotations = apps.read_namespaced_deployment(name, ns).spec.template.metadata.annotations or {}
        return "kubectl.kubernetes.io/restartedAt" in annotations

    app = GotuiApp(dataclasses.replace(make_settings(sandbox, tmp_path), namespace=ns))
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_kind(pilot, app, "deploy", (ns, "api"))
        await pilot.press("space", "space", "R")
        modal = await until(pilot, lambda: modal_ready(app), what="the bulk restart dialog")
        assert modal.action.preview == (f"kubectl --context gotui-sandbox -n {ns} rollout restart "
                                        "deployment/api deployment/web")
        await pilot.press("n")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmModal), what="dialog closed by n")
        assert not restarted("api") and not restarted("web")
        await pilot.press("R", "y")
        await until(pilot, lambda: restarted("api") and restarted("web"), what="both restarted")
        await until(pilot, lambda: sorted(a["target"] for a in audit(tmp_path)
                                          if a["action"] == "restart deployment" and a["outcome"] == "ok"
                                          and a["target"] != "2 deployments") == ["api", "web"],
                    what="one audit line per deployment")
        line = next(a for a in audit(tmp_path) if a["target"] == "api" and a["outcome"] == "ok")
        assert line["before"] == {"restartedAt": None} and line["after"]["restartedAt"]
        await until(pilot, lambda: not view.marking.marks, what="marks cleared")
