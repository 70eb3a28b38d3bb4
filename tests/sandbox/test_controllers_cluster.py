"""The sandbox controllers through the official kubernetes client (and kubectl) over real HTTP."""

from __future__ import annotations

import base64
import gzip
import json
import time
import urllib.request
import uuid

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from fixtures.sandbox import start_sandbox

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def default_sb(tmp_path_factory):
    running = start_sandbox(tmp_path_factory.mktemp("ctl-default"), "default", 5)
    try:
        yield running
    finally:
        running.stop()


def wait_for(pred, timeout=15.0, interval=0.1):
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met in {timeout}s (last: {last!r})")


def http_get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.status, resp.read().decode()


def _new_ns(api) -> str:
    name = f"ctl-{uuid.uuid4().hex[:6]}"
    client.CoreV1Api(api).create_namespace({"metadata": {"name": name}})
    return name


def _deployment(name: str, image: str, replicas: int = 3, http: bool = True) -> dict:
    c: dict = {"name": "app", "image": image}
    if http:
        c["ports"] = [{"name": "http", "containerPort": 8080}]
    return {"metadata": {"name": name}, "spec": {
        "replicas": replicas, "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [c]}}}}


def _ready(pod: client.V1Pod) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or []) \
        and pod.metadata.deletion_timestamp is None


def test_deployment_creates_replicaset_and_ready_pods(default_sb):
    api = default_sb.api_client
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    ns = _new_ns(api)
    dep = apps.create_namespaced_deployment(ns, _deployment("web", "go-api:1.4.2"))
    done = wait_for(lambda: (d := apps.read_namespaced_deployment("web", ns)).status.available_replicas == 3
                    and d.status.observed_generation == d.metadata.generation and d)
    assert done.status.updated_replicas == 3 and done.status.ready_replicas == 3
    conds = {c.type: c for c in done.status.conditions}
    assert conds["Available"].reason == "MinimumReplicasAvailable"
    assert conds["Progressing"].reason == "NewReplicaSetAvailable"
    assert done.metadata.annotations["deployment.kubernetes.io/revision"] == "1"
    rss = apps.list_namespaced_replica_set(ns).items
    assert len(rss) == 1
    rs = rss[0]
    h = rs.metadata.labels["pod-template-hash"]
    assert rs.metadata.name == f"web-{h}"
    assert rs.spec.selector.match_labels == {"app": "web", "pod-template-hash": h}
    ref = rs.metadata.owner_references[0]
    assert (ref.kind, ref.name, ref.uid, ref.controller) == ("Deployment", "web", dep.metadata.uid, True)
    pods = core.list_namespaced_pod(ns).items  # typed models: every required field is present
    assert len(pods) == 3
    for p in pods:
        assert p.metadata.name.startswith(f"web-{h}-") and len(p.metadata.name) == len(f"web-{h}-") + 5
        assert p.metadata.labels["pod-template-hash"] == h
        assert p.metadata.owner_references[0].uid == rs.metadata.uid
        assert p.status.phase == "Running" and _ready(p)
        assert p.spec.node_name and p.status.pod_ip and p.status.host_ip and p.status.start_time
        cs = p.status.container_statuses[0]
        assert cs.ready and cs.started and cs.state.running.started_at and cs.image == "go-api:1.4.2"
        assert cs.image_id and cs.container_id.startswith("containerd://")
        assert {c.type for c in p.status.conditions} >= {"PodScheduled", "Initialized", "ContainersReady", "Ready"}
        assert p.status.qos_class == "BestEffort"
    events = core.list_namespaced_event(ns).items
    reasons = {e.reason for e in events}
    assert {"ScalingReplicaSet", "SuccessfulCreate", "Scheduled", "Pulling", "Pulled", "Created", "Started"} <= reasons
    # deleting a pod: it terminates, and the ReplicaSet replaces it
    victim = pods[0].metadata.name
    core.delete_namespaced_pod(victim, ns)
    wait_for(lambda: victim not in {p.metadata.name for p in core.list_namespaced_pod(ns).items})
    wait_for(lambda: sum(_ready(p) for p in core.list_namespaced_pod(ns).items) == 3)
    assert any(e.reason == "Killing" for e in core.list_namespaced_event(ns).items)


def test_rolling_update_revisions_and_kubectl_rollout(default_sb, kubectl_for):
    api = default_sb.api_client
    apps = client.AppsV1Api(api)
    ns = _new_ns(api)
    apps.create_namespaced_deployment(ns, _deployment("roll", "go-api:1.4.2", replicas=4, http=False))
    k = kubectl_for(default_sb)
    k.run("-n", ns, "rollout", "status", "deploy/roll", "--timeout", "30s", check=True)
    k.run("-n", ns, "set", "image", "deploy/roll", "app=go-api:1.5.0", check=True)
    k.run("-n", ns, "annotate", "deploy/roll", "kubernetes.io/change-cause=to 1.5.0", check=True)
    out = k.run("-n", ns, "rollout", "status", "deploy/roll", "--timeout", "30s", check=True).stdout
    assert 'deployment "roll" successfully rolled out' in out
    hist = k.run("-n", ns, "rollout", "history", "deploy/roll", check=True).stdout
    assert "to 1.5.0" in hist and "\n1 " in hist and "\n2 " in hist
    k.run("-n", ns, "rollout", "undo", "deploy/roll", check=True)
    k.run("-n", ns, "rollout", "status", "deploy/roll", "--timeout", "30s", check=True)
    rss = {r.spec.template.spec.containers[0].image: r for r in apps.list_namespaced_replica_set(ns).items}
    old = rss["go-api:1.4.2"].metadata.annotations
    assert old["deployment.kubernetes.io/revision"] == "3"  # the reused RS becomes the newest revision
    assert old["deployment.kubernetes.io/revision-history"] == "1"
    assert rss["go-api:1.4.2"].spec.replicas == 4 and rss["go-api:1.5.0"].spec.replicas == 0
    d = apps.read_namespaced_deployment("roll", ns)
    assert d.metadata.annotations["deployment.kubernetes.io/revision"] == "3"
    # restart: a new template annotation gives a new ReplicaSet
    k.run("-n", ns, "rollout", "restart", "deploy/roll", check=True)
    k.run("-n", ns, "rollout", "status", "deploy/roll", "--timeout", "30s", check=True)
    assert len(apps.list_namespaced_replica_set(ns).items) == 3


def test_crashloop_restarts_grow_with_previous_log(default_sb):
    core = client.CoreV1Api(default_sb.api_client)

    def worker():
        pods = core.list_namespaced_pod("shop", label_selector="app=worker").items
        return pods[0] if pods else None

    def status(p):
        if p is None or not p.status.container_statuses:  # a pod just (re)created has none yet
            return None
        return next((c for c in p.status.container_statuses if c.name == "worker"), None)

    first = wait_for(lambda: (p := worker()) and (s := status(p)) and s.restart_count >= 1 and p)
    r1 = status(first).restart_count
    seen_backoff = wait_for(lambda: (s := status(worker())) and s.state.waiting
                            and s.state.waiting.reason == "CrashLoopBackOff" and s)
    assert seen_backoff.last_state.terminated.exit_code == 2
    assert seen_backoff.last_state.terminated.reason == "Error"
    later = wait_for(lambda: (p := worker()) and (s := status(p)) and s.restart_count >= r1 + 2 and p, timeout=20)
    name = later.metadata.name
    assert status(later).ready is False or status(later).state.running is not None
    prev = core.read_namespaced_pod_log(name, "shop", container="worker", previous=True)
    assert "panic: runtime error: invalid memory address or nil pointer dereference" in prev
    assert prev.rstrip().endswith("exit status 2")
    sidecar = next(c for c in later.status.container_statuses if c.name == "log-shipper")
    assert sidecar.restart_count == 0 and sidecar.ready
    events = core.list_namespaced_event("shop", field_selector=f"involvedObject.name={name}").items
    backoff = [e for e in events if e.reason == "BackOff"]
    assert backoff and backoff[0].type == "Warning" and backoff[0].count >= 1


def test_logs_options_through_the_client(default_sb):
    core = client.CoreV1Api(default_sb.api_client)
    pod = wait_for(lambda: next((p for p in core.list_namespaced_pod("shop", label_selector="version=green").items
                                 if _ready(p)), None))
    name = pod.metadata.name
    time.sleep(1.2)
    full = core.read_namespaced_pod_log(name, "shop")
    lines = full.splitlines()
    assert len(lines) >= 3 and json.loads(lines[0])["msg"] == "starting go-api"
    tail = core.read_namespaced_pod_log(name, "shop", tail_lines=2, timestamps=True).splitlines()
    assert len(tail) == 2 and tail[0][:4].isdigit() and tail[0][10] == "T" and "Z {" in tail[0]
    limited = core.read_namespaced_pod_log(name, "shop", limit_bytes=20)
    # upstream returns exactly limitBytes bytes
    assert limited == full[:20]
    with pytest.raises(ApiException) as err:
        core.read_namespaced_pod_log(name, "shop", previous=True)
    assert err.value.status == 400
    assert json.loads(err.value.body)["message"] == f'previous terminated container "go-api" in pod "{name}" not found'
    worker = core.list_namespaced_pod("shop", label_selector="app=worker").items[0].metadata.name
    with pytest.raises(ApiException) as err:
        core.read_namespaced_pod_log(worker, "shop")
    assert json.loads(err.value.body)["message"] == (
        f"a container name must be specified for pod {worker}, choose one of: [worker log-shipper]")
    # follow: new lines arrive as time passes
    resp = core.read_namespaced_pod_log(name, "shop", follow=True, tail_lines=1, _preload_content=False)
    got = []
    start = time.monotonic()
    for chunk in resp.stream(amt=1024):
        got.extend(chunk.decode().splitlines())
        if len(got) >= 4 or time.monotonic() - start > 10:
            break
    resp.close()
    assert len(got) >= 4
    assert all(json.loads(x)["level"] in ("info", "warn", "error") for x in got)


def test_endpoints_traffic_and_selector_switch(default_sb):
    api = default_sb.api_client
    core = client.CoreV1Api(api)
    disc = client.DiscoveryV1Api(api)

    def ips(version):
        return {p.status.pod_ip for p in core.list_namespaced_pod("shop", label_selector=f"version={version}").items
                if _ready(p)}

    def ep_ips():
        ep = core.read_namespaced_endpoints("go-api", "shop")
        return {a.ip for s in ep.subsets or [] for a in s.addresses or []}

    wait_for(lambda: ips("blue") and ep_ips() == ips("blue"))
    ep = core.read_namespaced_endpoints("go-api", "shop")
    assert ep.subsets[0].ports[0].port == 8080 and ep.subsets[0].addresses[0].target_ref.kind == "Pod"
    svc = core.read_namespaced_service("go-api", "shop")
    url = wait_for(lambda: (core.read_namespaced_service("go-api", "shop").metadata.annotations or {})
                   .get("sandbox.gotui.dev/url"))
    assert url.startswith("http://127.0.0.1:") and svc.spec.selector["version"] == "blue"
    for _ in range(4):
        status, body = http_get(url + "/version")
        assert status == 200 and json.loads(body)["version"] == "1.4.2"
    assert http_get(url + "/healthz") == (200, "ok")
    pod = core.list_namespaced_pod("shop", label_selector="version=green").items[0]
    pod_url = wait_for(lambda: (core.read_namespaced_pod(pod.metadata.name, "shop").metadata.annotations or {})
                       .get("sandbox.gotui.dev/url"))
    assert json.loads(http_get(pod_url + "/version")[1]) == {
        "version": "1.5.0", "pod": pod.metadata.name, "namespace": "shop", "image": "go-api:1.5.0"}
    # cut over: strategic merge patch of one selector key
    core.patch_namespaced_service("go-api", "shop", {"spec": {"selector": {"version": "green"}}})
    for _ in range(6):  # the very next requests already reach green
        assert json.loads(http_get(url + "/version")[1])["version"] == "1.5.0"
    wait_for(lambda: ep_ips() == ips("green"))
    slices = disc.list_namespaced_endpoint_slice("shop", label_selector="kubernetes.io/service-name=go-api").items
    assert len(slices) == 1 and slices[0].address_type == "IPv4"
    wait_for(lambda: {e.addresses[0] for e in disc.list_namespaced_endpoint_slice(
        "shop", label_selector="kubernetes.io/service-name=go-api").items[0].endpoints
        if e.conditions.ready} == ips("green"))
    # readiness: a deleted pod leaves the ready addresses at once (terminating)
    victim = core.list_namespaced_pod("shop", label_selector="version=green").items[0]
    core.delete_namespaced_pod(victim.metadata.name, "shop")
    wait_for(lambda: victim.status.pod_ip not in ep_ips(), timeout=5)
    core.patch_namespaced_service("go-api", "shop", {"spec": {"selector": {"version": "blue"}}})
    wait_for(lambda: ep_ips() == ips("blue"))


def test_hpa_follows_set_cpu_with_tolerance(fresh_sandbox):
    sb = fresh_sandbox("quiet", seed=2)
    apps = client.AppsV1Api(sb.api_client)
    hpa_api = client.AutoscalingV2Api(sb.api_client)

    def replicas():
        return apps.read_namespaced_deployment("go-api-green", "shop").spec.replicas

    wait_for(lambda: (h := hpa_api.read_namespaced_horizontal_pod_autoscaler("go-api-green", "shop")).status
             and h.status.current_metrics and h)
    assert replicas() == 3
    h = hpa_api.read_namespaced_horizontal_pod_autoscaler("go-api-green", "shop")
    assert h.status.desired_replicas == 3 and h.status.last_scale_time is None
    wait_for(lambda: client.AppsV1Api(sb.api_client).read_namespaced_deployment(
        "go-api-green", "shop").status.ready_replicas == 3)
    sb.set_cpu("shop", "go-api-green", 75)  # ratio 1.07: within the 10 % tolerance
    time.sleep(5)
    assert replicas() == 3
    sb.set_cpu("shop", "go-api-green", 140)  # ratio 2: double
    wait_for(lambda: replicas() == 6)
    h = wait_for(lambda: (x := hpa_api.read_namespaced_horizontal_pod_autoscaler("go-api-green", "shop"))
                 .status.desired_replicas == 6 and x)
    conds = {c.type: c for c in h.status.conditions}
    assert conds["AbleToScale"].reason == "SucceededRescale"
    assert conds["ScalingActive"].reason == "ValidMetricFound"
    assert conds["ScalingLimited"].status == "False"
    assert h.status.last_scale_time is not None
    wait_for(lambda: apps.read_namespaced_deployment("go-api-green", "shop").status.ready_replicas == 6)
    # the same load over 6 pods is 70 %: stable
    wait_for(lambda: hpa_api.read_namespaced_horizontal_pod_autoscaler("go-api-green", "shop")
             .status.current_metrics[0].resource.current.average_utilization == 70)
    time.sleep(4)
    assert replicas() == 6
    sb.set_cpu("shop", "go-api-green", 400)
    h = wait_for(lambda: (x := hpa_api.read_namespaced_horizontal_pod_autoscaler("go-api-green", "shop"))
                 .status.desired_replicas == 10 and x)
    assert {c.type: c.reason for c in h.status.conditions}["ScalingLimited"] == "TooManyReplicas"
    wait_for(lambda: replicas() == 10)
    events = client.CoreV1Api(sb.api_client).list_namespaced_event(
        "shop", field_selector="involvedObject.name=go-api-green").items
    assert any(e.reason == "SuccessfulRescale" and e.message.startswith("New size: 6;") for e in events)


def test_helm_release_secrets_decode(default_sb):
    core = client.CoreV1Api(default_sb.api_client)
    secrets = core.list_namespaced_secret("shop", label_selector="owner=helm,name=go-api").items
    by_version = {int(s.metadata.labels["version"]): s for s in secrets}
    assert sorted(by_version) == [1, 2, 3]
    assert [by_version[v].metadata.labels["status"] for v in (1, 2, 3)] == ["superseded", "superseded", "deployed"]
    for v, s in by_version.items():
        assert s.type == "helm.sh/release.v1" and s.metadata.name == f"sh.helm.release.v1.go-api.v{v}"
        rel = json.loads(gzip.decompress(base64.b64decode(base64.b64decode(s.data["release"]))))
        assert rel["version"] == v and rel["name"] == "go-api" and rel["namespace"] == "shop"
        assert rel["info"]["status"] == s.metadata.labels["status"]
        assert rel["chart"]["metadata"]["name"] == "go-api" and rel["manifest"].startswith("---\n# Source:")


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_big_scenario_10k_pods_running(fresh_sandbox):
    t0 = time.monotonic()
    sb = fresh_sandbox("big", seed=1, pods=10_000)
    started = time.monotonic() - t0
    core = client.CoreV1Api(sb.api_client)

    def running():
        pods = core.list_pod_for_all_namespaces(_preload_content=False)
        items = json.loads(pods.data)["items"]
        return len(items), sum(1 for p in items if (p.get("status") or {}).get("phase") == "Running")

    counts = wait_for(lambda: (c := running())[1] >= 10_000 and c, timeout=120, interval=0.5)
    elapsed = time.monotonic() - t0
    rss_kb = 0
    with open(f"/proc/{sb.proc.pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                rss_kb = int(line.split()[1])
    print(json.dumps({"bench": "sandbox-big-10k-running", "seconds_from_spawn": round(elapsed, 2),
                      "seconds_to_serving": round(started, 2), "pods": counts[0], "rss_mb": round(rss_kb / 1024)}))
    assert counts[0] == 10_000
    deps = client.AppsV1Api(sb.api_client).list_deployment_for_all_namespaces().items
    assert len(deps) == 200 and len({d.metadata.namespace for d in deps}) == 5
