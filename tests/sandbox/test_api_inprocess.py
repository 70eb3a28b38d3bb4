"""The API server in-process (real HTTP on a loopback port, aiohttp client): bookmarks, shutdown, start()."""

from __future__ import annotations

import json

import aiohttp
import pytest
import yaml
from aiohttp import web

from gotui.sandbox.server import ApiServer, is_loopback, start
from gotui.sandbox.store import ObjectStore


async def _serve(api: ApiServer) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(api.make_app(), access_log=None, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001
    return runner, f"http://127.0.0.1:{port}"


async def test_periodic_bookmarks_carry_the_current_rv():
    store = ObjectStore()
    store.create("namespaces", {"metadata": {"name": "n"}})
    runner, url = await _serve(ApiServer(store, bookmark_interval=0.3))
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{url}/api/v1/namespaces/n/configmaps",
                                   params={"watch": "true", "allowWatchBookmarks": "true", "timeoutSeconds": "3",
                                           "resourceVersion": store.resource_version}) as resp:
                assert resp.status == 200
                store.create("configmaps", {"metadata": {"name": "a", "namespace": "n"}})
                events = [json.loads(line) async for line in resp.content if line.strip()]
    finally:
        await runner.cleanup()
    assert events[0]["type"] == "ADDED"
    bookmarks = [e for e in events if e["type"] == "BOOKMARK"]
    assert bookmarks, events
    assert bookmarks[-1]["object"] == {"kind": "ConfigMap", "apiVersion": "v1",
                                       "metadata": {"resourceVersion": store.resource_version}}


async def test_shutdown_ends_open_watches():
    store = ObjectStore()
    store.create("namespaces", {"metadata": {"name": "n"}})
    api = ApiServer(store)
    runner, url = await _serve(api)
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{url}/api/v1/configmaps", params={"watch": "true"}) as resp:
            assert resp.status == 200
            await runner.shutdown()
            rest = await resp.content.read()
    await runner.cleanup()
    assert rest == b""


async def test_start_serves_and_writes_kubeconfig(tmp_path):
    kc = tmp_path / "kc.yaml"
    sandbox = await start("127.0.0.1", 0, "quiet", 3, None, str(kc))
    try:
        doc = yaml.safe_load(kc.read_text())
        assert doc["current-context"] == "gotui-sandbox"
        assert doc["contexts"][0]["context"]["namespace"] == "shop"
        assert doc["clusters"][0]["cluster"]["server"] == sandbox.url
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{sandbox.url}/api/v1/namespaces") as resp:
                names = [n["metadata"]["name"] for n in (await resp.json())["items"]]
        assert {"default", "kube-system", "shop"} <= set(names)
    finally:
        await sandbox.stop()
    with pytest.raises(ValueError):
        await start("0.0.0.0", 0, "quiet", 1, None, str(tmp_path / "x"))
    assert is_loopback("127.0.0.2") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("10.0.0.1") and not is_loopback("example.com")


async def test_churn_changes_pods_at_the_asked_rate_with_watch_events():
    store = ObjectStore()
    store.create("namespaces", {"metadata": {"name": "n"}})
    for i in range(5):
        store.create("pods", {"metadata": {"name": f"p{i}", "namespace": "n"}, "spec": {"containers": [{"name": "c", "image": "i"}]}})
    runner, url = await _serve(ApiServer(store))
    try:
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{url}/sandbox/v1/churn", json={"rate": "fast"}) as resp:
                assert resp.status == 400
            async with session.get(f"{url}/api/v1/pods", params={"watch": "true", "timeoutSeconds": "2",
                                                                  "resourceVersion": store.resource_version}) as watch:
                async with session.post(f"{url}/sandbox/v1/churn", json={"rate": 100, "seconds": 0.3}) as resp:
                    assert resp.status == 200 and (await resp.json())["running"]
                events = [json.loads(line) async for line in watch.content if line.strip()]
            async with session.get(f"{url}/sandbox/v1/churn") as resp:
                status = await resp.json()
    finally:
        await runner.cleanup()
    assert not status["running"] and 5 <= status["changed"] <= 30  # 100 a second for 0.3 s (fewer on a loaded machine)
    modified = [e for e in events if e["type"] == "MODIFIED"]
    assert len(modified) == status["changed"]
    assert {e["object"]["metadata"]["name"] for e in modified} == {f"p{i}" for i in range(5)}  # round robin
    assert modified[-1]["object"]["metadata"]["annotations"]["sandbox.gotui/churn"] == str(status["changed"] - 1)
