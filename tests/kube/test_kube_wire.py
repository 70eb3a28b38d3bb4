"""The streaming list parser and the cached (slim) shape of objects: pure tests, then against the sandbox."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gotui.ops.bluegreen import discover_apps
from gotui.ops.pods import owning_deployment, pod_row
from gotui.sources.kube_source import Watcher, make_api_client, read_object
from gotui.sources.kube_wire import ListParseError, Slimmer, iter_list_items
from gotui.store import ClusterStore
from gotui.ui.pod_details import describe_pod


def full_pod(name: str, *, restarts: int = 0, phase: str = "Running", note: str = "") -> dict:
    """A pod as a real API server sends it (managedFields, tolerations, volumes... included)."""
    return {
        "metadata": {
            "name": name, "generateName": "go-api-7d9-", "namespace": "shop", "uid": f"uid-{name}",
            "resourceVersion": "42", "creationTimestamp": "2026-01-01T00:00:00Z",
            "labels": {"app": "go-api", "pod-template-hash": "7d9"},
            "annotations": {"note": note, "kubectl.kubernetes.io/last-applied-configuration": "{\"big\": 1}"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "go-api-7d9",
                                 "uid": "rs-uid", "controller": True}],
            "managedFields": [{"manager": "kubelet", "operation": "Update", "fieldsV1": {"f:status": {}}}],
        },
        "spec": {
            "containers": [{"name": "api", "image": "go-api:1.4.2", "imagePullPolicy": "IfNotPresent",
                            "resources": {"limits": {"memory": "256Mi"}}, "volumeMounts": [{"name": "t", "mountPath": "/t"}]}],
            "initContainers": [{"name": "proxy", "image": "envoy:1", "restartPolicy": "Always"}],
            "nodeName": "n1", "tolerations": [{"key": "k", "operator": "Exists"}], "volumes": [{"name": "t"}],
        },
        "status": {
            "phase": phase, "podIP": "10.0.0.9", "podIPs": [{"ip": "10.0.0.9"}], "hostIPs": [{"ip": "10.1.1.1"}],
            "conditions": [{"type": "Ready", "status": "True", "lastProbeTime": None,
                            "lastTransitionTime": "2026-01-01T00:00:05Z"},
                           {"type": "Initialized", "status": "True"}],
            "initContainerStatuses": [{"name": "proxy", "ready": True, "started": True, "restartCount": 0,
                                       "state": {"running": {"startedAt": "2026-01-01T00:00:01Z"}}, "image": "envoy:1"}],
            "containerStatuses": [{"name": "api", "ready": restarts == 0, "restartCount": restarts, "image": "go-api:1.4.2",
                                   "imageID": "sha256:abc", "containerID": "containerd://x",
                                   "state": {"waiting": {"reason": "CrashLoopBackOff"}} if restarts else
                                            {"running": {"startedAt": "2026-01-01T00:00:02Z"}},
                                   "lastState": {"terminated": {"exitCode": 2, "reason": "Error",
                                                                "finishedAt": "2026-01-01T00:10:00Z"}} if restarts else {}}],
        },
    }


def pod_list(pods: list[dict], *, metadata_last: bool = False) -> bytes:
    meta = {"resourceVersion": "777", "continue": ""}
    body = {"kind": "PodList", "apiVersion": "v1"}
    if not metadata_last:
        body["metadata"] = meta
    body["items"] = pods
    if metadata_last:
        body["metadata"] = meta
    return json.dumps(body, indent=1, ensure_ascii=False).encode()


def chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("size", [1, 7, 64, 4096, 10**7])
@pytest.mark.parametrize("metadata_last", [False, True])
def test_streamed_list_equals_json_loads(size, metadata_last):
    pods = [full_pod(f"p{i}", note="héllo ✓ 日本") for i in range(25)]  # multi-byte text split across chunks
    body = pod_list(pods, metadata_last=metadata_last)
    items: list[dict] = []
    header = iter_list_items(chunks(body, size), items.append)
    assert items == pods
    assert header == {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "777", "continue": ""}}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), st.text(max_size=8), st.none(),
                                                                 st.lists(st.integers(), max_size=3)), max_size=4),
                max_size=6),
       st.integers(min_value=1, max_value=40))
def test_streamed_list_any_items_any_chunking(items, size):
    body = json.dumps({"kind": "XList", "metadata": {"resourceVersion": "1"}, "items": items}).encode()
    got: list[dict] = []
    header = iter_list_items(chunks(body, size), got.append)
    assert got == items and header["metadata"] == {"resourceVersion": "1"}


def test_streamed_list_unusual_and_broken_bodies():
    got: list[dict] = []
    assert iter_list_items([b'{"kind": "PodList", "metadata": {}}'], got.append) == {"kind": "PodList", "metadata": {}}
    assert got == []
    with pytest.raises(ListParseError):
        iter_list_items(chunks(b'{"kind": "PodList", "items": [{"a": 1}, {"b": ', 5), got.append)
    with pytest.raises(ListParseError):
        iter_list_items([b"<html>proxy error</html>"], got.append)


def test_slim_pod_keeps_what_every_reader_uses():
    now = time.time()
    for restarts in (0, 3):
        full = full_pod("a", restarts=restarts)
        slim = Slimmer().slim("pods", json.loads(json.dumps(full)))
        # dropped: what no pane reads
        assert "managedFields" not in slim["metadata"]
        assert "kubectl.kubernetes.io/last-applied-configuration" not in slim["metadata"]["annotations"]
        assert set(slim["spec"]) == {"containers", "initContainers", "nodeName"}
        assert slim["spec"]["containers"] == [{"name": "api", "image": "go-api:1.4.2"}]
        assert "podIPs" not in slim["status"] and "hostIPs" not in slim["status"]
        assert "lastProbeTime" not in slim["status"]["conditions"][0]
        assert "imageID" not in slim["status"]["containerStatuses"][0]
        # kept: the Pods pane row, the describe view, the Releases pane and the owner lookup read the same
        assert pod_row(slim) == pod_row(full)
        assert describe_pod(slim, [], now).plain == describe_pod(full, [], now).plain
        assert owning_deployment(slim) == owning_deployment(full) == "go-api"
        assert slim["metadata"]["ownerReferences"][0]["uid"] == "rs-uid"
    assert pod_row(Slimmer().slim("pods", full_pod("b", restarts=3))).status == "CrashLoopBackOff"


def test_slim_shares_repeated_strings_and_leaves_other_kinds_whole():
    slimmer = Slimmer()
    a = slimmer.slim("pods", json.loads(json.dumps(full_pod("a"))))
    b = slimmer.slim("pods", json.loads(json.dumps(full_pod("b"))))
    assert a["status"]["conditions"][0]["lastTransitionTime"] is b["status"]["conditions"][0]["lastTransitionTime"]
    assert a["spec"]["nodeName"] is b["spec"]["nodeName"]
    dep = {"metadata": {"name": "d", "managedFields": [{}], "annotations": {
        "kubectl.kubernetes.io/last-applied-configuration": "{}"}}, "spec": {"replicas": 2, "template": {"spec": {}}}}
    out = slimmer.slim("deployments", dep)
    assert out == {"metadata": {"name": "d", "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
                   "spec": {"replicas": 2, "template": {"spec": {}}}}


@pytest.mark.sandbox
def test_watcher_streams_a_big_list_into_the_store_and_read_object_is_whole(fresh_sandbox):
    sb = fresh_sandbox("big", pods=1500)
    api, _, _ = make_api_client(str(sb.kubeconfig), "gotui-sandbox")
    deadline = time.monotonic() + 60
    while (sb.info().get("counts") or {}).get("pods", 0) < 1500 and time.monotonic() < deadline:
        time.sleep(0.2)
    store = ClusterStore()
    w = Watcher(api, "pods", store, None)
    w._list()  # one list, as the thread does first
    assert store.synced("pods") and store.count("pods") == 1500
    assert w.stats.list_s > 0 and w.resource_version not in (None, "0")
    whole = sb.request("GET", "/api/v1/pods")[1]
    by_key = {(p["metadata"]["namespace"], p["metadata"]["name"]): p for p in whole["items"]}
    now = time.time()
    for cached in store.list("pods")[:200]:
        key = (cached["metadata"]["namespace"], cached["metadata"]["name"])
        assert cached["kind"] == "Pod" and cached["apiVersion"] == "v1"
        assert pod_row(cached) == pod_row(by_key[key])
        assert describe_pod(cached, [], now).plain == describe_pod(by_key[key], [], now).plain
    # The Releases pane sees the same apps from the trimmed pods as from whole ones.
    ns_objs = {k: sb.request("GET", f"/api/v1/{k}")[1]["items"] for k in ("services", "endpoints")}
    deps = sb.request("GET", "/apis/apps/v1/deployments")[1]["items"]
    rss = sb.request("GET", "/apis/apps/v1/replicasets")[1]["items"]
    assert discover_apps(ns_objs["services"], deps, rss, store.list("pods"), ns_objs["endpoints"]) == \
        discover_apps(ns_objs["services"], deps, rss, whole["items"], ns_objs["endpoints"])
    # The YAML view's source: the whole object, straight from the API.
    cached = store.list("pods")[0]
    meta = cached["metadata"]
    full = read_object(api, "pods", meta["namespace"], meta["name"])
    assert full["spec"].keys() > cached["spec"].keys() and "tolerations" in full["spec"]
    with pytest.raises(Exception) as err:
        read_object(api, "pods", meta["namespace"], "no-such-pod")
    assert getattr(err.value, "status", None) == 404
