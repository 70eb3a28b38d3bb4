"""StatefulSets, DaemonSets and CRDs in the sandbox, through the official client and the real kubectl:
ordered pod names, reverse-ordinal rolling restarts, one daemon pod per node, `kubectl rollout status`
completing, `kubectl scale`, ControllerRevisions, and a CRD whose kind, short name and printer columns
appear in discovery and `kubectl get`."""

from __future__ import annotations

import json
import threading
import time
import uuid

import pytest
from kubernetes import client, watch

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(120)]


def wait_for(predicate, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"{what} not met within {timeout}s (last: {last!r})")


def new_ns(sbx) -> str:
    name = f"sets-{uuid.uuid4().hex[:6]}"
    client.CoreV1Api(sbx.api_client).create_namespace({"metadata": {"name": name}})
    return name


def workload(kind: str, name: str, **spec) -> dict:
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name, "labels": labels},
            "spec": {"selector": {"matchLabels": labels}, **spec,
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "c", "image": f"{name}:1"}]}}}}


def live_pods(core: client.CoreV1Api, ns: str, app: str) -> dict[str, client.V1Pod]:
    return {p.metadata.name: p for p in core.list_namespaced_pod(ns, label_selector=f"app={app}").items
            if not p.metadata.deletion_timestamp}


def test_statefulset_ordinals_reverse_rolling_restart_and_scale(sandbox, kubectl_for):
    ns, core, apps = new_ns(sandbox), client.CoreV1Api(sandbox.api_client), client.AppsV1Api(sandbox.api_client)
    k = kubectl_for(sandbox)
    apps.create_namespaced_stateful_set(ns, workload("StatefulSet", "db", replicas=2, serviceName="db"))
    out = k.run("-n", ns, "rollout", "status", "sts/db", "--timeout=30s", check=True).stdout
    assert "partitioned roll out complete: 2 new pods have been updated..." in out
    pods = live_pods(core, ns, "db")
    assert sorted(pods) == ["db-0", "db-1"]
    assert pods["db-1"].metadata.labels["apps.kubernetes.io/pod-index"] == "1"
    assert pods["db-0"].metadata.owner_references[0].kind == "StatefulSet"
    # OrderedReady: db-1 was created after db-0 was Ready
    ready0 = next(c.last_transition_time for c in pods["db-0"].status.conditions if c.type == "Ready")
    assert pods["db-1"].metadata.creation_timestamp >= ready0
    table = k.run("-n", ns, "get", "sts", check=True).stdout.splitlines()
    assert table[0].split() == ["NAME", "READY", "AGE"] and table[1].split()[:2] == ["db", "2/2"]
    sts = apps.read_namespaced_stateful_set("db", ns)
    first_rev = sts.status.update_revision
    assert sts.status.current_revision == first_rev and sts.status.observed_generation == 1

    # the rolling restart replaces db-1 first, then db-0 (reverse ordinal order)
    deleted: list[str] = []
    w = watch.Watch()

    def follow() -> None:
        for ev in w.stream(core.list_namespaced_pod, ns, label_selector="app=db", timeout_seconds=30):
            if ev["object"].metadata.deletion_timestamp and ev["object"].metadata.name not in deleted:
                deleted.append(ev["object"].metadata.name)
                if len(deleted) == 2:
                    return

    t = threading.Thread(target=follow, daemon=True)
    t.start()
    time.sleep(0.3)  # the watch is open before the restart (its initial events have no deletion timestamps)
    k.run("-n", ns, "rollout", "restart", "sts/db", check=True)
    out = k.run("-n", ns, "rollout", "status", "sts/db", "--timeout=40s", check=True, timeout=50).stdout
    assert "partitioned roll out complete" in out
    sts = wait_for(lambda: (s := apps.read_namespaced_stateful_set("db", ns)).status.current_revision
                   == s.status.update_revision != first_rev and s, what="currentRevision = updateRevision")
    assert sts.status.updated_replicas == 2 and sts.status.ready_replicas == 2
    t.join(10)
    assert deleted[:2] == ["db-1", "db-0"], deleted
    assert {p.metadata.labels["controller-revision-hash"] for p in live_pods(core, ns, "db").values()} == {
        sts.status.update_revision}
    revs = k.run("-n", ns, "get", "controllerrevisions", check=True).stdout
    assert "statefulset.apps/db" in revs and first_rev in revs and sts.status.update_revision in revs
    history = k.run("-n", ns, "rollout", "history", "sts/db", check=True).stdout.split()
    assert history[-4:] == ["1", "<none>", "2", "<none>"]

    k.run("-n", ns, "scale", "sts/db", "--replicas=3", check=True)
    k.run("-n", ns, "rollout", "status", "sts/db", "--timeout=30s", check=True)
    assert sorted(live_pods(core, ns, "db")) == ["db-0", "db-1", "db-2"]
    k.run("-n", ns, "scale", "sts/db", "--replicas=1", check=True)
    wait_for(lambda: sorted(live_pods(core, ns, "db")) == ["db-0"], what="scaled down to db-0")


def test_daemonset_one_pod_per_node_and_rolling_restart(sandbox, kubectl_for):
    ns, core, apps = new_ns(sandbox), client.CoreV1Api(sandbox.api_client), client.AppsV1Api(sandbox.api_client)
    k = kubectl_for(sandbox)
    nodes = sorted(n.metadata.name for n in core.list_node().items)
    apps.create_namespaced_daemon_set(ns, workload("DaemonSet", "agent"))
    out = k.run("-n", ns, "rollout", "status", "ds/agent", "--timeout=30s", check=True).stdout
    assert 'daemon set "agent" successfully rolled out' in out
    pods = live_pods(core, ns, "agent")
    assert sorted(p.spec.node_name for p in pods.values()) == nodes
    assert all(p.metadata.owner_references[0].kind == "DaemonSet" for p in pods.values())
    table = k.run("-n", ns, "get", "ds", check=True).stdout.splitlines()
    assert table[0].split() == ["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE",
                                "SELECTOR", "AGE"]
    assert table[1].split()[:7] == ["agent", "3", "3", "3", "3", "3", "<none>"]
    old_hash = next(iter(pods.values())).metadata.labels["controller-revision-hash"]

    k.run("-n", ns, "rollout", "restart", "ds/agent", check=True)
    k.run("-n", ns, "rollout", "status", "ds/agent", "--timeout=40s", check=True, timeout=50)
    pods = live_pods(core, ns, "agent")
    assert sorted(p.spec.node_name for p in pods.values()) == nodes
    hashes = {p.metadata.labels["controller-revision-hash"] for p in pods.values()}
    assert len(hashes) == 1 and old_hash not in hashes
    st = apps.read_namespaced_daemon_set("agent", ns).status
    assert (st.desired_number_scheduled, st.number_ready, st.updated_number_scheduled, st.number_available) == (3, 3, 3, 3)
    revs = [r for r in apps.list_namespaced_controller_revision(ns).items]
    assert sorted(r.revision for r in revs) == [1, 2]


CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {{name: {plural}.{group}}}
spec:
  group: {group}
  scope: Namespaced
  names: {{plural: {plural}, singular: {singular}, kind: {kind}, shortNames: [{short}]}}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {{openAPIV3Schema: {{type: object, x-kubernetes-preserve-unknown-fields: true}}}}
    additionalPrinterColumns:
    - {{name: Spec, type: string, jsonPath: .spec.cronSpec}}
    - {{name: Replicas, type: integer, jsonPath: .spec.replicas}}
    - {{name: Age, type: date, jsonPath: .metadata.creationTimestamp}}
"""


def test_crd_serves_its_kind_with_printer_columns_and_watch(sandbox, kubectl_for, tmp_path):
    ns, k = new_ns(sandbox), kubectl_for(sandbox)
    suffix = uuid.uuid4().hex[:5]
    group, plural, kind, short = f"s{suffix}.example.com", f"crontabs{suffix}", f"CronTab{suffix}", f"ct{suffix}"
    (tmp_path / "crd.yaml").write_text(CRD.format(group=group, plural=plural, singular=plural[:-1], kind=kind,
                                                  short=short))
    # kubectl's default validation: the sandbox's OpenAPI v3 says the server validates fields
    k.run("apply", "-f", str(tmp_path / "crd.yaml"), check=True)
    crd = json.loads(k.run("get", "crd", f"{plural}.{group}", "-o", "json", check=True).stdout)
    assert {c["type"]: c["status"] for c in crd["status"]["conditions"]} == {"NamesAccepted": "True",
                                                                             "Established": "True"}
    resources = k.run("api-resources", f"--api-group={group}", check=True).stdout.splitlines()
    assert resources[1].split() == [plural, short, f"{group}/v1", "true", kind]

    custom = client.CustomObjectsApi(sandbox.api_client)
    events: list[tuple[str, str]] = []
    w = watch.Watch()
    started = threading.Event()

    def follow() -> None:
        started.set()
        for ev in w.stream(custom.list_namespaced_custom_object, group, "v1", ns, plural, timeout_seconds=20):
            events.append((ev["type"], ev["object"]["metadata"]["name"]))
            if ev["type"] == "DELETED":
                return

    t = threading.Thread(target=follow, daemon=True)
    t.start()
    started.wait(5)
    time.sleep(0.3)
    body = {"apiVersion": f"{group}/v1", "kind": kind, "metadata": {"name": "nightly"},
            "spec": {"cronSpec": "0 3 * * *", "replicas": 2}}
    made = custom.create_namespaced_custom_object(group, "v1", ns, plural, body)
    assert made["metadata"]["uid"] and made["metadata"]["generation"] == 1
    custom.patch_namespaced_custom_object(group, "v1", ns, plural, "nightly", {"spec": {"replicas": 3}})
    got = custom.get_namespaced_custom_object(group, "v1", ns, plural, "nightly")
    assert got["spec"] == {"cronSpec": "0 3 * * *", "replicas": 3} and got["metadata"]["generation"] == 2
    table = k.run("-n", ns, "get", short, check=True).stdout.splitlines()
    assert table[0].split() == ["NAME", "SPEC", "REPLICAS", "AGE"]
    assert table[1].split()[:7] == ["nightly", "0", "3", "*", "*", "*", "3"]
    custom.delete_namespaced_custom_object(group, "v1", ns, plural, "nightly")
    t.join(10)
    assert [e[0] for e in events] == ["ADDED", "MODIFIED", "DELETED"]

    # deleting the CRD stops serving the kind (and deletes its objects)
    custom.create_namespaced_custom_object(group, "v1", ns, plural, {**body, "metadata": {"name": "again"}})
    k.run("delete", "crd", f"{plural}.{group}", check=True)
    status = sandbox.request("GET", f"/apis/{group}/v1/namespaces/{ns}/{plural}")[0]
    assert status == 404
    groups = sandbox.request("GET", "/apis")[1]["groups"]
    assert group not in {g["name"] for g in groups}
