"""Wire-level behaviour of the sandbox API: discovery, Tables, watch modes, error Status bodies."""

from __future__ import annotations

import json
import uuid

import pytest

pytestmark = pytest.mark.sandbox

TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"


def _ns(sbx) -> str:
    name = f"p-{uuid.uuid4().hex[:8]}"
    status, body = sbx.request("POST", "/api/v1/namespaces", {"metadata": {"name": name}})
    assert status == 201, body
    return name


def _stream(sbx, path: str, headers: dict | None = None, timeout: float = 10) -> list[dict]:
    """GET a watch path and return its newline-delimited events."""
    conn = sbx.connection(timeout=timeout)
    conn.request("GET", path, headers=headers or {})
    resp = conn.getresponse()
    assert resp.status == 200, resp.read()
    assert resp.getheader("Transfer-Encoding") == "chunked"
    data = resp.read().decode()
    conn.close()
    return [json.loads(line) for line in data.split("\n") if line.strip()]


def test_legacy_discovery(sandbox):
    status, version = sandbox.request("GET", "/version")
    assert status == 200 and version["major"] == "1" and version["gitVersion"].startswith("v1.")
    _, api = sandbox.request("GET", "/api")
    assert api["kind"] == "APIVersions" and api["versions"] == ["v1"]
    _, apis = sandbox.request("GET", "/apis")
    groups = {g["name"]: g["preferredVersion"]["version"] for g in apis["groups"]
              if not g["name"].endswith(".example.com")}  # CRDs other tests create
    assert groups == {"apps": "v1", "autoscaling": "v2", "discovery.k8s.io": "v1", "authorization.k8s.io": "v1",
                      "authentication.k8s.io": "v1", "apiextensions.k8s.io": "v1"}
    _, core = sandbox.request("GET", "/api/v1")
    names = {r["name"] for r in core["resources"]}
    assert {"pods", "pods/log", "pods/status", "services", "endpoints", "events", "secrets", "configmaps",
            "namespaces"} <= names
    _, apps = sandbox.request("GET", "/apis/apps/v1")
    by_name = {r["name"]: r for r in apps["resources"]}
    assert by_name["deployments/scale"]["kind"] == "Scale" and by_name["deployments/scale"]["group"] == "autoscaling"
    assert {"deployments/status", "replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale",
            "daemonsets", "daemonsets/status", "controllerrevisions"} <= set(by_name)
    assert by_name["statefulsets"]["shortNames"] == ["sts"] and by_name["daemonsets"]["shortNames"] == ["ds"]
    assert by_name["deployments"]["shortNames"] == ["deploy"] and "all" in by_name["deployments"]["categories"]
    _, auth = sandbox.request("GET", "/apis/authorization.k8s.io/v1")
    assert [r["name"] for r in auth["resources"]] == ["selfsubjectaccessreviews"]
    for path in ("/openapi/v2", "/openapi/v3/apis/nope/v1", "/apis/nope/v1", "/api/v2", "/apis/apps/v1/widgets"):
        status, body = sandbox.request("GET", path)
        assert status == 404 and body["kind"] == "Status" and body["reason"] == "NotFound", path


def test_table_list_and_single_object(sandbox):
    ns = _ns(sandbox)
    sandbox.request("POST", f"/api/v1/namespaces/{ns}/secrets",
                    {"metadata": {"name": "s1"}, "type": "kubernetes.io/tls", "data": {"a": "YQ==", "b": "Yg=="}})
    status, table = sandbox.request("GET", f"/api/v1/namespaces/{ns}/secrets", headers={"Accept": TABLE_ACCEPT})
    assert status == 200 and table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Type", "Data", "Age"]
    assert table["columnDefinitions"][0]["format"] == "name"
    assert table["rows"][0]["cells"][:3] == ["s1", "kubernetes.io/tls", 2]
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    assert table["rows"][0]["object"]["metadata"]["name"] == "s1"
    assert table["metadata"]["resourceVersion"].isdigit()
    _, full = sandbox.request("GET", f"/api/v1/namespaces/{ns}/secrets?includeObject=Object",
                              headers={"Accept": TABLE_ACCEPT})
    assert full["rows"][0]["object"]["kind"] == "Secret" and full["rows"][0]["object"]["data"]["a"] == "YQ=="
    _, one = sandbox.request("GET", f"/api/v1/namespaces/{ns}/secrets/s1", headers={"Accept": TABLE_ACCEPT})
    assert one["kind"] == "Table" and len(one["rows"]) == 1
    for plural, group, first in [("pods", "api/v1", ["Name", "Ready", "Status", "Restarts", "Age"]),
                                 ("services", "api/v1", ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age"]),
                                 ("events", "api/v1", ["Last Seen", "Type", "Reason", "Object", "Message"]),
                                 ("deployments", "apis/apps/v1", ["Name", "Ready", "Up-to-date", "Available", "Age"]),
                                 ("replicasets", "apis/apps/v1", ["Name", "Desired", "Current", "Ready", "Age"]),
                                 ("horizontalpodautoscalers", "apis/autoscaling/v2",
                                  ["Name", "Reference", "Targets", "MinPods", "MaxPods", "Replicas", "Age"])]:
        _, t = sandbox.request("GET", f"/{group}/namespaces/{ns}/{plural}", headers={"Accept": TABLE_ACCEPT})
        assert [c["name"] for c in t["columnDefinitions"] if c["priority"] == 0] == first, plural


def test_watch_initial_events_and_bookmark(sandbox):
    ns = _ns(sandbox)
    for i in range(3):
        sandbox.request("POST", f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": f"c{i}"}})
    events = _stream(sandbox, f"/api/v1/namespaces/{ns}/configmaps?watch=true&sendInitialEvents=true"
                              "&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1")
    assert [e["type"] for e in events[:4]] == ["ADDED", "ADDED", "ADDED", "BOOKMARK"]
    assert [e["object"]["metadata"]["name"] for e in events[:3]] == ["c0", "c1", "c2"]
    bookmark = events[3]["object"]
    assert bookmark["kind"] == "ConfigMap"
    assert bookmark["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert int(bookmark["metadata"]["resourceVersion"]) >= int(events[2]["object"]["metadata"]["resourceVersion"])
    # sendInitialEvents without its required companions is refused, never ignored
    status, body = sandbox.request("GET", f"/api/v1/namespaces/{ns}/configmaps?watch=true&sendInitialEvents=true")
    assert status == 422 and body["reason"] == "Invalid"


def test_watch_rv_zero_lists_then_times_out(sandbox):
    ns = _ns(sandbox)
    sandbox.request("POST", f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": "only"}})
    events = _stream(sandbox, f"/api/v1/namespaces/{ns}/configmaps?watch=1&resourceVersion=0&timeoutSeconds=1")
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "only")]
    events = _stream(sandbox, f"/api/v1/watch/namespaces/{ns}/configmaps/only?timeoutSeconds=1")
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "only")]


def test_watch_table_mode_sends_tables(sandbox):
    ns = _ns(sandbox)
    sandbox.request("POST", f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": "t"}, "data": {"k": "v"}})
    events = _stream(sandbox, f"/api/v1/namespaces/{ns}/configmaps?watch=true&timeoutSeconds=1",
                     headers={"Accept": TABLE_ACCEPT})
    assert len(events) == 1 and events[0]["object"]["kind"] == "Table"
    assert events[0]["object"]["rows"][0]["cells"][:2] == ["t", 1]


def test_error_statuses(sandbox):
    ns = _ns(sandbox)
    base = f"/api/v1/namespaces/{ns}/configmaps"
    status, body = sandbox.request("POST", base, b"{not json")
    assert (status, body["reason"]) == (400, "BadRequest")
    status, body = sandbox.request("POST", base, b"x" * (3 * 1024 * 1024 + 10))
    assert (status, body["reason"]) == (413, "RequestEntityTooLarge")
    sandbox.request("POST", base, {"metadata": {"name": "c"}})
    status, body = sandbox.request("PATCH", f"{base}/c", {"data": {}}, headers={"Content-Type": "text/plain"})
    assert (status, body["reason"]) == (415, "UnsupportedMediaType")
    status, body = sandbox.request("PATCH", f"{base}/c", {"data": {}},
                                   headers={"Content-Type": "application/apply-patch+yaml"})
    assert status == 415
    status, body = sandbox.request("POST", f"{base}/c", {"metadata": {"name": "c"}})
    assert (status, body["reason"]) == (405, "MethodNotAllowed")
    status, body = sandbox.request("PUT", f"{base}/c", {"metadata": {"name": "other"}})
    assert (status, body["reason"]) == (400, "BadRequest")
    status, body = sandbox.request("PATCH", f"{base}/c", [{"op": "replace", "path": "/nope/x", "value": 1}],
                                   headers={"Content-Type": "application/json-patch+json"})
    assert (status, body["reason"]) == (422, "Invalid")
    status, body = sandbox.request("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", {
        "metadata": {"name": "d"}, "spec": {"selector": {"matchLabels": {"app": "a"}},
                                            "template": {"metadata": {"labels": {"app": "b"}},
                                                         "spec": {"containers": [{"name": "c", "image": "i"}]}}}})
    assert (status, body["reason"]) == (422, "Invalid")
    assert body["details"]["causes"] == [{"reason": "FieldValueInvalid", "field": "spec.template.metadata.labels",
                                          "message": body["details"]["causes"][0]["message"]}]
    assert "`selector` does not match template `labels`" in body["message"]
    status, body = sandbox.request("GET", "/api/v1/namespaces/x/pods?labelSelector=a%20in%20(")
    assert (status, body["reason"]) == (400, "BadRequest")
    status, body = sandbox.request("GET", "/api/v1/pods?fieldSelector=spec.bogus%3D1")
    assert (status, body["reason"]) == (400, "BadRequest")
    status, body = sandbox.request("GET", "/api/v1/pods/no-namespace-given")
    assert status == 404


def test_scale_subresource_put_and_conflict(sandbox):
    ns = _ns(sandbox)
    status, _ = sandbox.request("POST", f"/apis/apps/v1/namespaces/{ns}/replicasets", {
        "metadata": {"name": "rs"}, "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "a"}},
                                             "template": {"metadata": {"labels": {"app": "a"}},
                                                          "spec": {"containers": [{"name": "c", "image": "i:1"}]}}}})
    assert status == 201
    status, scale = sandbox.request("GET", f"/apis/apps/v1/namespaces/{ns}/replicasets/rs/scale")
    assert status == 200 and scale["kind"] == "Scale" and scale["status"]["selector"] == "app=a"
    stale = json.loads(json.dumps(scale))
    scale["spec"]["replicas"] = 0
    status, out = sandbox.request("PUT", f"/apis/apps/v1/namespaces/{ns}/replicasets/rs/scale", scale)
    assert status == 200 and out["spec"]["replicas"] == 0
    stale["spec"]["replicas"] = 5
    status, out = sandbox.request("PUT", f"/apis/apps/v1/namespaces/{ns}/replicasets/rs/scale", stale)
    assert (status, out["reason"]) == (409, "Conflict")


def test_non_loopback_host_is_refused():
    import subprocess
    import sys
    from pathlib import Path

    src = Path(__file__).resolve().parents[2] / "src"
    proc = subprocess.run([sys.executable, "-c", "import sys; from gotui.sandbox.server import main, parse_args; "
                           "sys.exit(main(parse_args(['--host', '0.0.0.0'])))"],
                          capture_output=True, text=True, timeout=30, env={"PYTHONPATH": str(src), "PATH": ""})
    assert proc.returncode == 2 and "refusing non-loopback host" in proc.stderr


def test_deletecollection_and_namespace_deletion(sandbox):
    ns = _ns(sandbox)
    base = f"/api/v1/namespaces/{ns}/configmaps"
    for name, tier in [("a", "x"), ("b", "x"), ("c", "y")]:
        sandbox.request("POST", base, {"metadata": {"name": name, "labels": {"tier": tier}}})
    status, body = sandbox.request("DELETE", f"{base}?labelSelector=tier%3Dx")
    assert status == 200 and body["kind"] == "ConfigMapList"
    assert sorted(i["metadata"]["name"] for i in body["items"]) == ["a", "b"]
    _, left = sandbox.request("GET", base)
    assert [i["metadata"]["name"] for i in left["items"]] == ["c"]
    status, body = sandbox.request("DELETE", "/api/v1/namespaces/default")
    assert (status, body["reason"]) == (403, "Forbidden")
    status, body = sandbox.request("DELETE", f"/api/v1/namespaces/{ns}")
    assert status == 200 and body["status"] == "Success"
    _, everywhere = sandbox.request("GET", "/api/v1/configmaps")
    assert all(i["metadata"]["namespace"] != ns for i in everywhere["items"])
    status, _ = sandbox.request("GET", f"/api/v1/namespaces/{ns}")
    assert status == 404
