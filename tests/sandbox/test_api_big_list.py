"""JSON lists bigger than STREAM_LIST_BYTES are streamed in chunks: same bytes, exact Content-Length."""

from __future__ import annotations

import json

import pytest

from gotui.sandbox.server import STREAM_CHUNK_BYTES, STREAM_LIST_BYTES

pytestmark = pytest.mark.sandbox


def _get(sbx, path: str) -> tuple[int, dict[str, str], bytes]:
    conn = sbx.connection(timeout=30)
    try:
        conn.request("GET", path, headers={"Accept": "application/json"})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def test_big_list_is_streamed_whole_and_consistent(sandbox):
    ns = "big-list"
    sandbox.request("POST", "/api/v1/namespaces", {"metadata": {"name": ns}})
    value = "x" * (STREAM_CHUNK_BYTES // 3)  # items straddle chunk boundaries
    count = STREAM_LIST_BYTES // len(value) + 3
    for i in range(count):
        status, _ = sandbox.request("POST", f"/api/v1/namespaces/{ns}/configmaps",
                                    {"metadata": {"name": f"cm-{i:03d}", "labels": {"n": str(i)}}, "data": {"v": value}})
        assert status == 201
    status, headers, raw = _get(sandbox, f"/api/v1/namespaces/{ns}/configmaps")
    assert status == 200 and len(raw) > STREAM_LIST_BYTES
    assert int(headers["content-length"]) == len(raw) and "chunked" not in headers.get("transfer-encoding", "")
    body = json.loads(raw)
    assert body["kind"] == "ConfigMapList" and body["metadata"]["resourceVersion"]
    assert [o["metadata"]["name"] for o in body["items"]] == [f"cm-{i:03d}" for i in range(count)]
    assert all(o["data"]["v"] == value for o in body["items"])
    # a small (selector-filtered) list of the same resource takes the one-piece path and agrees
    status, _, small = _get(sandbox, f"/api/v1/namespaces/{ns}/configmaps?labelSelector=n%3D7")
    assert status == 200 and [o["metadata"]["name"] for o in json.loads(small)["items"]] == ["cm-007"]
