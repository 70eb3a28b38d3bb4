"""The Pods pane's describe screen (`d`) against the real `kubectl describe pod` on the sandbox: same
sections and key values, for a pod created here with resources, env (literal, secret, config map,
field refs), ports, all three probes, volumes, mounts, a node-selector and tolerations, and for a
crashing pod (last termination state)."""

from __future__ import annotations

import re
import subprocess

import pytest

from fixtures.pilot import make_settings, until
from gotui.ops.masking import MASK
from gotui.ui.app import GotuiApp
from gotui.ui.pod_details import DescribeScreen

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(180)]

SECRET_VALUE = "hunter2hunter2"


def full_pod(name: str, image: str) -> dict:
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "shop", "labels": {"app": name}},
        "spec": {
            "nodeSelector": {"disktype": "ssd"},
            "tolerations": [
                {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
                {"key": "dedicated", "operator": "Equal", "value": "go", "effect": "NoSchedule"},
            ],
            "volumes": [{"name": "cache", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "app-config"}},
                        {"name": "creds", "secret": {"secretName": "db-creds"}}],
            "containers": [{
                "name": "api", "image": image,
                "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "128Mi"}},
                "env": [
                    {"name": "LOG_LEVEL", "value": "debug"},
                    {"name": "DB_PASSWORD", "value": SECRET_VALUE},
                    {"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "db-creds", "key": "token"}}},
                    {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "app-config", "key": "mode"}}},
                ],
                "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
                "readinessProbe": {"tcpSocket": {"port": 8080}, "initialDelaySeconds": 5, "periodSeconds": 3},
                "startupProbe": {"exec": {"command": ["cat", "/tmp/ready"]}, "failureThreshold": 30},
                "volumeMounts": [{"name": "cache", "mountPath": "/cache"},
                                 {"name": "cfg", "mountPath": "/etc/app", "readOnly": True}],
            }],
        },
    }


def kubectl_describe(sb, name: str) -> str:
    out = subprocess.run(["kubectl", "--kubeconfig", str(sb.kubeconfig), "-n", "shop", "describe", "pod", name],
                         capture_output=True, text=True, timeout=60, check=True)
    return out.stdout


def field(text: str, label: str) -> list[str]:
    """Every value of `label:` in describe text (whitespace collapsed)."""
    return [" ".join(m.group(1).split()) for m in re.finditer(rf"^\s*{re.escape(label)}:[ \t]*(.*)$", text, re.M)]


def body(text: str) -> str:
    """From `Containers:` on (the headers above it differ by design: gotui's shows health and age)."""
    return text[text.index("\nContainers:"):]


def probe_head(line: str) -> str:
    """A probe line up to the thresholds (kubectl 1.37 spells them successThreshold=/failureThreshold=,
    older ones #success=/#failure=)."""
    return re.split(r" (?:#success|successThreshold)=", line)[0]


def probe_thresholds(line: str) -> tuple[str, str]:
    m = re.search(r"(?:#success|successThreshold)=(\d+) (?:#failure|failureThreshold)=(\d+)", line)
    assert m, line
    return m.group(1), m.group(2)


async def open_describe(pilot, app, name: str) -> DescribeScreen:
    pane = app.pane("pods")
    key = ("shop", name)
    await until(pilot, lambda: key in pane.rows, what=f"pod {name} in the pane")
    pane.table.focus()
    pane.table.move_to(key)
    await pilot.press("d")
    screen = await until(pilot, lambda: isinstance(app.screen, DescribeScreen) and app.screen, what="describe screen")
    # the whole spec is read in a worker (the cache keeps pods trimmed)
    await until(pilot, lambda: "Mounts:" in screen.body_text(), what="the whole pod spec")
    return screen


async def test_describe_matches_kubectl_for_a_full_pod(fresh_sandbox, tmp_path):
    from kubernetes import client

    sb = fresh_sandbox("quiet")
    core = client.CoreV1Api(sb.api_client)
    core.create_namespaced_pod("shop", full_pod("full-pod", "go-api:1.4.2"))
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        pane = app.pane("pods")
        await until(pilot, lambda: ("shop", "full-pod") in pane.rows and pane.rows[("shop", "full-pod")].status == "Running",
                    what="full-pod running")
        screen = await open_describe(pilot, app, "full-pod")
        ours = screen.body_text()
        theirs = kubectl_describe(sb, "full-pod")
        # the same sections
        for section in ("Containers", "Conditions", "Volumes", "QoS Class", "Node-Selectors", "Tolerations"):
            assert re.search(rf"^{section}:", theirs, re.M), section
            assert re.search(rf"^{section}:", ours, re.M), (section, ours)
        assert "Events" in ours
        # the same key values
        for label in ("Image", "Port", "Ready", "Restart Count", "cpu", "memory", "QoS Class", "Node-Selectors",
                      "Tolerations", "LOG_LEVEL", "API_TOKEN", "MODE", "Type", "SecretName", "Name", "Optional"):
            mine, kube = field(body(ours), label), field(body(theirs), label)
            assert mine == kube, (label, mine, kube)
        assert field(ours, "QoS Class") == ["Burstable"]
        assert "node.kubernetes.io/not-ready:NoExecute op=Exists for 300s" in ours
        for label in ("Liveness", "Readiness", "Startup"):
            (mine,), (kube,) = field(ours, label), field(theirs, label)
            assert probe_head(mine) == probe_head(kube), (mine, kube)
            assert probe_thresholds(mine) == probe_thresholds(kube)
        assert "http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3" in ours
        for mount in ("/cache from cache (rw)", "/etc/app from cfg (ro)"):
            assert mount in ours and mount in theirs
        # a secret-looking literal value is masked (kubectl prints it)
        assert SECRET_VALUE in theirs
        assert SECRET_VALUE not in ours and field(ours, "DB_PASSWORD") == [MASK]
        await pilot.press("q")
        await until(pilot, lambda: not isinstance(app.screen, DescribeScreen), what="closed")


async def test_describe_last_termination_matches_kubectl(fresh_sandbox, tmp_path):
    from kubernetes import client

    sb = fresh_sandbox("quiet")
    core = client.CoreV1Api(sb.api_client)
    core.create_namespaced_pod("shop", full_pod("crash-pod", "go-api:crash"))

    def terminated() -> bool:
        pod = core.read_namespaced_pod("crash-pod", "shop")
        return any(cs.last_state and cs.last_state.terminated for cs in pod.status.container_statuses or [])

    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await until(pilot, terminated, timeout=60, what="a last termination state")
        screen = await open_describe(pilot, app, "crash-pod")
        theirs = kubectl_describe(sb, "crash-pod")
        ours = screen.body_text()
        assert field(theirs, "Last State") == ["Terminated"]
        assert "Last State:  Terminated" in ours
        # a restart (or the Waiting -> Running step) may land between the two reads: compare once both saw
        # the same restart count and the same state
        for _ in range(40):
            if all(field(ours, k) == field(theirs, k) for k in ("Restart Count", "State")):
                break
            await pilot.pause(0.1)
            theirs, ours = kubectl_describe(sb, "crash-pod"), screen.body_text()
        for label in ("Reason", "Exit Code", "Started", "Finished"):
            assert field(ours, label)[-2:] == field(theirs, label)[-2:] or set(field(theirs, label)) <= set(field(ours, label)), \
                (label, field(ours, label), field(theirs, label))
        await pilot.press("q")
