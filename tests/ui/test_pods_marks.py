"""Pilot: marks in the Pods pane. Space marks pods (a marker column), ctrl+d deletes ALL marked after ONE
dialog listing them (`n` changes nothing), one audit line per pod, marks cleared; `R` restarts the
Deployments of the marked pods once each; Esc clears marks. At 80x24, keys in bursts."""

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

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(90)]


def audit(tmp_path: Any) -> list[dict[str, Any]]:
    path = tmp_path / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def test_marked_pods_deleted_after_one_dialog_and_deployments_restarted(sandbox, tmp_path):
    ns = f"pm-{uuid.uuid4().hex[:6]}"
    core, apps = client.CoreV1Api(sandbox.api_client), client.AppsV1Api(sandbox.api_client)
    core.create_namespace({"metadata": {"name": ns}})
    for name in ("p-a", "p-b", "p-c"):
        core.create_namespaced_pod(ns, {"metadata": {"name": name, "labels": {"app": "bare"}},
                                        "spec": {"containers": [{"name": "c", "image": "bare:1"}]}})
    labels = {"app": "web"}
    apps.create_namespaced_deployment(ns, {"metadata": {"name": "web"}, "spec": {
        "replicas": 2, "selector": {"matchLabels": labels},
        "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "web", "image": "web:1"}]}}}})

    def live() -> set[str]:
        return {p.metadata.name for p in core.list_namespaced_pod(ns).items if not p.metadata.deletion_timestamp}

    app = GotuiApp(dataclasses.replace(make_settings(sandbox, tmp_path), namespace=ns))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        pane = app.pane("pods")
        await until(pilot, lambda: len(pane.rows) == 5, what="5 pods listed")
        pane.table.move_to((ns, "p-a"))
        await until(pilot, lambda: pane.table.cursor_key == (ns, "p-a"), what="p-a under the cursor")
        await pilot.press("space", "space")
        await until(pilot, lambda: len(pane.marks) == 2, what="2 marked")
        assert pane.table.columns[0].key == "mark" and pane._cells((ns, "p-b"))[0][0] == MARK
        assert pane._cells((ns, "p-c"))[0][0] == ""
        await pilot.press("ctrl+d")
        modal = await until(pilot, lambda: modal_ready(app), what="the bulk dialog")
        assert modal.action.preview == f"kubectl --context gotui-sandbox -n {ns} delete pod p-a p-b"
        assert f"{ns}/p-a" in modal.action.detail and f"{ns}/p-b" in modal.action.detail
        await pilot.press("n")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmModal), what="dialog closed by n")
        await pilot.pause(0.2)
        assert {"p-a", "p-b", "p-c"} <= live() and len(pane.marks) == 2
        await pilot.press("ctrl+d", "y")
        await until(pilot, lambda: not ({"p-a", "p-b"} & live()), what="the marked pods deleted")
        await until(pilot, lambda: sorted(a["target"] for a in audit(tmp_path) if a["action"] == "delete pod"
                                          and a["outcome"] == "ok" and a["target"] != "2 pods") == ["p-a", "p-b"],
                    what="one audit line per pod")
        await until(pilot, lambda: not pane.marks and pane.table.columns[0].key != "mark", what="marks cleared")
        assert "p-c" in live()

        # R: both web pods marked -> the one Deployment restarted once
        web = sorted(k for k in pane.shown if k[1].startswith("web-"))
        assert len(web) == 2
        pane.table.move_to(web[0])
        await until(pilot, lambda: pane.table.cursor_key == web[0], what="first web pod under the cursor")
        await pilot.press("space", "space", "R")
        modal = await until(pilot, lambda: modal_ready(app), what="the restart dialog")
        assert modal.action.target == "1 deployments"
        assert modal.action.preview.endswith(f"-n {ns} rollout restart deployment/web")
        await pilot.press("y")
        await until(pilot, lambda: "kubectl.kubernetes.io/restartedAt" in (
            apps.read_namespaced_deployment("web", ns).spec.template.metadata.annotations or {}), what="restarted")
        await until(pilot, lambda: [a["target"] for a in audit(tmp_path) if a["action"] == "restart deployment"
                                    and a["outcome"] == "ok"] == ["web", "1 deployments"], what="audit lines")

        # Esc clears marks
        pane.table.move_to((ns, "p-c"))
        await pilot.press("space", "escape")
        await until(pilot, lambda: not pane.marks, what="Esc cleared the marks")
