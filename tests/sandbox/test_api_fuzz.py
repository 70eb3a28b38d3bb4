"""Property: random requests never crash the sandbox; every error answer is a Status body."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gotui.sandbox.resources import RESOURCES

pytestmark = pytest.mark.sandbox
RESOURCE_PATHS = [(r.plural, r.group, r.version) for r in RESOURCES.values()] + [("policy", "", "v1")]

SEGMENTS = ["api", "apis", "v1", "v2", "apps", "autoscaling", "discovery.k8s.io", "authorization.k8s.io",
            "namespaces", "shop", "default", "fuzz", "pods", "services", "deployments", "replicasets", "events",
            "secrets", "configmaps", "endpoints", "endpointslices", "horizontalpodautoscalers",
            "selfsubjectaccessreviews", "status", "scale", "log", "watch", "go-api", "go-api-blue", "x", "",
            "sandbox", "policy", "cpu", "compact", "info", "openapi", "version", "%zz", "..", "%00"]
QUERY = ["watch=true", "watch=false", "resourceVersion=0", "resourceVersion=1", "resourceVersion=abc",
         "resourceVersion=99999999", "labelSelector=a%3Db", "labelSelector=a+in+(", "labelSelector=!x",
         "fieldSelector=metadata.name%3Dx", "fieldSelector=bogus", "sendInitialEvents=true",
         "sendInitialEvents=maybe", "resourceVersionMatch=NotOlderThan", "allowWatchBookmarks=true",
         "tailLines=-3", "tailLines=x", "limitBytes=0", "sinceSeconds=5", "sinceTime=nope", "container=zz",
         "previous=true", "gracePeriodSeconds=0", "gracePeriodSeconds=x", "propagationPolicy=Orphan",
         "includeObject=Object", "dryRun=All", "timeoutSeconds=x", "limit=5", "continue=abc"]
CTYPES = ["application/json", "application/merge-patch+json", "application/strategic-merge-patch+json",
          "application/json-patch+json", "application/vnd.kubernetes.protobuf", "text/plain",
          "application/apply-patch+yaml", "application/yaml"]
ACCEPTS = ["application/json", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json",
           "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io", "*/*", "text/html"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20) | st.sampled_from(["shop", "x", "fuzz", "app", "$patch", "delete", "/spec"]),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["metadata", "name", "namespace", "spec", "status", "labels", "selector",
                                       "replicas", "containers", "op", "path", "value", "resourceVersion", "kind",
                                       "apiVersion", "template", "matchLabels", "image", "$patch",
                                       "generateName", "data", "deny", "verb", "resource", "percent",
                                       "deployment", "resourceAttributes", "ports", "port"]) | st.text(max_size=8),
                      children, max_size=5),
    max_leaves=25,
)
bodies = st.one_of(
    st.none(),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
    st.just(b"k8s\x00\x0a\x03\x0a\x01\x61\x12\xff"),
)


@st.composite
def requests(draw):
    method = draw(st.sampled_from(["GET", "GET", "POST", "PUT", "PATCH", "PATCH", "DELETE", "HEAD", "OPTIONS"]))
    if draw(st.booleans()):
        segs = draw(st.lists(st.sampled_from(SEGMENTS) | st.text(alphabet="abc-./%", max_size=6), max_size=7))
    else:  # a well-formed resource path with random parts
        plural, group, version = draw(st.sampled_from(RESOURCE_PATHS))
        segs = ["api", version] if not group else ["apis", group, version]
        if draw(st.integers(0, 3)):
            segs = segs + ["namespaces", draw(st.sampled_from(["shop", "default", "fuzz", "x"]))]
        segs = segs + [plural]
        if draw(st.booleans()):
            segs.append(draw(st.sampled_from(["go-api", "go-api-blue", "x", "fuzz", "default", "shop"])))
            if draw(st.booleans()):
                segs.append(draw(st.sampled_from(["status", "scale", "log", "exec"])))
    query = draw(st.lists(st.sampled_from(QUERY), max_size=4))
    query.append("timeoutSeconds=1")
    path = "/" + "/".join(segs) + "?" + "&".join(query)
    return method, path, draw(bodies), draw(st.sampled_from(CTYPES)), draw(st.sampled_from(ACCEPTS))


def _send(sbx, method: str, path: str, body: bytes | None, ctype: str, accept: str) -> tuple[int, bytes, str]:
    conn = sbx.connection(timeout=5)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": ctype, "Accept": accept})
        resp = conn.getresponse()
        try:
            data = resp.read(200_000)
        except TimeoutError:  # a stream that is still open (watch or log follow)
            data = b""
        return resp.status, data, resp.getheader("Content-Type") or ""
    finally:
        conn.close()


def test_random_requests_never_break_the_server(fresh_sandbox):
    sbx = fresh_sandbox("quiet")
    seen: dict[int, int] = {}

    @settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(requests())
    def check(req):
        method, path, body, ctype, accept = req
        if path.startswith("/sandbox/v1/policy") and method in ("POST", "PUT"):
            return  # denying everything would only make later examples boring
        status, data, rtype = _send(sbx, method, path, body, ctype, accept)
        seen[status] = seen.get(status, 0) + 1
        assert status != 500, (method, path, data[:500])
        assert status < 500 or status == 503, (method, path, data[:500])
        if status >= 400 and method != "HEAD":
            status_body = json.loads(data)
            assert status_body["kind"] == "Status" and status_body["code"] == status, (method, path, data[:300])
            assert status_body["status"] == "Failure" and status_body["reason"]

    check()
    assert sbx.alive()
    ok, info = sbx.request("GET", "/version")
    assert ok == 200 and info["major"] == "1"
    print("status counts", seen)
    assert len(seen) >= 4, seen  # the generator reached several kinds of answers
