"""Pilot: `:sts` in the generic view, then `s` scale and `R` restart of a sandbox StatefulSet through the
gate (`n` changes nothing; `y` applies, audits before/after) with `rollout status` followed live until
the sandbox's StatefulSet controller completes it. At 80x24, keys in bursts."""

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
from gotui.ui.cutover_screen import AskNumber
from gotui.ui.resource_view import ResourceView

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(120)]


def outcomes(tmp_path: Any, action: str) -> list[dict[str, Any]]:
    path = tmp_path / "audit.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    return [a for a in lines if a.get("action") == action and a.get("outcome") not in (None, "started", "cancelled")]


async def test_statefulset_scale_and_restart_through_the_gate(sandbox, tmp_path):
    ns = f"sts-{uuid.uuid4().hex[:6]}"
    core, apps = client.CoreV1Api(sandbox.api_client), client.AppsV1Api(sandbox.api_client)
    core.create_namespace({"metadata": {"name": ns}})
    labels = {"app": "db"}
    apps.create_namespaced_stateful_set(ns, {
        "metadata": {"name": "db"}, "spec": {"replicas": 1, "serviceName": "db", "selector": {"matchLabels": labels},
                                             "template": {"metadata": {"labels": labels},
                                                          "spec": {"containers": [{"name": "db", "image": "db:1"}]}}}})

    def sts() -> Any:
        return apps.read_namespaced_stateful_set("db", ns)

    app = GotuiApp(dataclasses.replace(make_settings(sandbox, tmp_path), namespace=ns))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.services.get("kube") is not None and app.services["kube"].api_client is not None,
                    what="kube connected")
        view = app.query_one(ResourceView)
        await pilot.press(":", *"sts", "enter")
        await until(pilot, lambda: (ns, "db") in view.rows, what="db listed")
        assert view.kind is not None and view.kind.group_resource == "statefulsets.apps"
        assert [c.label for c in view.table.columns][:3] == ["NAME", "READY", "AGE"]
        await until(pilot, lambda: view.table.cursor_key == (ns, "db"), what="db selected")

        # scale: n changes nothing, then 3 + y; rollout status followed until the 3 pods are ready
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, AskNumber), what="ask number")
        await pilot.press("ctrl+u", "3", "enter", "n")
        await until(pilot, lambda: not isinstance(app.screen, (AskNumber, ConfirmModal)), what="cancelled")
        assert sts().spec.replicas == 1
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, AskNumber), what="ask number")
        await pilot.press("ctrl+u", "3", "enter")
        await until(pilot, lambda: modal_ready(app), what="scale dialog")
        assert app.screen.action.preview.endswith(f"-n {ns} scale statefulset/db --replicas=3")
        await pilot.press("y")
        await until(pilot, lambda: outcomes(tmp_path, "scale statefulset"), what="scale audited")
        line = outcomes(tmp_path, "scale statefulset")[-1]
        assert (line["outcome"], line["before"], line["after"]) == ("ok", {"replicas": 1}, {"replicas": 3})
        await until(pilot, lambda: view.workload.follow_done is True, what="scale rolled out")
        assert view.workload.status_text.startswith("partitioned roll out complete: 3 new pods have been updated")
        assert sorted(p.metadata.name for p in core.list_namespaced_pod(ns).items) == ["db-0", "db-1", "db-2"]

        # restart: n changes nothing; y patches restartedAt and the pods are replaced (followed live)
        before_rev, generation = sts().status.update_revision, sts().metadata.generation
        await pilot.press("R", "n")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmModal), what="cancelled")
        assert sts().status.update_revision == before_rev and sts().metadata.generation == generation
        await pilot.press("R")
        await until(pilot, lambda: modal_ready(app), what="restart dialog")
        assert app.screen.action.preview.endswith(f"-n {ns} rollout restart statefulset/db")
        await pilot.press("y")
        await until(pilot, lambda: outcomes(tmp_path, "restart statefulset"), what="restart audited")
        line = outcomes(tmp_path, "restart statefulset")[-1]
        assert line["outcome"] == "ok" and line["before"] == {"restartedAt": None} and line["after"]["restartedAt"]
        await until(pilot, lambda: view.workload.follow_done is not None and view.workload.status_text.startswith(
            "partitioned roll out complete"), timeout=60, what="restart rolled out")
        assert view.workload.follow_done is True
        after = sts().status
        assert after.update_revision != before_rev and after.updated_replicas == 3
        pods = core.list_namespaced_pod(ns).items
        assert {p.metadata.labels["controller-revision-hash"] for p in pods
                if not p.metadata.deletion_timestamp} == {after.update_revision}
