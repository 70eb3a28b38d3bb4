"""The pieces that keep 150,000 pods cheap: shared pod sub-trees in the cache, rows derived by the
writing thread, the sorted index and the filter's fast path and narrowing (pure, no cluster)."""

from __future__ import annotations

import json
import threading
from bisect import insort

from hypothesis import given, settings
from hypothesis import strategies as st

from gotui.ops.pods import PodRow, parse_filter, pod_row
from gotui.ops.row_index import ReversedView, SortedIndex
from gotui.sources.kube_wire import Slimmer
from gotui.store import ClusterStore


def rs_pod(name: str, ip: str, started: str = "2026-01-01T00:00:05Z") -> dict:
    """A pod of ReplicaSet web-5d8 as the API sends it."""
    return {
        "metadata": {"name": name, "generateName": "web-5d8-", "namespace": "shop", "uid": f"uid-{name}",
                     "resourceVersion": "7", "creationTimestamp": "2026-01-01T00:00:00Z",
                     "labels": {"app": "web", "pod-template-hash": "5d8"},
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-5d8",
                                          "uid": "rs-uid", "controller": True}]},
        "spec": {"containers": [{"name": "web", "image": "web:1.0", "imagePullPolicy": "Always"}], "nodeName": "n1"},
        "status": {"phase": "Running", "podIP": ip, "startTime": started,
                   "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": started}],
                   "containerStatuses": [{"name": "web", "ready": True, "restartCount": 0, "imageID": "sha256:1",
                                          "state": {"running": {"startedAt": started}}}]},
    }


def test_pods_of_one_replicaset_share_their_sub_trees():
    slimmer = Slimmer()
    a = slimmer.slim("pods", rs_pod("web-5d8-a", "10.0.0.1"))
    b = slimmer.slim("pods", rs_pod("web-5d8-b", "10.0.0.2"))
    for path in (("metadata", "labels"), ("metadata", "ownerReferences"), ("spec",), ("status", "conditions"),
                 ("status", "containerStatuses")):
        x, y = a, b
        for part in path:
            x, y = x[part], y[part]
        assert x is y, path  # one object held for both pods
    assert a["metadata"] is not b["metadata"] and a["status"] is not b["status"]
    assert (a["status"]["podIP"], b["status"]["podIP"]) == ("10.0.0.1", "10.0.0.2")
    # a pod that started later has its own conditions, and each reads as it was sent
    c = slimmer.slim("pods", rs_pod("web-5d8-c", "10.0.0.3", started="2026-01-01T00:01:00Z"))
    assert c["status"]["conditions"] is not a["status"]["conditions"]
    assert c["status"]["conditions"][0]["lastTransitionTime"] == "2026-01-01T00:01:00Z"
    assert a["spec"] == {"containers": [{"name": "web", "image": "web:1.0"}], "nodeName": "n1"}
    assert pod_row(a) == pod_row(rs_pod("web-5d8-a", "10.0.0.1"))


def test_store_derives_rows_in_the_writing_thread():
    threads: list[int] = []

    def derive(obj: dict) -> PodRow:
        threads.append(threading.get_ident())
        return pod_row(obj)

    store = ClusterStore(derive={"pods": derive})
    writer = threading.Thread(target=lambda: (store.replace("pods", [rs_pod("web-5d8-a", "10.0.0.1")]),
                                              store.upsert("pods", rs_pod("web-5d8-b", "10.0.0.2"))))
    writer.start()
    writer.join()
    assert set(threads) == {writer.ident}
    assert sorted(store.rows("pods")) == [("shop", "web-5d8-a"), ("shop", "web-5d8-b")]
    assert store.row("pods", ("shop", "web-5d8-b")).ip == "10.0.0.2"
    store.delete("pods", rs_pod("web-5d8-a", "10.0.0.1"))
    assert list(store.rows("pods")) == [("shop", "web-5d8-b")] and store.row("pods", ("shop", "web-5d8-a")) is None
    store.upsert("deployments", {"metadata": {"name": "d", "namespace": "shop"}})  # no derive: no rows
    assert store.rows("deployments") == {}


ops = st.lists(st.tuples(st.sampled_from(["add", "remove", "update"]), st.integers(0, 30), st.integers(0, 5)),
               max_size=60)


@settings(max_examples=80, deadline=None)
@given(ops)
def test_sorted_index_matches_a_fresh_sort(steps):
    rows: dict[int, tuple[int, int]] = {}  # key -> (key, value); sort by value then key
    index = SortedIndex(lambda r: (r[1], r[0]), key=lambda r: r[0], tag=lambda r: r[1] * 10)
    for op, key, value in steps:
        if op == "add" and key not in rows:
            rows[key] = (key, value)
            index.add(rows[key])
        elif op == "remove" and key in rows:
            assert index.remove(rows.pop(key))
        elif op == "update" and key in rows:
            old, rows[key] = rows[key], (key, value)
            assert index.update(old, rows[key]) == (old[1] != value)
    expected = sorted(rows.values(), key=lambda r: (r[1], r[0]))
    assert index.keys == [r[0] for r in expected]
    assert index.tags == [r[1] * 10 for r in expected]
    assert list(index.view(reverse=True)) == [r[0] for r in reversed(expected)]
    assert list(zip(reversed(index.keys), reversed(index.tags), strict=True)) == [(r[0], r[1] * 10) for r in reversed(expected)]


def test_reversed_view_reads_back_to_front():
    items = ["a", "b", "c"]
    view = ReversedView(items)
    assert (len(view), view[0], view[-1], list(view), view.index("a")) == (3, "c", "a", ["c", "b", "a"], 2)
    insort(items, "d")
    assert view[0] == "d"  # a view, not a copy


def make_row(name: str, status: str, labels: tuple[tuple[str, str], ...] = ()) -> PodRow:
    return PodRow(("ns", name), "ns", name, "1/1", status, "ok", 0, None, None, "node-1", "10.0.0.1", "img",
                  labels, 1.0, f"{name}\n{status}".lower())


names = st.text(alphabet="abp-1", min_size=1, max_size=6)
words = st.text(alphabet="abp-1!", min_size=1, max_size=3)


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(names, st.sampled_from(["Running", "Pending", "CrashLoopBackOff"])), max_size=25,
                unique_by=lambda t: t[0]),
       st.lists(words, min_size=1, max_size=3), words)
def test_filter_fast_path_and_narrowing_match_the_plain_filter(pods, first, more):
    rows = {("ns", n): make_row(n, s) for n, s in pods}
    keys = sorted(rows)
    hays = [rows[k].hay for k in keys]
    old = parse_filter(" ".join(first))
    new = parse_filter(" ".join(first[:-1] + [first[-1] + more.lstrip("!")]))  # the last word typed on
    for flt in (old, new):
        got_keys, got_hays = flt.select(keys, hays, rows)
        assert got_keys == [k for k in keys if flt.matches(rows[k])] and got_hays == [rows[k].hay for k in got_keys]
    if new.narrows(old):
        assert new.select(*old.select(keys, hays, rows), rows) == new.select(keys, hays, rows)


def test_filter_with_selector_or_status_takes_the_plain_path():
    rows = {("ns", "a"): make_row("a", "Running", (("app", "web"),)), ("ns", "b"): make_row("b", "Pending")}
    keys, hays = list(rows), [r.hay for r in rows.values()]
    assert parse_filter("-l app=web").select(keys, hays, rows) == ([("ns", "a")], ["a\nrunning"])
    assert parse_filter("status:pend").select(keys, hays, rows) == ([("ns", "b")], ["b\npending"])
    assert not parse_filter("b").narrows(parse_filter("status:pend"))
    assert parse_filter("ab !x").narrows(parse_filter("a !x")) and not parse_filter("ab").narrows(parse_filter("a !x"))


def test_rows_share_equal_values():
    a = pod_row(rs_pod("web-5d8-a", "10.0.0.1"))
    b = pod_row(json.loads(json.dumps(rs_pod("web-5d8-b", "10.0.0.2"))))
    assert a.labels is b.labels and a.ready is b.ready and a.created is b.created
