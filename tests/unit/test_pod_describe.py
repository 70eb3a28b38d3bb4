"""The `kubectl describe pod` formatters: probes, env (masked, valueFrom), tolerations, QoS, volumes,
mounts and termination states, each compared with the text kubectl prints."""

from __future__ import annotations

from gotui.ops.masking import MASK
from gotui.ops.pod_describe import (
    describe_lines,
    env_value,
    kube_time,
    mount_text,
    probe_text,
    qos_class,
    state_lines,
    toleration_text,
    tolerations,
    volume_lines,
)


def test_probes_in_kubectl_one_line_format():
    http = {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"}, "timeoutSeconds": 1, "periodSeconds": 10,
            "successThreshold": 1, "failureThreshold": 3}
    assert probe_text(http) == "http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3"
    assert probe_text({"tcpSocket": {"port": 8080}, "initialDelaySeconds": 5, "periodSeconds": 3}) == \
        "tcp-socket :8080 delay=5s timeout=1s period=3s #success=1 #failure=3"
    assert probe_text({"exec": {"command": ["cat", "/tmp/ready"]}, "failureThreshold": 30}).startswith(
        "exec [cat /tmp/ready] delay=0s")
    assert probe_text({"grpc": {"port": 9090}}).startswith("grpc <pod>:9090 delay=0s")
    assert probe_text({"httpGet": {"port": "http", "scheme": "HTTPS", "host": "h", "path": "/x"}}).startswith(
        "http-get https://h:http/x ")


def test_env_values_masked_and_value_from_as_kubectl_shows_it():
    pod = {"metadata": {"name": "p1", "namespace": "shop"}, "spec": {"nodeName": "n1"}}
    assert env_value({"name": "LOG_LEVEL", "value": "debug"}, pod, "c") == "debug"
    assert env_value({"name": "DB_PASSWORD", "value": "hunter2hunter2"}, pod, "c") == MASK
    assert env_value({"name": "DSN", "value": "postgres://app:pw@db/x"}, pod, "c") != "postgres://app:pw@db/x"
    ref = {"name": "T", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}
    assert env_value(ref, pod, "c") == "<set to the key 'k' in secret 's'>  Optional: false"
    cm = {"name": "M", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "mode", "optional": True}}}
    assert env_value(cm, pod, "c") == "<set to the key 'mode' of config map 'cfg'>  Optional: true"
    field = {"name": "NODE", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}}}
    assert env_value(field, pod, "c") == "n1 (v1:spec.nodeName)"


def test_tolerations_in_kubectl_format_sorted_by_key():
    assert toleration_text({"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                            "tolerationSeconds": 300}) == "node.kubernetes.io/not-ready:NoExecute op=Exists for 300s"
    assert toleration_text({"key": "dedicated", "operator": "Equal", "value": "go", "effect": "NoSchedule"}) == \
        "dedicated=go:NoSchedule"
    assert toleration_text({"operator": "Exists"}) == "op=Exists"
    pod = {"spec": {"tolerations": [{"key": "z", "operator": "Exists"}, {"key": "a", "operator": "Exists"}]}}
    assert tolerations(pod) == ["a op=Exists", "z op=Exists"]


def _pod(*resources: dict, qos: str | None = None) -> dict:
    pod: dict = {"spec": {"containers": [{"name": f"c{i}", "resources": r} for i, r in enumerate(resources)]}}
    if qos:
        pod["status"] = {"qosClass": qos}
    return pod


def test_qos_class_computed_as_kubernetes_does():
    both = {"cpu": "1", "memory": "1Gi"}
    assert qos_class(_pod({})) == "BestEffort"
    assert qos_class(_pod({"limits": both})) == "Guaranteed"  # requests default to limits
    assert qos_class(_pod({"limits": both, "requests": both}, {"limits": both})) == "Guaranteed"
    assert qos_class(_pod({"limits": both}, {})) == "Burstable"
    assert qos_class(_pod({"requests": {"cpu": "100m"}, "limits": {"cpu": "500m"}})) == "Burstable"
    assert qos_class(_pod({"limits": {"cpu": "1"}})) == "Burstable"  # memory limit missing
    assert qos_class(_pod({"requests": {"ephemeral-storage": "1Gi"}})) == "BestEffort"
    assert qos_class(_pod({}, qos="Guaranteed")) == "Guaranteed"  # status wins when present


def test_volumes_and_mounts():
    assert volume_lines({"name": "c", "emptyDir": {}})[0] == ("Type", "EmptyDir (a temporary directory that shares a pod's lifetime)")
    assert ("SecretName", "db") in volume_lines({"name": "s", "secret": {"secretName": "db"}})
    assert ("ClaimName", "data") in volume_lines({"name": "d", "persistentVolumeClaim": {"claimName": "data"}})
    assert ("Path", "/var/log") in volume_lines({"name": "h", "hostPath": {"path": "/var/log"}})
    assert mount_text({"name": "cfg", "mountPath": "/etc/app", "readOnly": True}) == "/etc/app from cfg (ro)"
    assert mount_text({"name": "v", "mountPath": "/x", "subPath": "sub"}) == '/x from v (rw,path="sub")'


def test_last_termination_state_has_reason_exit_code_times_and_message():
    state = {"terminated": {"reason": "Error", "exitCode": 2, "message": "panic: boom",
                            "startedAt": "2026-12-01T11:21:42Z", "finishedAt": "2026-12-01T11:21:50Z"}}
    lines = state_lines("Last State", state)
    assert lines[0] == (2, "Last State", "Terminated")
    assert (3, "Reason", "Error") in lines and (3, "Exit Code", "2") in lines and (3, "Message", "panic: boom") in lines
    assert (3, "Finished", "Tue, 01 Dec 2026 11:21:50 +0000") in lines
    assert kube_time("2026-12-01T11:21:42Z") == "Tue, 01 Dec 2026 11:21:42 +0000"
    assert state_lines("Last State", {}) == []


def test_describe_lines_sections_in_kubectl_order():
    pod = {"spec": {"containers": [{"name": "api", "image": "go-api:1"}], "nodeSelector": {"disktype": "ssd"}},
           "status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    labels = [label for level, label, _ in describe_lines(pod) if level == 0 and label]
    assert labels == ["Containers", "Conditions", "Volumes", "QoS Class", "Node-Selectors", "Tolerations"]
    assert (0, "Node-Selectors", "disktype=ssd") in describe_lines(pod)
