"""gotui's LIST is chunked (limit/continue, like kubectl) and survives a continue token that expires."""

from __future__ import annotations

import time

import pytest
from kubernetes import client

from gotui.sources import kube_source
from gotui.sources.kube_source import Watcher, make_api_client
from gotui.store import ClusterStore

pytestmark = pytest.mark.sandbox


def _wait(pred, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _all_pod_names(api) -> set[tuple[str, str]]:
    pods = client.CoreV1Api(api).list_pod_for_all_namespaces().items
    return {(p.metadata.namespace, p.metadata.name) for p in pods}


def _recording(w: Watcher, after_first=None) -> list[list]:
    """Record the query of every request the watcher makes (and run `after_first` after page one)."""
    queries: list[list] = []
    real = w._request

    def request(query, timeout):
        queries.append(list(query))
        resp = real(query, timeout)
        if after_first is not None and len(queries) == 1:
            after_first()
        return resp

    w._request = request  # type: ignore[method-assign]
    return queries


def _settled(sb, pods: int) -> None:
    _wait(lambda: sb.info()["counts"]["pods"] >= pods, what=f"{pods} pods")


def test_list_is_chunked_like_kubectl_and_complete(fresh_sandbox, monkeypatch):
    sb = fresh_sandbox("big", pods=700)
    _settled(sb, 700)
    api, _, _ = make_api_client(str(sb.kubeconfig), "gotui-sandbox")
    store = ClusterStore()
    w = Watcher(api, "pods", store, None)
    queries = _recording(w)
    w.start()
    try:
        _wait(lambda: store.synced("pods"), what="the first list")
        page_queries = [q for q in queries if ("watch", "true") not in q]
        assert page_queries[0] == [("limit", kube_source.LIST_CHUNK)]
        assert all(("limit", kube_source.LIST_CHUNK) in q and any(k == "continue" for k, _ in q)
                   for q in page_queries[1:])
        assert len(page_queries) >= 2  # 700+ pods in pages of 500
        names = {(p["metadata"]["namespace"], p["metadata"]["name"]) for p in store.list("pods")}
        assert len(names) == store.count("pods") >= 700
    finally:
        w.stop()
        w.join(5)


def test_expired_continue_token_restarts_the_list(fresh_sandbox, monkeypatch):
    sb = fresh_sandbox("big", pods=700)
    _settled(sb, 700)
    monkeypatch.setattr(kube_source, "LIST_CHUNK", 100)
    api, _, _ = make_api_client(str(sb.kubeconfig), "gotui-sandbox")
    store = ClusterStore()
    w = Watcher(api, "pods", store, None)
    queries = _recording(w, after_first=sb.compact)  # etcd compaction between page 1 and page 2
    w.start()
    try:
        _wait(lambda: store.synced("pods"), what="the list after a 410 on its continue token")
        assert [("limit", 100)] in queries[1:], queries[:3]  # listed again from the start
        _wait(lambda: w.state == "connected", what="watching after the list")
        assert w.stats.lists == 1
        assert {(p["metadata"]["namespace"], p["metadata"]["name"]) for p in store.list("pods")} == _all_pod_names(api)
    finally:
        w.stop()
        w.join(5)
