"""Benchmark the Kubernetes side against `gotui sandbox --scenario big --pods N`; prints JSON lines.

    python tests/bench/bench_kube.py [--pods 10000] [--churn 500] [--seconds 15]

Figures: time until N pods are listed and on screen, measured from the moment gotui starts connecting
(KubeBridge.start), in `--list-runs` fresh gotui processes (default 3; each run, its phases and its
peak RSS are printed, then the median) after the sandbox has settled (its resourceVersion stops
moving), and once more in this process; the same for `kubectl get pods -A` (ratio); frame/loop-stall p95 and key-to-screen p95 while `--churn` pods change per second (a
separate process patches pod annotations through the API), API requests and screen lines rendered
per second while idle, and peak RSS of the gotui process.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from textual import events

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[1]))  # tests/ (fixtures)
sys.path.insert(0, str(HERE.parents[2] / "src"))


def emit(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


def p95(values: list[float]) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * 0.95))]


def settle(sb: object, quiet_rv_per_s: int = 20, limit_s: float = 90.0) -> dict:
    """Wait until the sandbox's resourceVersion moves less than `quiet_rv_per_s` a second (its
    controllers are done creating and starting pods), so the listing runs do not share the CPU with it."""
    t0 = time.monotonic()
    rv = int(sb.info().get("resourceVersion") or 0)  # type: ignore[attr-defined]
    rate = None
    while time.monotonic() - t0 < limit_s:
        time.sleep(1.0)
        now = int(sb.info().get("resourceVersion") or 0)  # type: ignore[attr-defined]
        rate, rv = now - rv, now
        if rate < quiet_rv_per_s:
            break
    return {"value": round(time.monotonic() - t0, 1), "rv_per_s": rate, "resource_version": rv}


def bench_settings(work: Path, kubeconfig: Path) -> object:
    from gotui.config import Settings

    return Settings(audit_log=work / "audit.jsonl", kubeconfig=str(kubeconfig), context="gotui-sandbox",
                    namespace="*", docker_host=f"unix://{work}/no-docker.sock", config_path=work / "c.yaml")


async def measure_listing(app: object, pilot: object, pods: int) -> tuple[object, object, object, dict]:
    """Show the Pods pane; time from KubeBridge.start until `pods` rows are listed and painted."""
    t_app = time.monotonic()
    await pilot.press("2")  # type: ignore[attr-defined]
    pane = app.pane("pods")  # type: ignore[attr-defined]
    table = pane.table
    bridge = None
    while bridge is None or not bridge.started_at:
        bridge = app.services.get("kube")  # type: ignore[attr-defined]
        await asyncio.sleep(0.005)
    t0 = bridge.started_at
    limit_s = max(60.0, pods / 1000)  # 150,000 pods on a shared machine take longer than a minute
    while len(pane.rows) < pods and time.monotonic() - t0 < limit_s:
        await asyncio.sleep(0.005)
    t_rows = time.monotonic()  # within 5 ms of the pane holding every row
    while table.painted_rows < pods and time.monotonic() - t0 < limit_s:
        await asyncio.sleep(0.002)
    t_done = table.painted_at  # the first frame with every row (the table stamps each full paint)
    watcher = bridge.watchers.get("pods")
    st = watcher.stats if watcher and hasattr(watcher.stats, "list_s") else None
    phases = {
        "connect": bridge.connected_at - t0,  # kubeconfig, client, (namespace check)
        "list_first_byte": st.list_first_byte_s if st else None,
        "list_streamed_and_parsed": (st.list_parsed_s - st.list_first_byte_s) if st else None,
        "into_store": (st.list_s - st.list_parsed_s) if st else None,
        "store_to_pane_rows": (t_rows - st.listed_at) if st else None,
        "to_paint": max(0.0, t_done - t_rows),
    }
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cpu, wait = process_sched()
    result = {"value": round(t_done - t0, 3), "rows": len(pane.rows), "target": 2.0,
              "process_cpu_s": round(cpu, 2), "process_runqueue_wait_s": round(wait, 2),
              "since_first_frame_s": round(t_done - t_app, 3), "peak_rss_mb": round(rss_mb, 1),
              "phases_s": {k: (round(v, 3) if v is not None else None) for k, v in phases.items()}}
    return pane, table, bridge, result


async def wait_paint(app: object, table: object, key: str, char: str | None, limit_s: float = 10.0,
                     until: object = None) -> float:
    """Deliver one key as the terminal driver does; ms until the table's next paint (after `until()`
    holds, when given: the key's effect, not some other repaint)."""
    before = table.paint_count  # type: ignore[attr-defined]
    t = time.monotonic()
    app.post_message(events.Key(key, char))  # type: ignore[attr-defined]
    while time.monotonic() - t < limit_s:
        if until is not None and not until():  # type: ignore[operator]
            before = table.paint_count  # type: ignore[attr-defined]
        elif table.paint_count != before:  # type: ignore[attr-defined]
            break
        await asyncio.sleep(0.0005)
    return (time.monotonic() - t) * 1000


FILTER_QUERY = "payments-1"


async def measure_filter(app: object, pane: object, table: object, query: str = FILTER_QUERY, erase: int = 4) -> dict:
    """`/`, then `query` typed a key at a time, then `erase` backspaces, then Esc: each keystroke's
    latency until the filtered table is painted (p50/p95/max, ms), and the rows shown at the end of the query."""
    from gotui.ui.panes.base import FilterBar

    app.post_message(events.Key("slash", "/"))  # type: ignore[attr-defined]
    bar = pane.query_one(FilterBar)  # type: ignore[attr-defined]
    t = time.monotonic()
    while app.screen.focused is not bar and time.monotonic() - t < 5:  # type: ignore[attr-defined]
        await asyncio.sleep(0.001)
    typed, erased = [], []
    ui0 = thread_sched()
    pauses = GcPauses().start()
    for i, ch in enumerate(query):
        text = query[: i + 1]
        typed.append(await wait_paint(app, table, ch if ch.isalnum() else "minus", ch,
                                      until=lambda text=text: pane.filter_text == text))  # type: ignore[attr-defined]
    matched = len(table.rows)  # type: ignore[attr-defined]
    for i in range(erase):
        text = query[: len(query) - i - 1]
        erased.append(await wait_paint(app, table, "backspace", None,
                                       until=lambda text=text: pane.filter_text == text))  # type: ignore[attr-defined]
    cleared = await wait_paint(app, table, "escape", None, until=lambda: pane.filter_text == "")  # type: ignore[attr-defined]
    ui1 = thread_sched()
    pauses.stop()
    every = typed + erased + [cleared]
    return {"query": query, "rows_matched": matched, "p50": round(statistics.median(every), 1),
            "p95": round(p95(every), 1), "max": round(max(every), 1), "typed_ms": [round(v, 1) for v in typed],
            "erased_ms": [round(v, 1) for v in erased], "cleared_ms": round(cleared, 1), "target": 100,
            "ui_thread_cpu_ms": round((ui1[0] - ui0[0]) * 1000, 1),
            "ui_thread_runqueue_wait_ms": round((ui1[1] - ui0[1]) * 1000, 1), "gc": pauses.summary()}


class GcPauses:
    """The cyclic collector's passes while measuring: how many, per generation, and their longest and
    total time (a keystroke that coincides with a full pass over a large heap shows up here)."""

    def __init__(self) -> None:
        self.passes: list[tuple[int, float]] = []
        self._t0 = 0.0

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            self.passes.append((info["generation"], (time.perf_counter() - self._t0) * 1000))

    def start(self) -> GcPauses:
        gc.callbacks.append(self._callback)
        return self

    def stop(self) -> None:
        gc.callbacks.remove(self._callback)

    def summary(self) -> dict:
        ms = [d for _, d in self.passes]
        return {"passes": len(ms), "full_passes": sum(1 for g, _ in self.passes if g == 2),
                "max_ms": round(max(ms), 1) if ms else 0.0, "total_ms": round(sum(ms), 1)}


def thread_sched() -> tuple[float, float]:
    """(CPU seconds, seconds runnable but waiting for a CPU) of the calling thread (Linux schedstat)."""
    try:
        run_ns, wait_ns, _ = Path("/proc/thread-self/schedstat").read_text().split()
    except (OSError, ValueError):
        return float("nan"), float("nan")
    return int(run_ns) / 1e9, int(wait_ns) / 1e9


def process_sched() -> tuple[float, float]:
    """(CPU seconds, runqueue wait seconds) summed over this process's threads."""
    run = wait = 0.0
    for task in Path("/proc/self/task").iterdir():
        try:
            r, w, _ = (task / "schedstat").read_text().split()
        except (OSError, ValueError):
            continue
        run, wait = run + int(r) / 1e9, wait + int(w) / 1e9
    return run, wait


def sandbox_churn(url: str, rate: int, seconds: float) -> bool:
    """Start the sandbox's own churn (POST /sandbox/v1/churn); False when it has none."""
    import urllib.error
    import urllib.request

    req = urllib.request.Request(f"{url}/sandbox/v1/churn", data=json.dumps({"rate": rate, "seconds": seconds}).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10):
            return True
    except urllib.error.HTTPError:
        return False


def sandbox_churned(url: str) -> int:
    import urllib.request

    with urllib.request.urlopen(f"{url}/sandbox/v1/churn", timeout=10) as resp:
        return int(json.loads(resp.read()).get("changed") or 0)


async def measure_churn(app: object, pane: object, table: object, bridge: object, url: str, rate: int,
                        seconds: float) -> dict:
    """`rate` pods a second changed for `seconds` (by the sandbox itself: POST /sandbox/v1/churn, or
    else by another process sending PATCHes): UI loop lateness (frame) p95 and key (j/k) to the table's
    next paint p95, with the rates achieved."""
    done = multiprocessing.Value("i", 0)
    events0 = sum(w.stats.events for w in bridge.watchers.values())  # type: ignore[attr-defined]
    batches0, flushes0 = pane.batches, bridge.flushes  # type: ignore[attr-defined]
    stalls: list[float] = []
    keys: list[float] = []
    table.focus()  # type: ignore[attr-defined]
    t_churn = time.monotonic()
    ui0, proc0 = thread_sched(), process_sched()
    pauses = GcPauses().start()
    proc = None
    source = "sandbox"
    if not sandbox_churn(url, rate, seconds):
        source = "patch requests"
        proc = multiprocessing.Process(target=churner, args=(url, sorted(pane.rows), rate, seconds, done))  # type: ignore[attr-defined]
        proc.start()
    tick = 0.01
    next_key = t_churn + 0.5
    expected = time.monotonic() + tick
    while (proc.is_alive() if proc is not None else time.monotonic() - t_churn < seconds):
        await asyncio.sleep(tick)
        now = time.monotonic()
        stalls.append(max(0.0, now - expected) * 1000)
        expected = now + tick
        if now >= next_key:
            next_key = now + 0.25
            key = "j" if len(keys) % 2 == 0 else "k"
            keys.append(await wait_paint(app, table, key, key, 2.0))
            expected = time.monotonic() + tick
    if proc is not None:
        proc.join()
    span = time.monotonic() - t_churn
    ui1, proc1 = thread_sched(), process_sched()
    pauses.stop()
    changed = done.value if proc is not None else sandbox_churned(url)
    n_events = sum(w.stats.events for w in bridge.watchers.values()) - events0  # type: ignore[attr-defined]
    return {"pods_changed_per_s": round(changed / span, 1), "watch_events_per_s": round(n_events / span, 1),
            "changed_by": source,
            # the UI thread's CPU and the time it was runnable but got no CPU (a busy shared machine)
            "ui_thread_cpu_s": round(ui1[0] - ui0[0], 2), "ui_thread_runqueue_wait_s": round(ui1[1] - ui0[1], 2),
            "process_cpu_s": round(proc1[0] - proc0[0], 2), "window_s": round(span, 2),
            "pane_batches_per_s": round((pane.batches - batches0) / span, 2),  # type: ignore[attr-defined]
            "bridge_flushes_per_s": round((bridge.flushes - flushes0) / span, 2),  # type: ignore[attr-defined]
            "frame_p95_ms": round(p95(stalls), 1), "frame_max_ms": round(max(stalls), 1),
            "key_to_screen_p95_ms": round(p95(keys), 1), "key_to_screen_median_ms": round(statistics.median(keys), 1),
            "key_samples": len(keys), "targets_ms": {"frame_p95": 50, "key_to_screen_p95": 100}, "gc": pauses.summary()}


async def child_list(kubeconfig: str, pods: int, *, filter_: bool = False, url: str = "", churn: int = 0,
                     seconds: float = 15.0) -> None:
    """One fresh gotui process: list `pods` pods (then optionally measure the filter and churn), print
    the figures as one JSON object, exit."""
    from gotui.ui.app import GotuiApp

    work = Path(tempfile.mkdtemp(prefix="gotui-bench-child-"))
    os.environ["XDG_STATE_HOME"] = str(work / "state")
    app = GotuiApp(bench_settings(work, Path(kubeconfig)))
    async with app.run_test(size=(120, 40)) as pilot:
        pane, table, bridge, result = await measure_listing(app, pilot, pods)
        await asyncio.sleep(1.0)
        result["rss_listed_mb"] = rss_now_mb()
        if filter_:
            result["filter"] = await measure_filter(app, pane, table)
        if churn and url:
            result["churn"] = await measure_churn(app, pane, table, bridge, url, churn, seconds)
        if filter_:
            result["pane_switch_ms"] = await measure_pane_switches(app)
        result["rss_end_mb"] = rss_now_mb()
        result["peak_rss_end_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        await pilot.pause()  # the last key posted is handled before the app closes (else: "No screens on stack")
        await asyncio.sleep(0.5)
    print(json.dumps(result), flush=True)
    shutil.rmtree(work, ignore_errors=True)


async def measure_pane_switches(app: object, keys: tuple[str, ...] = ("4", "3", "2", "4", "3", "2")) -> dict:
    """Each pane key (4 Releases, 3 HPA, 2 Pods) to the first frame drawn with that pane shown and built
    from the 150,000-pod cache (ms): the hidden panes rebuild when shown."""
    screen = app.screen  # type: ignore[attr-defined]
    frames: list[float] = []
    real = screen._compositor_refresh
    screen._compositor_refresh = lambda: (frames.append(time.monotonic()), real())[1]
    ids = {"2": "pods", "3": "hpa", "4": "releases"}
    out: dict[str, list[float]] = {}
    try:
        for key in keys:
            pane = app.pane(ids[key])  # type: ignore[attr-defined]
            t = time.monotonic()
            app.post_message(events.Key(key, key))  # type: ignore[attr-defined]
            while time.monotonic() - t < 10:
                if pane.display and any(f > t for f in frames):
                    break
                await asyncio.sleep(0.0005)
            out.setdefault(ids[key], []).append(round((time.monotonic() - t) * 1000, 1))
            await asyncio.sleep(0.3)
    finally:
        screen._compositor_refresh = real
    return out


def rss_now_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def churner(url: str, names: list[tuple[str, str]], rate: int, seconds: float, done: multiprocessing.Value) -> None:
    """Patch `rate` pods a second (merge patch of an annotation) for `seconds`."""
    import threading

    import urllib3

    http = urllib3.PoolManager(maxsize=16)
    deadline = time.monotonic() + seconds
    count = [0]
    lock = threading.Lock()

    def worker(offset: int, step: int) -> None:
        i = offset
        start = time.monotonic()
        while time.monotonic() < deadline:
            ns, name = names[i % len(names)]
            body = json.dumps({"metadata": {"annotations": {"bench": str(i)}}}).encode()
            try:
                http.request("PATCH", f"{url}/api/v1/namespaces/{ns}/pods/{name}", body=body,
                             headers={"Content-Type": "application/merge-patch+json"}, timeout=5)
            except Exception:  # noqa: BLE001
                pass
            with lock:
                count[0] += 1
            i += step
            target = start + (i - offset) / step / (rate / step)
            delay = target - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    threads = [threading.Thread(target=worker, args=(k, 8)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.value = count[0]


async def run(args: argparse.Namespace) -> None:
    from fixtures.sandbox import start_sandbox
    from gotui.ui.app import GotuiApp

    work = Path(tempfile.mkdtemp(prefix="gotui-bench-"))
    os.environ["XDG_STATE_HOME"] = str(work / "state")
    t = time.monotonic()
    sb = start_sandbox(work / "sb", "big", 1, pods=args.pods, timeout=300)
    while (sb.info().get("counts") or sb.info().get("objects") or {}).get("pods", 0) < args.pods and time.monotonic() - t < 300:
        time.sleep(0.2)
    emit(figure="sandbox_ready_s", value=round(time.monotonic() - t, 2), pods=args.pods, info=sb.info().get("counts") or sb.info().get("objects"))
    try:
        emit(figure="sandbox_settled_s", **settle(sb))
        kubectl = shutil.which("kubectl")
        if kubectl:
            t = time.monotonic()
            out = subprocess.run([kubectl, "--kubeconfig", str(sb.kubeconfig), "get", "pods", "-A", "--no-headers"],
                                 capture_output=True, text=True, timeout=120)
            kubectl_s = time.monotonic() - t
            emit(figure="kubectl_get_pods_A_s", value=round(kubectl_s, 3), rows=len(out.stdout.splitlines()))
        else:
            kubectl_s = None
        runs = []
        for i in range(args.list_runs):
            out = subprocess.run([sys.executable, str(HERE), "--child-list", str(sb.kubeconfig), "--pods", str(args.pods)],
                                 capture_output=True, text=True, timeout=180)
            lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
            if out.returncode or not lines:
                emit(figure="pods_listed_and_on_screen_s", run=i + 1, error=(out.stderr or out.stdout)[-2000:])
                continue
            result = json.loads(lines[-1])
            runs.append(result)
            emit(figure="pods_listed_and_on_screen_s", run=i + 1, **result)
        if runs:
            listed = statistics.median(r["value"] for r in runs)
            emit(figure="pods_listed_and_on_screen_s", value=round(listed, 3), runs=[r["value"] for r in runs],
                 statistic=f"median of {len(runs)} fresh processes", target=2.0,
                 peak_rss_mb_runs=[r["peak_rss_mb"] for r in runs],
                 ratio_vs_kubectl=round(listed / kubectl_s, 2) if kubectl_s else None)
        settings = bench_settings(work, sb.kubeconfig)
        app = GotuiApp(settings)
        async with app.run_test(size=(120, 40)) as pilot:
            pane, table, bridge, result = await measure_listing(app, pilot, args.pods)
            emit(figure="pods_listed_and_on_screen_s", run="in-bench-process", **result)

            # -- churn ----------------------------------------------------------------------
            churn = await measure_churn(app, pane, table, bridge, sb.url, args.churn, args.seconds)
            emit(figure="churn", **{k: churn[k] for k in ("pods_changed_per_s", "watch_events_per_s",
                                                            "pane_batches_per_s", "bridge_flushes_per_s")})
            emit(figure="frame_stall_p95_ms", value=churn["frame_p95_ms"], max=churn["frame_max_ms"], target=50,
                 note="UI event-loop lateness sampled every 10 ms under churn")
            emit(figure="key_to_screen_p95_ms", value=churn["key_to_screen_p95_ms"],
                 median=churn["key_to_screen_median_ms"], samples=churn["key_samples"], target=100)

            # -- idle -----------------------------------------------------------------------
            await asyncio.sleep(2.0)
            req0 = sum(w.stats.lists + w.stats.watches for w in bridge.watchers.values())
            lines0, flush0 = table.render_count, bridge.flushes
            await asyncio.sleep(args.idle)
            req = sum(w.stats.lists + w.stats.watches for w in bridge.watchers.values()) - req0
            emit(figure="idle", seconds=args.idle, api_requests=req, api_requests_per_min=round(req * 60 / args.idle, 2),
                 table_lines_rendered_per_s=round((table.render_count - lines0) / args.idle, 2),
                 kube_flushes=bridge.flushes - flush0,
                 note="requests = lists + watch (re)opens; watches renew every ~300 s")
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        emit(figure="peak_rss_mb", value=round(rss_mb, 1), target=250, pods=args.pods)
    finally:
        sb.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--churn", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--idle", type=float, default=20.0)
    parser.add_argument("--list-runs", type=int, default=3, help="fresh gotui processes timed listing the pods")
    parser.add_argument("--child-list", metavar="KUBECONFIG", help=argparse.SUPPRESS)
    parser.add_argument("--child-filter", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--child-churn", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_list:
        asyncio.run(child_list(args.child_list, args.pods, filter_=args.child_filter, url=args.child_url,
                               churn=args.child_churn, seconds=args.seconds))
        return
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
