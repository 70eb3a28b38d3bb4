"""Pure parts of the Kubernetes side: pod status text as kubectl prints it, ages, selectors and the
Pods filter, the HPA formula, the store's change tracking and coalescing, RBAC caching."""

from __future__ import annotations

import threading

import pytest

from gotui.ops.actions import Action
from gotui.ops.hpa import hpa_view, metrics, next_desired, validate_min_max
from gotui.ops.kube_text import human_duration, parse_time
from gotui.ops.pods import BAD, OK, WARN, health, owning_deployment, parse_filter, pod_row, pod_status
from gotui.ops.rbac import RbacChecker
from gotui.ops.selectors import SelectorError, parse_selector, selector_matches
from gotui.store import ClusterStore

T0 = "2024-05-01T12:00:00Z"


def pod(name="p", containers=None, statuses=None, init=None, init_statuses=None, phase="Running", deleting=False,
        conditions=None, reason=None, labels=None):
    containers = containers or [{"name": "app", "image": "go-api:1.4.2"}]
    meta = {"name": name, "namespace": "shop", "creationTimestamp": T0, "labels": labels or {}}
    if deleting:
        meta["deletionTimestamp"] = T0
    status = {"phase": phase, "containerStatuses": statuses or [], "conditions": conditions or []}
    if init_statuses is not None:
        status["initContainerStatuses"] = init_statuses
    if reason:
        status["reason"] = reason
    spec = {"containers": containers, "nodeName": "node-1"}
    if init:
        spec["initContainers"] = init
    return {"metadata": meta, "spec": spec, "status": status}


def running(name="app", ready=True, restarts=0, last_finished=None):
    cs = {"name": name, "ready": ready, "restartCount": restarts, "state": {"running": {"startedAt": T0}}}
    if last_finished:
        cs["lastState"] = {"terminated": {"exitCode": 2, "reason": "Error", "finishedAt": last_finished}}
    return cs


def waiting(reason, name="app", restarts=0):
    return {"name": name, "ready": False, "restartCount": restarts, "state": {"waiting": {"reason": reason}}}


def terminated(reason="", code=0, name="app", signal=0):
    term = {"exitCode": code}
    if reason:
        term["reason"] = reason
    if signal:
        term["signal"] = signal
    return {"name": name, "ready": False, "restartCount": 0, "state": {"terminated": term}}


@pytest.mark.parametrize(
    "p, expected",
    [
        (pod(statuses=[running()]), ("Running", "1/1", OK)),
        (pod(statuses=[waiting("CrashLoopBackOff", restarts=4)]), ("CrashLoopBackOff", "0/1", BAD)),
        (pod(statuses=[waiting("ImagePullBackOff")], phase="Pending"), ("ImagePullBackOff", "0/1", BAD)),
        (pod(statuses=[waiting("ContainerCreating")], phase="Pending"), ("ContainerCreating", "0/1", WARN)),
        (pod(statuses=[terminated("Completed")], phase="Succeeded"), ("Completed", "0/1", OK)),
        (pod(statuses=[terminated("OOMKilled", 137)], phase="Failed"), ("OOMKilled", "0/1", BAD)),
        (pod(statuses=[terminated(code=3)], phase="Failed"), ("ExitCode:3", "0/1", BAD)),
        (pod(statuses=[terminated(signal=9)], phase="Failed"), ("Signal:9", "0/1", BAD)),
        (pod(statuses=[running()], deleting=True), ("Terminating", "1/1", WARN)),
        (pod(statuses=[running(ready=False)]), ("Running", "0/1", WARN)),
        (pod(phase="Pending"), ("Pending", "0/1", WARN)),
        (pod(phase="Failed", reason="Evicted"), ("Evicted", "0/1", BAD)),
    ],
)
def test_pod_status_as_kubectl(p, expected):
    ps = pod_status(p)
    assert (ps.reason, ps.ready_text, health(ps)) == expected


def test_init_containers_progress_and_failure():
    init = [{"name": "a"}, {"name": "b"}]
    # first init done, second running -> Init:1/2
    p = pod(init=init, init_statuses=[terminated("Completed", 0, "a"), {"name": "b", "restartCount": 0, "state": {"running": {}}}], phase="Pending")
    assert pod_status(p).reason == "Init:1/2"
    p = pod(init=init, init_statuses=[waiting("CrashLoopBackOff", "a", restarts=3), waiting("PodInitializing", "b")], phase="Pending")
    ps = pod_status(p)
    assert ps.reason == "Init:CrashLoopBackOff" and ps.restarts == 3 and health(ps) == BAD
    p = pod(init=init, init_statuses=[terminated("Error", 1, "a"), waiting("PodInitializing", "b")], phase="Pending")
    assert pod_status(p).reason == "Init:Error"


def test_two_containers_completed_with_one_running_is_notready_or_running():
    p = pod(containers=[{"name": "a"}, {"name": "b"}], statuses=[terminated("Completed", 0, "a"), running("b")])
    assert pod_status(p).reason == "NotReady"
    p["status"]["conditions"] = [{"type": "Ready", "status": "True"}]
    assert pod_status(p).reason == "Running"


def test_restarts_with_last_restart_age():
    p = pod(statuses=[running(restarts=5, last_finished="2024-05-01T12:00:00Z")])
    ps = pod_status(p)
    assert ps.restarts == 5
    assert ps.restarts_text(parse_time("2024-05-01T12:03:00Z")) == "5 (3m ago)"
    assert pod_status(pod(statuses=[running()])).restarts_text(0) == "0"


@pytest.mark.parametrize("seconds, text", [(5, "5s"), (119, "119s"), (125, "2m5s"), (600, "10m"), (3 * 3600 + 120, "3h2m"),
                                           (20 * 3600, "20h"), (3 * 86400 + 4 * 3600, "3d4h"), (40 * 86400, "40d"),
                                           (800 * 86400, "2y70d")])
def test_human_duration_like_kubectl(seconds, text):
    assert human_duration(seconds) == text


def test_parse_time_with_nanoseconds():
    assert parse_time("2024-05-01T12:00:00.123456789Z") == pytest.approx(parse_time(T0) + 0.123456, abs=1e-5)
    assert parse_time("garbage") is None


def test_selector_parsing_and_matching():
    reqs = parse_selector("app=go-api,version!=green,env in (prod, staging),!legacy,tier")
    labels = {"app": "go-api", "version": "blue", "env": "prod", "tier": "web"}
    assert selector_matches(reqs, labels)
    assert not selector_matches(reqs, {**labels, "legacy": "1"})
    assert not selector_matches(reqs, {**labels, "env": "dev"})
    assert not selector_matches(reqs, {k: v for k, v in labels.items() if k != "tier"})
    assert selector_matches(parse_selector("app==go-api"), labels)
    assert selector_matches(parse_selector("env notin (dev)"), labels)
    with pytest.raises(SelectorError):
        parse_selector("app=go-api,,x")
    with pytest.raises(SelectorError):
        parse_selector("=novalue")


def test_pods_filter_by_name_label_and_status():
    rows = [
        pod_row(pod("go-api-blue-1", statuses=[running()], labels={"app": "go-api", "version": "blue"})),
        pod_row(pod("go-api-green-1", statuses=[running()], labels={"app": "go-api", "version": "green"})),
        pod_row(pod("worker-1", statuses=[waiting("CrashLoopBackOff", restarts=2)], labels={"app": "worker"})),
    ]

    def names(text):
        f = parse_filter(text)
        return [r.name for r in rows if f.matches(r)]

    assert names("") == ["go-api-blue-1", "go-api-green-1", "worker-1"]
    assert names("blue") == ["go-api-blue-1"]
    assert names("-l app=go-api") == ["go-api-blue-1", "go-api-green-1"]
    assert names("-l app=go-api,version=green") == ["go-api-green-1"]
    assert names("crash") == ["worker-1"]
    assert names("status:running") == ["go-api-blue-1", "go-api-green-1"]
    assert names("-l app=go-api status:running green") == ["go-api-green-1"]
    assert names("!worker") == ["go-api-blue-1", "go-api-green-1"]
    assert parse_filter("-l app=(").error


def test_owning_deployment_through_replicaset():
    p = pod("go-api-blue-abc12-xyz", labels={"pod-template-hash": "abc12"})
    p["metadata"]["ownerReferences"] = [{"kind": "ReplicaSet", "name": "go-api-blue-abc12", "controller": True}]
    rs = {"metadata": {"name": "go-api-blue-abc12", "ownerReferences": [{"kind": "Deployment", "name": "go-api-blue", "controller": True}]}}
    assert owning_deployment(p, {"go-api-blue-abc12": rs}) == "go-api-blue"
    assert owning_deployment(p, {}) == "go-api-blue"  # from the pod-template-hash when the RS is not cached
    assert owning_deployment(pod("bare"), {}) is None


@pytest.mark.parametrize(
    "current, metric, target, lo, hi, expected",
    [
        (3, 75, 70, 2, 10, 3),  # ratio 1.07: within the 10% tolerance
        (3, 78, 70, 2, 10, 4),  # ratio 1.114: ceil(3.34) = 4
        (3, 140, 70, 2, 10, 6),
        (3, 700, 70, 2, 10, 10),  # clamped at max
        (4, 10, 70, 2, 10, 2),  # clamped at min
        (4, 63, 70, 2, 10, 4),  # ratio 0.9: exactly at the tolerance edge: no change
        (4, 62, 70, 2, 10, 4),  # ceil(3.54) = 4
        (4, 50, 70, 2, 10, 3),  # ceil(2.86) = 3
    ],
)
def test_hpa_next_desired_formula(current, metric, target, lo, hi, expected):
    assert next_desired(current, metric, target, lo, hi) == expected


def test_hpa_view_metrics_and_limited():
    hpa = {
        "metadata": {"name": "go-api-blue", "namespace": "shop"},
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "go-api-blue"}, "minReplicas": 2, "maxReplicas": 10,
                 "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]},
        "status": {"currentReplicas": 10, "desiredReplicas": 10,
                   "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 150}}}],
                   "conditions": [{"type": "ScalingLimited", "status": "True", "reason": "TooManyReplicas", "message": "at max"}]},
    }
    v = hpa_view(hpa)
    assert [m.text for m in metrics(hpa)] == ["cpu: 150%/70%"]
    assert v.at_max and v.limited == ("TooManyReplicas", "at max")
    assert v.next_desired == 10 and v.cpu == 150
    assert validate_min_max(3, 2) and validate_min_max(0, 2) and validate_min_max(2, 5) is None


def test_store_changes_since_and_coalescing():
    wakes = []
    store = ClusterStore(on_dirty=lambda: wakes.append(1))
    store.replace("pods", [pod("a"), pod("b")])
    seq0 = store.seq
    assert store.take_dirty() == {"pods"}
    for i in range(100):  # 100 changes before the bridge flushes: one wake-up
        store.upsert("pods", pod("a", phase=f"P{i}"))
    store.delete("pods", pod("b"))
    assert len(wakes) == 2
    assert store.take_dirty() == {"pods"}
    seq, keys = store.changes_since("pods", seq0)
    assert keys == {("shop", "a"), ("shop", "b")}
    assert store.get("pods", "shop", "b") is None and store.count("pods") == 1
    # a relist forces consumers to rebuild
    store.replace("pods", [pod("c")])
    assert store.changes_since("pods", seq)[1] is None
    assert store.changes_since("pods", store.seq)[1] == set()


def test_store_is_thread_safe():
    store = ClusterStore()

    def writer(prefix):
        for i in range(500):
            store.upsert("pods", pod(f"{prefix}-{i}"))

    threads = [threading.Thread(target=writer, args=(p,)) for p in "abcd"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.count("pods") == 2000 and store.generation("pods") == 2000


def test_rbac_cache_one_request_a_minute():
    calls = []
    now = [0.0]

    def ask(verb, resource, group, ns):
        calls.append((verb, resource, group, ns))
        return (verb != "delete", "policy says no")

    checker = RbacChecker(None, "ctx", ask=ask, clock=lambda: now[0])
    delete = Action("delete", "pod", "p", namespace="shop", rbac=("delete", "pods", ""))
    assert "may not delete pods in shop" in checker(delete)
    assert checker(delete) and len(calls) == 1
    now[0] = 61.0
    checker(delete)
    assert len(calls) == 2
    assert checker(Action("patch", "deployment", "d", namespace="shop", rbac=("patch", "deployments", "apps"))) is None


def test_sources_and_ops_do_not_import_textual():
    import subprocess
    import sys

    code = ("import sys, gotui.sources.kube_source, gotui.sources.kube_logs, gotui.store, gotui.ops.pods, "
            "gotui.ops.hpa, gotui.ops.rbac, gotui.ops.selectors; print('textual' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


def test_pods_filter_namespace_term_keeps_one_namespace() -> None:
    from gotui.ops.pods import PodRow, parse_filter

    fields = PodRow.__dataclass_fields__
    assert "namespace" in fields
    f = parse_filter("ns:shop go-api")
    assert f.namespaces == ("shop",) and f.words == ("go-api",)
    f2 = parse_filter("-l app=go-api ns:Shop-2")
    assert f2.namespaces == ("Shop-2",) and len(f2.selector) == 1  # the -l selector stops at ns:


def test_hpa_view_reads_the_minimum_before_a_scale_up() -> None:
    from gotui.ops.hpa import edit_min_max_action, hpa_view
    from gotui.ops.scale_up import ANN_MIN_BEFORE

    def view(ann):
        return hpa_view({"metadata": {"name": "h", "namespace": "n", "annotations": ann},
                         "spec": {"minReplicas": 3, "maxReplicas": 6}})

    assert view({ANN_MIN_BEFORE: "2"}).min_before == 2
    assert view({ANN_MIN_BEFORE: "two"}).min_before is None and view({ANN_MIN_BEFORE: "0"}).min_before is None
    assert view(None).min_before is None
    plain = edit_min_max_action("n", "h", "ctx", (3, 6), (2, 6))
    assert plain.params["body"] == {"spec": {"minReplicas": 2, "maxReplicas": 6}}
    restoring = edit_min_max_action("n", "h", "ctx", (3, 6), (2, 6), min_before=2)
    assert restoring.params["body"]["metadata"] == {"annotations": {ANN_MIN_BEFORE: None}}
    assert '"gotui.dev/min-replicas-before": null' in restoring.preview


def test_the_sandbox_prints_pod_status_with_the_same_printer():
    """One kubectl pod-status printer: the sandbox's server-side Table (what `kubectl get pods` and the
    resource view show) and the Pods pane agree, also where kubectl's rules are subtle."""
    from gotui.clock import parse_epoch
    from gotui.sandbox.tables import build_table

    sidecar = pod(init=[{"name": "proxy", "restartPolicy": "Always"}],
                  init_statuses=[{"name": "proxy", "started": True, "restartCount": 2, "state": {"running": {}}}],
                  statuses=[running()], conditions=[{"type": "Initialized", "status": "True"}])
    gated = pod(phase="Pending", conditions=[{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}])
    pods = [pod(statuses=[terminated("Completed")], phase="Succeeded", deleting=True),  # kubectl: Completed
            sidecar, gated, pod(statuses=[waiting("CrashLoopBackOff", restarts=4)]),
            pod(statuses=[running(restarts=5, last_finished="2024-05-01T11:58:00Z")])]
    now = parse_epoch(T0) + 3600
    table = build_table("pods", pods, "1", now=now)
    for p, row in zip(pods, table["rows"], strict=True):
        ps = pod_status(p)
        assert row["cells"][1:4] == [ps.ready_text, ps.reason, ps.restarts_text(now)]
    assert [r["cells"][2] for r in table["rows"]][:3] == ["Completed", "Running", "SchedulingGated"]
