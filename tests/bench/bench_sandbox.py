"""Sandbox API performance figures, printed as JSON lines (one figure per line).

    PYTHONPATH=src python tests/bench/bench_sandbox.py [--pods 10000] [--live-events 20000]

Targets (issue 3): list of 10,000 pods <= 0.5 s; a watch delivers >= 1,000 events/s; sandbox RSS
< 300 MB at 10,000 pods. Figures:
- startup_s / pods_running_s: `gotui sandbox --scenario big --pods N` to serving / to N pods Running
- list_pods_http_s: GET /api/v1/pods (all N pods, JSON bytes fully read), min and median of 5
- list_pods_http_parse_s: the same plus json.loads in the client
- list_pods_table_s: the kubectl Table form of the same list
- list_pods_official_client_s: kubernetes.client list_pod_for_all_namespaces (typed models)
- rss_settled_mb / rss_after_lists_mb: the sandbox process's VmRSS with N pods (settled; after 12 lists)
- peak_rss_running_mb: its VmHWM (peak RSS since the process started) when all N pods are Running
- peak_rss_mb: its VmHWM from start until all N pods are Running plus 5 full JSON lists (the < 300 MB target)
- peak_rss_after_lists_mb: its VmHWM after the remaining lists (JSON parse, Table, official client)
- watch_replay_events_per_s: a watch from the oldest retained resourceVersion replaying history
- watch_live_events_per_s: in-process server, a separate consumer process reading a live watch while
  the store commits updates as fast as it can
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from fixtures.sandbox import start_sandbox  # noqa: E402

TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


def emit(name: str, value, unit: str, **extra) -> None:
    print(json.dumps({"figure": name, "value": value, "unit": unit, **extra}), flush=True)


def http_get(port: int, path: str, accept: str = "application/json") -> bytes:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("GET", path, headers={"Accept": accept})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    assert resp.status == 200, data[:300]
    return data


def proc_status(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def bench_big(pods: int, memory_only: bool = False) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-sandbox-"))
    t0 = time.perf_counter()
    sbx = start_sandbox(workdir, scenario="big", seed=1, pods=pods, timeout=120)
    emit("startup_s", round(time.perf_counter() - t0, 3), "s", pods=pods)
    try:
        deadline = time.monotonic() + 180
        running = 0
        while time.monotonic() < deadline:
            body = json.loads(http_get(sbx.port, "/api/v1/pods?fieldSelector=status.phase%3DRunning"))
            running = len(body["items"])
            if running >= pods:
                break
            time.sleep(0.5)
        emit("pods_running_s", round(time.perf_counter() - t0, 3), "s", running=running)
        st = proc_status(sbx.proc.pid)
        emit("peak_rss_running_mb", round(st["VmHWM"] / 1024, 1), "MB", pods=pods, target="< 300",
             note="VmHWM from process start until all pods are Running")
        time.sleep(2)  # let the controllers settle
        st = proc_status(sbx.proc.pid)
        emit("rss_settled_mb", round(st["VmRSS"] / 1024, 1), "MB", pods=pods, target="< 300",
             note="after startup, before any list request")
        sizes: list[int] = []
        t = timed(lambda: sizes.append(len(http_get(sbx.port, "/api/v1/pods"))), 5)
        emit("list_pods_http_s", round(min(t), 4), "s", median=round(statistics.median(t), 4), bytes=sizes[0],
             pods=pods, target="<= 0.5")
        st = proc_status(sbx.proc.pid)
        emit("peak_rss_mb", round(st["VmHWM"] / 1024, 1), "MB", pods=pods, target="< 300",
             note="VmHWM from process start until all pods are Running plus 5 full JSON lists")
        if memory_only:
            return
        t = timed(lambda: json.loads(http_get(sbx.port, "/api/v1/pods")), 3)
        emit("list_pods_http_parse_s", round(min(t), 4), "s", median=round(statistics.median(t), 4))
        t = timed(lambda: http_get(sbx.port, "/api/v1/pods", TABLE_ACCEPT), 3)
        emit("list_pods_table_s", round(min(t), 4), "s", median=round(statistics.median(t), 4))
        ns = json.loads(http_get(sbx.port, "/api/v1/namespaces"))["items"][-1]["metadata"]["name"]
        t = timed(lambda: http_get(sbx.port, f"/api/v1/namespaces/{ns}/pods?labelSelector=app"), 5)
        emit("list_pods_one_namespace_selector_s", round(min(t), 4), "s", namespace=ns)
        from kubernetes import client

        core = client.CoreV1Api(sbx.api_client)
        t = timed(lambda: core.list_pod_for_all_namespaces(), 1)
        emit("list_pods_official_client_s", round(t[0], 3), "s",
             note="includes the client's typed-model deserialization")
        st = proc_status(sbx.proc.pid)
        emit("rss_after_lists_mb", round(st["VmRSS"] / 1024, 1), "MB", pods=pods, target="< 300",
             note="after 12 full lists (JSON and Table) of all pods")
        emit("peak_rss_after_lists_mb", round(st["VmHWM"] / 1024, 1), "MB", pods=pods)
        info = json.loads(http_get(sbx.port, "/sandbox/v1/info"))
        oldest, current = int(info["oldestResourceVersion"]), int(info["resourceVersion"])
        conn = http.client.HTTPConnection("127.0.0.1", sbx.port, timeout=60)
        t0 = time.perf_counter()
        conn.request("GET", f"/api/v1/pods?watch=true&resourceVersion={oldest}&timeoutSeconds=30")
        resp = conn.getresponse()
        n = 0
        last_rv = oldest
        while last_rv < current:
            line = resp.readline()
            if not line:
                break
            last_rv = int(json.loads(line)["object"]["metadata"]["resourceVersion"])
            n += 1
        elapsed = time.perf_counter() - t0
        conn.close()
        emit("watch_replay_events_per_s", round(n / elapsed), "events/s", events=n, target=">= 1000")
    finally:
        sbx.stop()


CONSUMER = r"""
import http.client, json, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
conn.request("GET", "/api/v1/namespaces/bench/configmaps?watch=true&resourceVersion=" + sys.argv[3] + "&timeoutSeconds=60")
resp = conn.getresponse()
print("ready", flush=True)
first = None
count = 0
while count < n:
    line = resp.readline()
    if not line:
        break
    json.loads(line)
    count += 1
    if first is None:
        first = time.perf_counter()
print(json.dumps({"count": count, "elapsed": time.perf_counter() - first}), flush=True)
"""


async def bench_live(events: int) -> None:
    from aiohttp import web

    from gotui.sandbox.server import ApiServer
    from gotui.sandbox.store import ObjectStore

    store = ObjectStore()
    store.create("namespaces", {"metadata": {"name": "bench"}})
    api = ApiServer(store)
    runner = web.AppRunner(api.make_app(), access_log=None, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001
    n_objects = 100
    for i in range(n_objects):
        store.create("configmaps", {"metadata": {"name": f"cm-{i}", "namespace": "bench",
                                                  "labels": {"app": "bench"}}, "data": {"n": "0"}})
    rv = store.resource_version
    consumer = await asyncio.create_subprocess_exec(sys.executable, "-c", CONSUMER, str(port), str(events), rv,
                                                    stdout=asyncio.subprocess.PIPE)
    assert (await consumer.stdout.readline()).strip() == b"ready"
    await asyncio.sleep(0.3)
    t0 = time.perf_counter()
    for i in range(events):
        obj = store.get("configmaps", "bench", f"cm-{i % n_objects}")
        new = {**obj, "data": {"n": str(i + 1)}}
        store.update("configmaps", new, check_rv=False)
        if i % 200 == 199:
            await asyncio.sleep(0)
    produce = time.perf_counter() - t0
    result = json.loads(await asyncio.wait_for(consumer.stdout.readline(), 120))
    await consumer.wait()
    emit("watch_live_events_per_s", round(result["count"] / result["elapsed"]), "events/s", events=result["count"],
         producer_writes_per_s=round(events / produce), target=">= 1000")
    await runner.cleanup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--live-events", type=int, default=20_000)
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--memory-only", action="store_true",
                        help="only the big scenario, up to peak_rss_mb (start, pods Running, 5 lists)")
    args = parser.parse_args()
    if not args.memory_only:
        asyncio.run(bench_live(args.live_events))
    if not args.skip_big:
        bench_big(args.pods, args.memory_only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
