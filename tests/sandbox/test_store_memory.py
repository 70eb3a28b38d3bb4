"""The sandbox's memory and GC at scale (issue 14): what 150,000 pods cost depends on these."""

from __future__ import annotations

import asyncio
import gc
import json
import tracemalloc

import pytest

from gotui.sandbox.churn import Churn
from gotui.sandbox.controllers import ControllerManager
from gotui.sandbox.store import ObjectStore, dumps

pytestmark = pytest.mark.timeout(60)


def test_cached_json_takes_its_length_in_memory():
    """orjson's bytes kept their whole growth buffer: 7.9 KB of memory for a 2.4 KB pod, and the store
    keeps one per object (825 MB at 150,000 pods)."""
    pod = {"metadata": {"name": "p", "labels": {"app": "x" * 40}}, "spec": {"containers": [
        {"name": f"c{i}", "image": "ghcr.io/example/app:v1", "args": ["--flag"] * 20} for i in range(8)]}}
    length = len(dumps(pod))
    tracemalloc.start()
    try:
        kept = [dumps(pod) for _ in range(200)]
        used, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert length > 1500 and len(kept[0]) == length
    assert used / len(kept) < length * 1.3, (used / len(kept), length)


async def test_steady_churn_moves_new_versions_out_of_the_collectors_sight():
    """Under steady churn the pod count does not grow, but every write stores a new version: full GC
    passes over them grew to 355 ms at 50,000 pods (the info endpoint answered in 436 ms)."""
    store = ObjectStore(seed=2)
    cm = ControllerManager(store, seed=2, scenario="big", traffic=False)
    cm.load_scenario("big", pods=600)
    await cm.start()
    try:
        for _ in range(200):
            if store.count("pods") >= 600 and not cm.has_work():
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.2)
        frozen = gc.get_freeze_count()
        rv = int(store.resource_version)
        Churn(store).start(1500, 3.0)  # the pod count stays 600: only new versions
        await asyncio.sleep(3.5)
        assert int(store.resource_version) - rv >= 3000
        assert gc.get_freeze_count() > frozen
    finally:
        await cm.stop()
        store.close()
        gc.unfreeze()


def test_a_chunked_list_of_many_pods_keeps_its_snapshot_out_of_the_collectors_sight():
    """The snapshot a chunked list reads its pages from (three containers of every pod) lives for the
    whole listing: a full GC pass walked it and touched every pod (the API paused 200-400 ms at 150,000)."""
    from gotui.sandbox.paging import Pager

    many = 2010

    store = ObjectStore(seed=3)
    for i in range(many):
        store.create("pods", {"metadata": {"name": f"p{i:05d}", "namespace": "big"},
                              "spec": {"containers": [{"name": "c", "image": "i"}]}})
    pager = Pager()
    before = gc.get_freeze_count()
    try:
        page = pager.page(store, "pods", None, None, None, 500, None)
        assert len(page.entries) == 500 and page.token and page.remaining == many - 500
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()


def test_later_pages_show_objects_as_they_were_at_the_first_page():
    """The snapshot copies no object map (two copies of 150,000 entries paused the API ~100 ms): writes
    keep aside the version they replace. A pod changed, one deleted and one created after the first page:
    the later pages show the first two as they were and not the third, a new list shows the present."""
    from gotui.sandbox.paging import Pager

    store = ObjectStore(seed=4)
    for i in range(30):
        store.create("pods", {"metadata": {"name": f"p{i:02d}", "namespace": "ns", "labels": {"v": "1"}},
                              "spec": {"containers": [{"name": "c", "image": "i"}]}})
    pager = Pager()
    first = pager.page(store, "pods", None, None, None, 10, None)
    changed = dict(store.get("pods", "ns", "p15"))
    changed["metadata"] = {**changed["metadata"], "labels": {"v": "2"}}
    store.update("pods", changed)
    store.update("pods", {**changed, "metadata": {**changed["metadata"], "labels": {"v": "3"}}}, check_rv=False)
    store.delete("pods", "ns", "p20", force=True)
    store.create("pods", {"metadata": {"name": "p15a", "namespace": "ns"}, "spec": {"containers": [{"name": "c", "image": "i"}]}})
    seen, token = [o["metadata"]["name"] for o, _ in first.entries], first.token
    labels = {}
    while token:
        page = pager.page(store, "pods", None, None, None, 10, token)
        assert page.rv == first.rv
        for obj, raw in page.entries:
            assert json.loads(raw) == obj
            seen.append(obj["metadata"]["name"])
            labels[obj["metadata"]["name"]] = obj["metadata"]["labels"]["v"]
        token = page.token
    assert seen == [f"p{i:02d}" for i in range(30)]
    assert labels["p15"] == "1" and "p15a" not in seen
    now = {o["metadata"]["name"]: o for o, _ in pager.page(store, "pods", None, None, None, 100, None).entries}
    assert now["p15"]["metadata"]["labels"]["v"] == "3" and "p20" not in now and "p15a" in now
    gc.unfreeze()


def test_a_selective_page_scans_a_bounded_number_of_objects(monkeypatch: pytest.MonkeyPatch):
    """`-l app=x` over 150,000 pods: a page walked until it had `limit` matches (~40,000 objects, 380 ms
    of the API's loop). It now stops after MAX_SCAN objects and answers what it found with a continue
    token, as the API allows (fewer items than the limit, even none); the pages still add up to the list."""
    from gotui.sandbox import paging

    monkeypatch.setattr(paging, "MAX_SCAN", 10, raising=False)
    store = ObjectStore(seed=5)
    for i in range(50):
        app = "a" if i in (3, 27, 41) else "b"
        store.create("pods", {"metadata": {"name": f"p{i:02d}", "namespace": "ns", "labels": {"app": app}},
                              "spec": {"containers": [{"name": "c", "image": "i"}]}})
    pager = paging.Pager()
    page = pager.page(store, "pods", None, "app=a", None, 500, None)
    pages, names = 1, [o["metadata"]["name"] for o, _ in page.entries]
    assert page.token and names == ["p03"] and page.remaining == 0
    while page.token:
        page = pager.page(store, "pods", None, "app=a", None, 500, page.token)
        names += [o["metadata"]["name"] for o, _ in page.entries]
        pages += 1
    assert names == ["p03", "p27", "p41"] and pages == 5
    whole = pager.page(store, "pods", None, None, None, 20, None)  # no selector: full pages, a count
    assert len(whole.entries) == 20 and whole.remaining == 30
