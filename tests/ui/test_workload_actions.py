"""Pilot tests of the generic view's workload actions (ui/workload_actions.py) on the sandbox's `worker`
Deployment (not a blue/green pair): undo to a revision, scale, restart, set image, each through the gate
(`n` changes nothing, `y` applies and audits before/after), then `rollout status` followed live. At
80x24, keys in bursts. The sandbox serves no StatefulSet/DaemonSet: those paths are not exercised here."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from kubernetes import client

from fixtures.pilot import make_settings, modal_ready, until
from gotui.ui.app import GotuiApp
from gotui.ui.confirm import ConfirmModal
from gotui.ui.cutover_screen import AskNumber, PickRevision
from gotui.ui.resource_view import ResourceView
from gotui.ui.workload_actions import AskText

pytestmark = pytest.mark.sandbox

WORKER = ("shop", "worker")


def audit(tmp_path: Any) -> list[dict[str, Any]]:
    path = tmp_path / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def outcomes(tmp_path: Any, action: str) -> list[dict[str, Any]]:
    return [a for a in audit(tmp_path) if a.get("action") == action and a.get("outcome") not in (None, "started", "cancelled")]


def template(apps: client.AppsV1Api, name: str = "worker") -> dict[str, Any]:
    dep = apps.read_namespaced_deployment(name, "shop")
    return apps.api_client.sanitize_for_serialization(dep.spec.template)


def replicaset_template(apps: client.AppsV1Api, revision: int) -> dict[str, Any] | None:
    for rs in apps.list_namespaced_replica_set("shop").items:
        owners = rs.metadata.owner_references or []
        if any(o.name == "worker" for o in owners) and \
                (rs.metadata.annotations or {}).get("deployment.kubernetes.io/revision") == str(revision):
            tpl = apps.api_client.sanitize_for_serialization(rs.spec.template)
            tpl["metadata"]["labels"].pop("pod-template-hash", None)
            return tpl
    return None


async def open_worker(pilot: Any, app: GotuiApp) -> ResourceView:
    await until(pilot, lambda: app.services.get("kube") is not None and app.services["kube"].api_client is not None,
                what="kube connected")
    view = app.query_one(ResourceView)
    await pilot.press(":", *"deploy", "enter")
    await until(pilot, lambda: WORKER in view.rows, what="worker listed")
    view.table.move_to(WORKER)
    await until(pilot, lambda: view.table.cursor_key == WORKER, what="worker selected")
    return view


async def test_undo_to_a_revision_through_the_gate(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    apps = client.AppsV1Api(sb.api_client)
    first = template(apps)
    apps.patch_namespaced_deployment("worker", "shop", {
        "metadata": {"annotations": {"kubernetes.io/change-cause": "bump worker to 0.9.2"}},
        "spec": {"template": {"spec": {"containers": [{"name": "worker", "image": "go-worker:0.9.2"}]}}}})
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_worker(pilot, app)
        store = app.services["kube"].store
        await until(pilot, lambda: len([r for r in store.list("replicasets", "shop")
                                        if r["metadata"]["name"].startswith("worker-")]) >= 2, what="2 revisions")
        revision_1 = replicaset_template(apps, 1)
        assert revision_1 is not None and revision_1["spec"]["containers"][0]["image"] == "go-worker:0.9.1"
        # `n` in the dialog changes nothing
        await pilot.press("u", "down", "enter", "n")
        await until(pilot, lambda: not isinstance(app.screen, (PickRevision, ConfirmModal)), what="cancelled")
        assert template(apps)["spec"]["containers"][0]["image"] == "go-worker:0.9.2"
        assert [a["outcome"] for a in audit(tmp_path) if a["action"] == "undo deployment"] == ["cancelled"]
        # the picker lists the revisions, newest (current) first, with images and change-cause
        await pilot.press("u")
        await until(pilot, lambda: isinstance(app.screen, PickRevision), what="picker")
        labels = [label for _, label in app.screen.choices]
        assert labels[0].startswith("r2") and "go-worker:0.9.2" in labels[0] and "bump worker" in labels[0]
        assert "(current)" in labels[0] and labels[1].startswith("r1") and "go-worker:0.9.1" in labels[1]
        await pilot.press("down", "enter")
        await until(pilot, lambda: modal_ready(app), what="dialog")
        action = app.screen.action
        assert "rollout undo deployment/worker --to-revision=1" in action.preview
        assert "--context gotui-sandbox" in action.preview
        assert "go-worker:0.9.2" in action.detail and "go-worker:0.9.1" in action.detail
        await pilot.press("y")
        await until(pilot, lambda: outcomes(tmp_path, "undo deployment"), what="audit line")
        line = outcomes(tmp_path, "undo deployment")[-1]
        assert line["outcome"] == "ok"
        assert line["before"]["images"][0] == "go-worker:0.9.2" and line["after"]["images"][0] == "go-worker:0.9.1"
        assert template(apps) == revision_1
        assert line["after"]["to_revision"] == 1 and line["after"]["revision"] == 3  # kubectl renumbers it
        assert template(apps)["spec"] == first["spec"]
        # rollout status followed live until complete
        await until(pilot, lambda: view.workload.follow_done is True, timeout=60, what="rolled out")
        assert 'deployment "worker" successfully rolled out' in view.workload.status_text


async def test_scale_restart_and_set_image(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("default")  # worker crash-loops here
    apps = client.AppsV1Api(sb.api_client)
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_worker(pilot, app)
        before = template(apps)
        # scale: n changes nothing, then 3 + y
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, AskNumber), what="ask number")
        await pilot.press("ctrl+u", "3", "enter", "n")
        await until(pilot, lambda: not isinstance(app.screen, (AskNumber, ConfirmModal)), what="cancelled")
        assert apps.read_namespaced_deployment("worker", "shop").spec.replicas == 1
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, AskNumber), what="ask number")
        await pilot.press("ctrl+u", "3", "enter")
        await until(pilot, lambda: modal_ready(app), what="dialog")
        assert "scale deployment/worker --replicas=3" in app.screen.action.preview
        assert "HPA" not in app.screen.action.detail
        await pilot.press("y")
        await until(pilot, lambda: apps.read_namespaced_deployment("worker", "shop").spec.replicas == 3, what="3")
        await until(pilot, lambda: outcomes(tmp_path, "scale deployment"), what="audit")
        line = outcomes(tmp_path, "scale deployment")[-1]
        assert (line["outcome"], line["before"], line["after"]) == ("ok", {"replicas": 1}, {"replicas": 3})
        # the crash-looping worker never becomes available: the status line says what it waits for
        await until(pilot, lambda: "Waiting for deployment \"worker\" rollout to finish" in view.workload.status_text,
                    what="rollout status waiting")
        # (a crash-looping pod can be up, and so available, for a moment between two crashes)
        assert view.workload.follow_done is None
        assert re.search(r"available [0-2] of 3\)", view.workload.status_text), view.workload.status_text

        # restart: n changes nothing, y sets the restartedAt annotation
        await pilot.press("R", "n")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmModal), what="cancelled")
        assert template(apps) == before
        await pilot.press("R")
        await until(pilot, lambda: modal_ready(app), what="dialog")
        assert "rollout restart deployment/worker" in app.screen.action.preview
        await pilot.press("y")
        restarted = "kubectl.kubernetes.io/restartedAt"
        await until(pilot, lambda: restarted in (template(apps)["metadata"].get("annotations") or {}), what="restartedAt")
        await until(pilot, lambda: outcomes(tmp_path, "restart deployment"), what="audit")
        line = outcomes(tmp_path, "restart deployment")[-1]
        assert line["outcome"] == "ok" and line["before"] == {"restartedAt": None}
        assert line["after"]["restartedAt"] == template(apps)["metadata"]["annotations"][restarted]

        # set image: pick the container (worker has two), type the image; n changes nothing
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, PickRevision), what="container picker")
        assert [label.split()[0] for _, label in app.screen.choices] == ["worker", "log-shipper"]
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, AskText), what="image prompt")
        await pilot.press("ctrl+u", *"go-worker:0.9.1", "enter", "n")
        await until(pilot, lambda: not isinstance(app.screen, (AskText, ConfirmModal)), what="cancelled")
        assert template(apps)["spec"]["containers"][0]["image"] == "go-worker:0.9.1-crash"
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, PickRevision), what="container picker")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, AskText), what="image prompt")
        await pilot.press("ctrl+u", *"go-worker:0.9.1", "enter")
        await until(pilot, lambda: modal_ready(app), what="dialog")
        action = app.screen.action
        assert action.preview.endswith("-n shop set image deployment/worker worker=go-worker:0.9.1")
        assert "--context gotui-sandbox" in action.preview
        assert "go-worker:0.9.1-crash → go-worker:0.9.1" in action.detail
        await pilot.press("y")
        await until(pilot, lambda: template(apps)["spec"]["containers"][0]["image"] == "go-worker:0.9.1",
                    what="image set")
        assert template(apps)["spec"]["containers"][1]["image"] == "fluent-bit:3.1.9"
        await until(pilot, lambda: outcomes(tmp_path, "set-image deployment"), what="audit")
        line = outcomes(tmp_path, "set-image deployment")[-1]
        assert line["outcome"] == "ok"
        assert line["before"]["image"] == "go-worker:0.9.1-crash" and line["after"]["image"] == "go-worker:0.9.1"
        # the fixed image rolls out: followed until complete
        await until(pilot, lambda: view.workload.follow_done is True, timeout=90, what="rolled out")


async def test_scale_dialog_warns_about_the_hpa_and_sort_moved_to_o(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    apps = client.AppsV1Api(sb.api_client)
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        view = await open_worker(pilot, app)
        sort = view.sort_column
        view.table.move_to(("shop", "go-api-blue"))
        await until(pilot, lambda: view.table.cursor_key == ("shop", "go-api-blue"), what="selected")
        await pilot.press("s", "ctrl+u", "5", "enter")
        await until(pilot, lambda: modal_ready(app), what="dialog")
        assert "HPA go-api-blue manages it" in app.screen.action.detail
        assert view.sort_column == sort  # `s` scaled, it did not sort
        await pilot.press("n")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmModal), what="cancelled")
        assert apps.read_namespaced_deployment("go-api-blue", "shop").spec.replicas == 3
        await pilot.press("o")
        assert view.sort_column != sort
        # a kind without scale still sorts on `s`; the workload keys do nothing there
        await pilot.press(":", *"cm", "enter")
        await until(pilot, lambda: view.kind.resource == "configmaps" and view.rows, what="configmaps")
        sort = view.sort_column
        await pilot.press("s")
        assert view.sort_column != sort
        await pilot.press("u", "R", "i")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, (PickRevision, ConfirmModal, AskText))
