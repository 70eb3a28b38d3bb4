"""ops/workload.py: kubectl's `rollout status` texts for Deployments, StatefulSets and DaemonSets, the
set-image patch and the Actions (previews as kubectl). Pure: no cluster (the sandbox serves no
StatefulSet or DaemonSet)."""

from __future__ import annotations

import pytest

from gotui.ops import workload
from gotui.ops.rollout import RolloutError
from gotui.sandbox.patch import json_patch


def dep(want: int = 3, **status: int) -> dict:
    return {"metadata": {"name": "web", "generation": 2}, "spec": {"replicas": want},
            "status": {"observedGeneration": 2, **status}}


def test_deployment_status_as_kubectl():
    assert workload.rollout_status("deployments", dep(updatedReplicas=1, replicas=3)) == (
        'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...', False)
    assert workload.rollout_status("deployments", dep(updatedReplicas=3, replicas=4))[0].endswith(
        "1 old replicas are pending termination...")
    assert workload.rollout_status("deployments", dep(updatedReplicas=3, replicas=3, availableReplicas=2))[0].endswith(
        "2 of 3 updated replicas are available...")
    assert workload.rollout_status("deployments", dep(updatedReplicas=3, replicas=3, availableReplicas=3)) == (
        'deployment "web" successfully rolled out', True)
    stale = dep(updatedReplicas=3, replicas=3, availableReplicas=3)
    stale["metadata"]["generation"] = 3
    assert workload.rollout_status("deployments", stale) == ("Waiting for rollout spec update to be observed...", False)
    stuck = dep()
    stuck["status"]["conditions"] = [{"type": "Progressing", "reason": "ProgressDeadlineExceeded"}]
    with pytest.raises(RolloutError, match="exceeded its progress deadline"):
        workload.rollout_status("deployments", stuck)


def test_statefulset_and_daemonset_status():
    sts = {"metadata": {"name": "db", "generation": 1}, "spec": {"replicas": 3},
           "status": {"observedGeneration": 1, "readyReplicas": 2, "updateRevision": "db-2", "currentRevision": "db-1"}}
    assert workload.rollout_status("statefulsets", sts) == ("Waiting for 1 pods to be ready...", False)
    sts["status"].update(readyReplicas=3, updatedReplicas=1)
    assert workload.rollout_status("statefulsets", sts) == (
        "waiting for statefulset rolling update to complete 1 pods at revision db-2...", False)
    sts["status"].update(currentRevision="db-2", currentReplicas=3)
    assert workload.rollout_status("statefulsets", sts) == (
        "statefulset rolling update complete 3 pods at revision db-2...", True)
    # as kubectl: a rollingUpdate (the API server defaults partition 0) makes it a "partitioned" roll out
    sts["spec"]["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    sts["status"].update(updatedReplicas=2)
    assert workload.rollout_status("statefulsets", sts) == (
        "Waiting for partitioned roll out to finish: 2 out of 3 new pods have been updated...", False)
    sts["status"].update(updatedReplicas=3)
    assert workload.rollout_status("statefulsets", sts) == (
        "partitioned roll out complete: 3 new pods have been updated...", True)
    sts["spec"]["updateStrategy"] = {"type": "OnDelete"}
    with pytest.raises(RolloutError, match="RollingUpdate"):
        workload.rollout_status("statefulsets", sts)
    ds = {"metadata": {"name": "agent", "generation": 1}, "spec": {},
          "status": {"observedGeneration": 1, "desiredNumberScheduled": 4, "updatedNumberScheduled": 2}}
    assert workload.rollout_status("daemonsets", ds)[0].endswith("2 out of 4 new pods have been updated...")
    ds["status"].update(updatedNumberScheduled=4, numberAvailable=3)
    assert workload.rollout_status("daemonsets", ds)[0].endswith("3 of 4 updated pods are available...")
    ds["status"]["numberAvailable"] = 4
    assert workload.rollout_status("daemonsets", ds) == ('daemon set "agent" successfully rolled out', True)
    assert workload.replica_counts(ds) == "updated 4 · ready 0 · available 4 of 4"


def test_set_image_patch_changes_only_that_container():
    obj = {"spec": {"template": {"spec": {
        "initContainers": [{"name": "migrate", "image": "m:1"}],
        "containers": [{"name": "app", "image": "a:1"}, {"name": "side", "image": "s:1"}]}}}}
    assert [c[1:] for c in workload.containers_of(obj)] == [("app", "a:1"), ("side", "s:1"), ("migrate", "m:1")]
    out = json_patch(obj, workload.set_image_patch(obj, "side", "s:2"))
    assert [c["image"] for c in out["spec"]["template"]["spec"]["containers"]] == ["a:1", "s:2"]
    out = json_patch(obj, workload.set_image_patch(obj, "migrate", "m:2"))
    assert out["spec"]["template"]["spec"]["initContainers"][0]["image"] == "m:2"
    with pytest.raises(RolloutError, match="unable to find container"):
        workload.set_image_patch(obj, "nope", "x")
    # a concurrent edit of that image makes the `test` op fail instead of overwriting it
    moved = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "a:9"}]}}}}
    with pytest.raises(Exception, match="test"):
        json_patch(moved, workload.set_image_patch(obj, "app", "a:2"))


def test_actions_preview_as_kubectl():
    a = workload.set_image_action("statefulsets", "shop", "db", "pg", "postgres:17", "prod", "postgres:16")
    assert a.preview == "kubectl --context prod -n shop set image statefulset/db pg=postgres:17"
    assert a.detail == "pg: postgres:16 → postgres:17" and a.rbac == ("patch", "statefulsets", "apps")
    assert workload.restart_action("daemonsets", "kube-system", "agent", None).preview == (
        "kubectl -n kube-system rollout restart daemonset/agent")
    assert workload.scale_action("statefulsets", "shop", "db", 5, "c", 3).preview.endswith("scale statefulset/db --replicas=5")
    with pytest.raises(RolloutError):
        workload.scale_action("daemonsets", "shop", "agent", 2, None)
    with pytest.raises(RolloutError):
        workload.restart_action("pods", "shop", "x", None)
