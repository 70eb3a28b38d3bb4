"""Benchmark the generic resource view (`:KIND`) against `kubectl get KIND -A` on the same sandbox;
prints JSON lines.

    python tests/bench/bench_resources.py [--pods 10000] [--runs 3]

Starts `gotui sandbox --scenario big --pods N`, waits until it settles, then, `--runs` times each:
- `kubectl get pods -A` (wall time of the process; discovery cache warm after the first run, as
  gotui's registry is);
- gotui's generic view of pods in all namespaces, in a headless app at 80x24: from `show_kind` to
  the N rows being in the view and painted (`list_s`: the Table list reached the view's thread;
  `shown_s`: the rows are in the virtualized table; `painted_s`: a frame with them was drawn).
Prints each run, the medians, and the ratio gotui/kubectl.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[1]))  # tests/ (fixtures)
sys.path.insert(0, str(HERE.parents[2] / "src"))


def emit(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


def settle(sb: object, quiet_rv_per_s: int = 20, limit_s: float = 120.0) -> float:
    t0 = time.monotonic()
    rv = int(sb.info().get("resourceVersion") or 0)  # type: ignore[attr-defined]
    while time.monotonic() - t0 < limit_s:
        time.sleep(1.0)
        now = int(sb.info().get("resourceVersion") or 0)  # type: ignore[attr-defined]
        rate, rv = now - rv, now
        if rate < quiet_rv_per_s:
            break
    return time.monotonic() - t0


def kubectl_runs(sb: object, runs: int, home: Path) -> list[float]:
    env = dict(os.environ, KUBECONFIG=str(sb.kubeconfig), HOME=str(home))  # type: ignore[attr-defined]
    out = []
    subprocess.run(["kubectl", "api-resources"], env=env, capture_output=True, check=True, timeout=120)  # warm cache
    for _ in range(runs):
        t0 = time.monotonic()
        proc = subprocess.run(["kubectl", "get", "pods", "-A"], env=env, capture_output=True, check=True, timeout=300)
        out.append(time.monotonic() - t0)
        lines = proc.stdout.count(b"\n") - 1
        emit(bench="resources", tool="kubectl", metric="get_pods_all_s", value=round(out[-1], 3), rows=lines)
    return out


async def gotui_runs(sb: object, runs: int, pods: int, tmp: Path) -> list[float]:
    from gotui.config import Settings
    from gotui.ui.app import GotuiApp
    from gotui.ui.resource_view import ResourceView

    settings = Settings(audit_log=tmp / "audit.jsonl", kubeconfig=str(sb.kubeconfig),  # type: ignore[attr-defined]
                        context="gotui-sandbox", namespace=None, docker_host=f"unix://{tmp}/no-docker.sock",
                        config_path=tmp / "c.yaml")
    app = GotuiApp(settings)
    out: list[float] = []
    async with app.run_test(size=(80, 24)) as pilot:
        async def until(pred, timeout=300.0):  # noqa: ANN001, ANN202
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if pred():
                    return
                await pilot.pause(0.01)
            raise TimeoutError

        await until(lambda: app.services.get("kube") is not None and app.services["kube"].api_client is not None)
        bridge = app.services["kube"]
        bridge.switch(bridge.context, None)  # all namespaces, as `kubectl get -A`
        await until(lambda: bridge.namespace is None and bridge.api_client is not None and bridge.context)
        await until(lambda: bridge.store.synced("pods") and bridge.store.count("pods") >= pods)  # the pane's cache is done
        nav = app.navigator
        nav.prefetch()
        await until(lambda: nav.registry is not None)
        view = app.query_one(ResourceView)
        for _ in range(runs):
            await pilot.pause(1.0)
            view.stop_watch()
            view.kind = None
            t0 = time.monotonic()
            nav.show("kind:pods")
            await until(lambda: len(view.rows) >= pods and view.shown_at)
            await until(lambda: view.table.painted_rows >= pods and view.table.painted_at >= view.shown_at)
            painted = view.table.painted_at - t0
            out.append(painted)
            emit(bench="resources", tool="gotui", metric="generic_view_pods_all_s", value=round(painted, 3),
                 list_s=round((view.watcher.listed_at if view.watcher else 0) - t0, 3),
                 shown_s=round(view.shown_at - t0, 3), rows=len(view.rows))
        view.stop_watch()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pods", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    from fixtures.sandbox import start_sandbox

    tmp = Path(tempfile.mkdtemp(prefix="gotui-bench-resources-"))
    sb = start_sandbox(tmp / "sb", "big", 1, args.pods, timeout=180)
    try:
        emit(bench="resources", metric="settle_s", value=round(settle(sb), 1))
        home = tmp / "home"
        home.mkdir()
        k = kubectl_runs(sb, args.runs, home)
        g = asyncio.run(gotui_runs(sb, args.runs, args.pods, tmp))
        km, gm = statistics.median(k), statistics.median(g)
        emit(bench="resources", metric="generic_view_vs_kubectl", pods=args.pods, gotui_median_s=round(gm, 3),
             kubectl_median_s=round(km, 3), ratio=round(gm / km, 2))
    finally:
        sb.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
