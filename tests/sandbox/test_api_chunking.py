"""List chunking as the API server does it: limit/continue through the official client and the real
kubectl, a consistent snapshot across pages, 410 with a fresh token when the continue expired."""

from __future__ import annotations

import base64
import json
import time

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from gotui.sandbox.paging import decode_continue, encode_continue

pytestmark = pytest.mark.sandbox

PODS = 300


def _wait_pods(sb, n: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while sb.info()["counts"]["pods"] < n:
        assert time.monotonic() < deadline, f"fewer than {n} pods after {timeout}s"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    from fixtures.sandbox import start_sandbox

    sb = start_sandbox(tmp_path_factory.mktemp("chunking"), scenario="big", pods=PODS)
    try:
        _wait_pods(sb, PODS)
        yield sb
    finally:
        sb.stop()


def test_token_format_is_the_api_servers():
    token = encode_continue(1052, "team-alpha/web-1\x00")
    raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    assert raw == {"v": "meta.k8s.io/v1", "rv": 1052, "start": "team-alpha/web-1\x00"}
    assert "=" not in token and "\\u0000" in base64.urlsafe_b64decode(token + "==").decode()
    assert decode_continue(token) == (1052, "team-alpha/web-1\x00")


def test_official_client_pages_through_a_consistent_snapshot(big):
    core = client.CoreV1Api(big.api_client)
    whole = core.list_pod_for_all_namespaces()
    first = core.list_pod_for_all_namespaces(limit=50)
    assert len(first.items) == 50 and first.metadata._continue
    assert first.metadata.remaining_item_count == len(whole.items) - 50
    # a pod created after the first page sorts into the middle of the list: the later pages do not
    # show it (they are the first page's snapshot), a new list does
    ns = first.items[-1].metadata.namespace
    core.create_namespaced_pod(ns, {"metadata": {"name": "zz-after-the-first-page"},
                                    "spec": {"containers": [{"name": "c", "image": "go-api:1.4.2"}]}})
    names = [(p.metadata.namespace, p.metadata.name) for p in first.items]
    token, pages = first.metadata._continue, 1
    while token:
        page = core.list_pod_for_all_namespaces(limit=50, _continue=token)
        assert page.metadata.resource_version == first.metadata.resource_version
        names += [(p.metadata.namespace, p.metadata.name) for p in page.items]
        token, pages = page.metadata._continue, pages + 1
    assert names == sorted(names) and len(set(names)) == len(names)
    assert (ns, "zz-after-the-first-page") not in names
    assert pages == -(-len(names) // 50)
    assert set(names) == {(p.metadata.namespace, p.metadata.name) for p in whole.items}
    fresh = core.list_pod_for_all_namespaces()
    assert (ns, "zz-after-the-first-page") in {(p.metadata.namespace, p.metadata.name) for p in fresh.items}
    core.delete_namespaced_pod("zz-after-the-first-page", ns, grace_period_seconds=0)


def test_kubectl_get_pods_chunked(big, kubectl_for):
    kubectl = kubectl_for(big)
    out = kubectl.run("get", "pods", "-A", "--chunk-size=50", "-v=6", check=True, timeout=60)
    rows = out.stdout.splitlines()
    assert rows[0].split()[:2] == ["NAMESPACE", "NAME"]
    listed = {tuple(r.split()[:2]) for r in rows[1:]}
    core = client.CoreV1Api(big.api_client)
    assert listed == {(p.metadata.namespace, p.metadata.name) for p in core.list_pod_for_all_namespaces().items}
    gets = [line for line in out.stderr.splitlines() if "GET" in line and "/pods?" in line]
    assert sum("limit=50" in g for g in gets) >= PODS // 50
    assert sum("continue=" in g for g in gets) >= PODS // 50 - 1


def test_expired_continue_is_410_with_a_token_that_continues(fresh_sandbox):
    sb = fresh_sandbox("big", pods=120)
    _wait_pods(sb, 120)
    core = client.CoreV1Api(sb.api_client)
    first = core.list_pod_for_all_namespaces(limit=40)
    core.create_namespaced_config_map("default", {"metadata": {"name": "after-the-first-page"}})
    sb.compact()  # like an etcd compaction after a write: the first page's resourceVersion is gone
    with pytest.raises(ApiException) as caught:
        core.list_pod_for_all_namespaces(limit=40, _continue=first.metadata._continue)
    assert caught.value.status == 410
    status = json.loads(caught.value.body)
    assert status["reason"] == "Expired" and "continue parameter is too old" in status["message"]
    token = status["metadata"]["continue"]
    assert decode_continue(token)[0] == -1  # "continue at the current state"
    rest = core.list_pod_for_all_namespaces(limit=1000, _continue=token)
    got = [(p.metadata.namespace, p.metadata.name) for p in first.items + rest.items]
    assert got == sorted(got) and len(got) == len(core.list_pod_for_all_namespaces().items)


def test_bad_continue_and_resource_version_with_continue_are_400(big):
    status, body = big.request("GET", "/api/v1/pods?limit=5&continue=not-a-token")
    assert status == 400 and "invalid continue token" in body["message"]
    status, body = big.request("GET", "/api/v1/pods?limit=5")
    token = body["metadata"]["continue"]
    status, body = big.request("GET", f"/api/v1/pods?limit=5&continue={token}&resourceVersion=7")
    assert status == 400 and "not allowed when using continue" in body["message"]
    status, body = big.request("GET", "/api/v1/pods?limit=5&resourceVersion=0")
    assert status == 200 and "continue" not in body["metadata"]  # rv=0: the watch cache, whole


def test_table_pages_carry_the_token(big):
    status, body = big.request("GET", "/api/v1/pods?limit=7",
                               headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"})
    assert status == 200 and body["kind"] == "Table" and len(body["rows"]) == 7
    assert body["metadata"]["continue"] and body["metadata"]["remainingItemCount"] >= PODS - 7
