"""The watch cache, logs, RBAC, read-only and HPA against the real sandbox (official client, real HTTP)."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time

import pytest
from kubernetes import client

from fixtures.sandbox import _env
from gotui.config import Settings
from gotui.ops import hpa as hpa_ops
from gotui.ops import pods as pod_ops
from gotui.ops.hpa import hpa_view
from gotui.ops.rbac import RbacChecker
from gotui.ops.safety import ActionRefused
from gotui.sources.kube_logs import PodLogStream
from gotui.sources.kube_source import KubeConfigProblem, Watcher, list_contexts, make_api_client
from gotui.store import ClusterStore

pytestmark = pytest.mark.sandbox


def wait_for(pred, timeout=15.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def start_watchers(api, store, kinds=("pods",), ns="shop", **kw):
    ws = [Watcher(api, k, store, ns, **kw) for k in kinds]
    for w in ws:
        w.start()
    return ws


def stop_all(ws):
    for w in ws:
        w.stop()
    for w in ws:
        w.join(5)


def test_kubeconfig_problems_are_clear(tmp_path):
    with pytest.raises(KubeConfigProblem, match="does not exist"):
        make_api_client(str(tmp_path / "nope"))
    bad = tmp_path / "bad"
    bad.write_text("apiVersion: v1\nclusters: [\n  - oops: : :\n")
    with pytest.raises(KubeConfigProblem, match=r"line \d+"):
        make_api_client(str(bad))


def test_missing_context_named(sandbox):
    names = [c.name for c in list_contexts(str(sandbox.kubeconfig))]
    assert "gotui-sandbox" in names
    with pytest.raises(KubeConfigProblem, match="'nope' is not in kubeconfig"):
        make_api_client(str(sandbox.kubeconfig), "nope")


def test_watch_live_updates(sandbox):
    api, ctx, _ = make_api_client(str(sandbox.kubeconfig), "gotui-sandbox")
    store = ClusterStore()
    ws = start_watchers(api, store, ("pods", "deployments"))
    try:
        wait_for(lambda: store.synced("pods") and store.count("pods") > 0, what="first list")
        assert all(p.get("kind") == "Pod" for p in store.list("pods"))
        core = client.CoreV1Api(api)
        body = {"metadata": {"name": "gotui-live-test", "labels": {"t": "live"}}, "spec": {"containers": [{"name": "c", "image": "go-api:1.4.2"}]}}
        core.create_namespaced_pod("shop", body)
        wait_for(lambda: store.get("pods", "shop", "gotui-live-test"), what="ADDED")
        core.patch_namespaced_pod("gotui-live-test", "shop", {"metadata": {"labels": {"t": "changed"}}})
        wait_for(lambda: (store.get("pods", "shop", "gotui-live-test") or {}).get("metadata", {}).get("labels", {}).get("t") == "changed", what="MODIFIED")
        core.delete_namespaced_pod("gotui-live-test", "shop", grace_period_seconds=0)
        wait_for(lambda: store.get("pods", "shop", "gotui-live-test") is None, what="DELETED")
        assert ws[0].stats.lists == 1 and ws[0].state == "connected"
    finally:
        stop_all(ws)


def test_410_relists(fresh_sandbox):
    sb = fresh_sandbox("quiet")
    api, _, _ = make_api_client(str(sb.kubeconfig), "gotui-sandbox")
    core = client.CoreV1Api(api)
    stale_rv = core.list_namespaced_pod("shop").metadata.resource_version
    body = {"metadata": {"name": "gotui-410"}, "spec": {"containers": [{"name": "c", "image": "go-api:1.4.2"}]}}
    core.create_namespaced_pod("shop", body)
    for i in range(3):
        core.create_namespaced_config_map("shop", {"metadata": {"name": f"cm-{i}"}})
    sb.compact()  # the history before now is gone: a watch from stale_rv gets 410 Gone
    store = ClusterStore()
    w = Watcher(api, "pods", store, "shop")
    w.resource_version = stale_rv  # as if it had been disconnected for a long time
    w.start()
    try:
        wait_for(lambda: w.stats.relists_410 == 1 and w.stats.lists == 1, what="a relist after 410")
        wait_for(lambda: store.get("pods", "shop", "gotui-410"), what="the pod after relist")
        assert w.state == "connected"
    finally:
        stop_all([w])


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(port, kubeconfig, scenario="quiet", seed=1):
    cmd = [sys.executable, "-m", "gotui", "sandbox", "--port", str(port), "--kubeconfig-out", str(kubeconfig),
           "--scenario", scenario, "--seed", str(seed)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=_env())
    for line in proc.stdout:
        if "kubeconfig at" in line:
            break
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    return proc


def test_server_restart_on_same_port(tmp_path):
    port = _free_port()
    kc = tmp_path / "kubeconfig"
    proc = _serve(port, kc)
    try:
        api, _, _ = make_api_client(str(kc), "gotui-sandbox")
        store = ClusterStore()
        states = []
        ws = start_watchers(api, store, ("pods", "deployments"), on_state=lambda k, s, d: states.append((k, s)),
                            backoff_cap=1.0)
        wait_for(lambda: store.synced("pods") and store.count("pods") > 0, what="first list")
        client.CoreV1Api(api).create_namespaced_pod("shop", {"metadata": {"name": "only-in-first"}, "spec": {"containers": [{"name": "c", "image": "x:1"}]}})
        wait_for(lambda: store.get("pods", "shop", "only-in-first"), what="pod in first server")
        proc.terminate()
        proc.wait(10)
        wait_for(lambda: ("pods", "reconnecting") in states, what="reconnecting state")
        proc = _serve(port, kc)  # a new cluster on the same address: different objects
        wait_for(lambda: states[-1][1] == "connected" and ws[0].state == "connected", timeout=20, what="reconnected")
        live = {p.metadata.name for p in client.CoreV1Api(api).list_namespaced_pod("shop").items}
        wait_for(lambda: {p["metadata"]["name"] for p in store.list("pods", "shop")} == live, what="store == new server")
        assert store.get("pods", "shop", "only-in-first") is None
        stop_all(ws)
    finally:
        proc.terminate()
        proc.wait(10)


def test_rbac_denial_through_ssar(fresh_sandbox):
    sb = fresh_sandbox("quiet")
    api = sb.api_client
    checker = RbacChecker(api, "gotui-sandbox")
    delete = pod_ops.delete_pod_action("shop", "x", "gotui-sandbox")
    assert checker(delete) is None
    sb.set_policy([{"verb": "delete", "resource": "pods", "namespace": "shop"}])
    checker.clear()
    reason = checker(delete)
    assert reason and "may not delete pods in shop" in reason
    assert checker(pod_ops.restart_deployment_action("shop", "go-api-blue", "gotui-sandbox")) is None


def test_readonly_refused_in_ops(sandbox, tmp_path):
    settings = Settings(readonly=True, audit_log=tmp_path / "a.jsonl")
    api = sandbox.api_client
    name = client.CoreV1Api(api).list_namespaced_pod("shop").items[0].metadata.name
    with pytest.raises(ActionRefused):
        pod_ops.delete_pod(api, pod_ops.delete_pod_action("shop", name, "gotui-sandbox"), settings)
    with pytest.raises(ActionRefused):
        pod_ops.restart_deployment(api, pod_ops.restart_deployment_action("shop", "go-api-blue", "gotui-sandbox"), settings)
    with pytest.raises(ActionRefused):
        hpa_ops.edit_min_max(api, hpa_ops.edit_min_max_action("shop", "go-api-blue", "gotui-sandbox", (2, 10), (3, 9)), settings)
    # nothing changed
    assert client.CoreV1Api(api).read_namespaced_pod(name, "shop").metadata.deletion_timestamp is None
    h = client.AutoscalingV2Api(api).read_namespaced_horizontal_pod_autoscaler("go-api-blue", "shop")
    assert (h.spec.min_replicas, h.spec.max_replicas) == (2, 10)


def test_ops_work_when_allowed(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    api = sb.api_client
    settings = Settings(audit_log=tmp_path / "a.jsonl")
    hpa_ops.edit_min_max(api, hpa_ops.edit_min_max_action("shop", "go-api-blue", "gotui-sandbox", (2, 10), (3, 9)), settings)
    h = client.AutoscalingV2Api(api).read_namespaced_horizontal_pod_autoscaler("go-api-blue", "shop")
    assert (h.spec.min_replicas, h.spec.max_replicas) == (3, 9)
    pod_ops.restart_deployment(api, pod_ops.restart_deployment_action("shop", "go-api-blue", "gotui-sandbox"), settings)
    d = client.AppsV1Api(api).read_namespaced_deployment("go-api-blue", "shop")
    assert "kubectl.kubernetes.io/restartedAt" in d.spec.template.metadata.annotations


def test_hpa_follows_synthetic_cpu(fresh_sandbox):
    sb = fresh_sandbox("default")
    api, _, _ = make_api_client(str(sb.kubeconfig), "gotui-sandbox")
    store = ClusterStore()
    ws = start_watchers(api, store, ("horizontalpodautoscalers",))
    try:
        wait_for(lambda: store.get("horizontalpodautoscalers", "shop", "go-api-blue"), what="hpa")
        sb.set_cpu("shop", "go-api-blue", 210)

        def high():
            v = hpa_view(store.get("horizontalpodautoscalers", "shop", "go-api-blue"))
            return v if (v.cpu or 0) > 100 else None

        v = wait_for(high, timeout=40, what="cpu above 100% in the HPA status")
        assert v.next_desired is not None and v.next_desired > 3 or v.current > 3
        assert v.metrics[0].text.startswith("cpu: ") and v.metrics[0].text.endswith("/70%")
    finally:
        stop_all(ws)


def _lines_sink():
    lines, marks = [], []
    return lines, marks, (lambda ls: lines.extend(ls)), (lambda m: marks.append(m))


def test_logs_follow_and_tail(sandbox):
    api = sandbox.api_client
    pod = client.CoreV1Api(api).list_namespaced_pod("shop", label_selector="app=go-api").items[0]
    lines, marks, on_lines, on_mark = _lines_sink()
    s = PodLogStream(api, "shop", pod.metadata.name, None, on_lines=on_lines, on_mark=on_mark, tail_lines=5)
    s.start()
    try:
        wait_for(lambda: len(lines) >= 5, what=f"tail lines (marks: {marks})")
        first = len(lines)
        wait_for(lambda: len(lines) > first, timeout=20, what="followed lines")
        assert all(line[:4].isdigit() for line in lines)  # timestamps requested
    finally:
        s.stop()
        s.join(5)


def test_following_a_container_that_has_not_started_waits_for_it(sandbox):
    """Opened while ContainerCreating (the kubelet answers 400): the stream says so once, then shows the lines."""
    api = sandbox.api_client
    core = client.CoreV1Api(api)
    name = f"gotui-wait-{time.monotonic_ns()}"
    core.create_namespaced_pod("shop", {"metadata": {"name": name},
                                        "spec": {"containers": [{"name": "api", "image": "go-api:1.4.2"}]}})
    lines, marks, on_lines, on_mark = _lines_sink()
    s = PodLogStream(api, "shop", name, None, on_lines=on_lines, on_mark=on_mark, tail_lines=5)
    s.start()
    try:
        wait_for(lambda: len(lines) >= 2, what=f"lines once the container started (marks: {marks})")
        assert marks and "is waiting to start" in marks[0] and "waiting for it to start" in marks[0], marks
        assert len([m for m in marks if "waiting" in m]) == 1  # said once, not once per retry
        assert s.is_alive()
    finally:
        s.stop()
        s.join(5)
        core.delete_namespaced_pod(name, "shop", grace_period_seconds=0)


def test_logs_previous_of_crashing_container(fresh_sandbox):
    sb = fresh_sandbox("default")
    api = sb.api_client
    core = client.CoreV1Api(api)

    def crashed():
        for p in core.list_namespaced_pod("shop").items:
            for cs in p.status.container_statuses or []:
                if (cs.restart_count or 0) >= 2 and cs.state.running:
                    return p, cs.name
        return None

    p, cname = wait_for(crashed, timeout=60, what="a restarted container")
    lines, marks, on_lines, on_mark = _lines_sink()
    s = PodLogStream(api, "shop", p.metadata.name, cname, on_lines=on_lines, on_mark=on_mark, previous=True)
    s.start()
    s.join(15)
    assert lines, marks
    assert any("end of log" in m for m in marks)
    # a pod that does not exist: a clear one-line message, not a traceback dump
    lines, marks, on_lines, on_mark = _lines_sink()
    s = PodLogStream(api, "shop", "no-such-pod", None, on_lines=on_lines, on_mark=on_mark)
    s.start()
    s.join(10)
    assert marks and "not found" in marks[0] and "HTTP response headers" not in marks[0]


def test_logs_resume_after_the_container_restarts(fresh_sandbox):
    """A followed crashing container: its stream ends at each crash and must resume (not fail forever)."""
    sb = fresh_sandbox("default")
    api = sb.api_client
    core = client.CoreV1Api(api)

    def crashing():
        for p in core.list_namespaced_pod("shop", label_selector="app=worker").items:
            for cs in p.status.container_statuses or []:
                if (cs.restart_count or 0) >= 1:
                    return p, cs.name
        return None

    p, cname = wait_for(crashing, timeout=60, what="a crashing container")
    lines, marks, on_lines, on_mark = _lines_sink()
    s = PodLogStream(api, "shop", p.metadata.name, cname, on_lines=on_lines, on_mark=on_mark, backoff_cap=1.0)
    s.start()
    try:
        try:
            wait_for(lambda: any("resumed" in m for m in marks), timeout=40, what="a resumed stream")
        finally:
            assert not any("validation error" in m for m in marks), marks
        seen = len(lines)
        wait_for(lambda: len(lines) > seen, timeout=30, what="lines after the resume")
        assert len(lines) == len(set(lines)), "a resumed stream repeats lines it already delivered"
    finally:
        s.stop()
        s.join(5)


def test_logs_since_seconds_limits_the_first_load(fresh_sandbox):
    """A range in time: only the lines of the last N seconds come, where the whole history is longer."""
    sb = fresh_sandbox("quiet")
    api = sb.api_client
    pod = client.CoreV1Api(api).list_namespaced_pod("shop", label_selector="app=go-api").items[0]
    time.sleep(8)  # ~16 lines of history at one line per ~0.5 s

    def first_batch(**kw):
        lines, marks, on_lines, on_mark = _lines_sink()
        s = PodLogStream(api, "shop", pod.metadata.name, None, on_lines=on_lines, on_mark=on_mark, follow=False, **kw)
        s.start()
        s.join(15)
        return lines

    everything = first_batch(tail_lines=None)
    recent = first_batch(tail_lines=None, since_seconds=2)
    assert len(everything) >= 12 and 1 <= len(recent) <= 8, (len(everything), len(recent))
    assert recent == everything[-len(recent):] or recent[0] > everything[-len(recent) - 1]
    assert len(first_batch(tail_lines=3, since_seconds=3600)) == 3  # both limits apply
