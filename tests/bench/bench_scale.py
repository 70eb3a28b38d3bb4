"""Benchmark the sandbox and gotui at cluster scale (issue 14); prints JSON lines.

    nice -n 5 python tests/bench/bench_scale.py [--sizes 10000,50000,150000] [--list-runs 1]

For each size N, against a fresh `gotui sandbox --scenario big --pods N` (N/50 Deployments in 5
namespaces, 20 above 10,000 pods):

- `sandbox_ready_s`: process start to N pods existing (created Running), with the sandbox's CPU seconds;
- `sandbox_info_latency_ms`: /sandbox/v1/info polled every 50 ms (20 s timeout) from process start:
  p50/p99/max while the pods are created (`phase: creating`) and while kubectl and gotui list them
  (`phase: listing`), and how long the port was not yet open;
- `kubectl_get_pods_A_s`: `kubectl get pods -A` (its default --chunk-size 500), median of `--kubectl-runs`;
- `gotui_pods_listed_and_on_screen_s`: a fresh gotui process (tests/bench/bench_kube.py --child-list),
  KubeBridge.start to every pod listed and painted, with kubectl's time and the ratio beside it;
- `rss_mb`: the sandbox's peak RSS (VmHWM) and gotui's peak RSS.
Timings on a shared machine are noisy; every line names the size.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[1]))  # tests/ (fixtures)
sys.path.insert(0, str(HERE.parents[2] / "src"))


def emit(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(len(values) * q))], 1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid: int) -> dict:
    """VmHWM / VmRSS in MB and CPU seconds of a process (Linux /proc)."""
    out: dict = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmHWM:", "VmRSS:")):
                out[line.split(":")[0]] = round(int(line.split()[1]) / 1024, 1)
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        out["cpu_s"] = round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 1)
        # time its threads were runnable but waited for a CPU (the machine is shared)
        out["runqueue_wait_s"] = round(sum(int(Path(t, "schedstat").read_text().split()[1])
                                           for t in Path(f"/proc/{pid}/task").iterdir()) / 1e9, 1)
    except OSError:
        pass
    return out


class InfoPoller(threading.Thread):
    """Polls /sandbox/v1/info every 50 ms; records (phase, latency) and the last answer."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.phase = "creating"
        self.samples: dict[str, list[float]] = {}
        self.failures: dict[str, int] = {}
        self.first_answer: float | None = None
        self.last: dict = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            t = time.monotonic()
            try:
                with urllib.request.urlopen(self.url + "/sandbox/v1/info", timeout=20) as resp:
                    self.last = json.loads(resp.read())
                if self.first_answer is None:
                    self.first_answer = t
                self.samples.setdefault(self.phase, []).append((time.monotonic() - t) * 1000)
            except OSError:
                if self.first_answer is not None:
                    self.failures[self.phase] = self.failures.get(self.phase, 0) + 1
            self.stop.wait(max(0.0, 0.05 - (time.monotonic() - t)))


def loop_stalls(info: dict, start: float, end: float) -> dict:
    """The sandbox's own event-loop stalls (>= 50 ms, measured inside it: sandbox/loop_lag.py) between two
    wall-clock times: the part of the info latency that was the API's, not the machine's."""
    lag = info.get("loopLagMs") or {}
    stalls = [(s[1], s[2] if len(s) > 2 else None) for s in lag.get("stalls") or [] if start <= s[0] < end]
    worst = max(stalls, default=(None, None))
    return {"sandbox_loop_stalls_over_50ms": len(stalls), "sandbox_loop_stall_max_ms": worst[0],
            "its_loop_thread_cpu_ms": worst[1]}


def run_kubectl(kubeconfig: Path, *args: str) -> tuple[float, int, float]:
    """(wall s, output lines, peak RSS MB) of one kubectl run."""
    t = time.monotonic()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen([shutil.which("kubectl") or "kubectl", "--kubeconfig", str(kubeconfig), *args],
                                stdout=out, stderr=subprocess.DEVNULL)
        _, _, usage = os.wait4(proc.pid, 0)
        proc.returncode = 0
        wall = time.monotonic() - t
        out.seek(0)
        lines = sum(1 for _ in out)
    return wall, lines, round(usage.ru_maxrss / 1024, 1)


def kubectl_get_pods(kubeconfig: Path, runs: int) -> tuple[float | None, int, float | None]:
    """Median wall of `kubectl get pods -A`, its rows and its peak RSS."""
    if not shutil.which("kubectl"):
        return None, 0, None
    results = [run_kubectl(kubeconfig, "get", "pods", "-A", "--no-headers") for _ in range(runs)]
    return statistics.median(r[0] for r in results), results[-1][1], max(r[2] for r in results)


def gotui_list(kubeconfig: Path, pods: int, extra: list[str] | None = None) -> dict:
    out = subprocess.run([sys.executable, str(HERE.parent / "bench_kube.py"), "--child-list", str(kubeconfig),
                          "--pods", str(pods), *(extra or [])], capture_output=True, text=True, timeout=900)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode or not lines:
        return {"error": (out.stderr or out.stdout)[-3000:]}
    return json.loads(lines[-1])


def bench_size(pods: int, args: argparse.Namespace) -> None:
    from fixtures.sandbox import _env, sandbox_command

    work = Path(tempfile.mkdtemp(prefix=f"gotui-bench-scale-{pods}-"))
    os.environ["XDG_STATE_HOME"] = str(work / "state")
    port = free_port()
    kubeconfig = work / "kubeconfig"
    t0 = time.monotonic()
    proc = subprocess.Popen(sandbox_command("big", 1, pods, kubeconfig, port), stdout=subprocess.DEVNULL,
                            stderr=open(work / "sandbox.log", "w"), env=_env(), cwd=str(work))  # noqa: SIM115
    poller = InfoPoller(f"http://127.0.0.1:{port}")
    poller.start()
    try:
        ready = None
        while time.monotonic() - t0 < args.timeout:
            if proc.poll() is not None:
                raise RuntimeError(f"the sandbox exited: {(work / 'sandbox.log').read_text()[-2000:]}")
            if (poller.last.get("counts") or {}).get("pods", 0) >= pods:
                ready = time.monotonic() - t0
                break
            time.sleep(0.05)
        poller.phase = "listing"
        listing_from = time.time()
        st = proc_status(proc.pid)
        emit(figure="sandbox_ready_s", pods=pods, value=round(ready, 2) if ready else None,
             timed_out=ready is None, cpu_s=st.get("cpu_s"), runqueue_wait_s=st.get("runqueue_wait_s"),
             rss_mb=st.get("VmRSS"), peak_rss_mb=st.get("VmHWM"),
             listening_after_s=round(poller.first_answer - t0, 2) if poller.first_answer else None,
             deployments=(poller.last.get("counts") or {}).get("deployments"))
        created = poller.samples.get("creating", [])
        emit(figure="sandbox_info_latency_ms", pods=pods, phase="creating", samples=len(created),
             p50=pct(created, 0.5), p99=pct(created, 0.99), max=pct(created, 1.0),
             failures=poller.failures.get("creating", 0), target_ms=100,
             **loop_stalls(poller.last, 0.0, listing_from))
        kubectl_s, rows, kubectl_rss = kubectl_get_pods(kubeconfig, args.kubectl_runs)
        emit(figure="kubectl_get_pods_A_s", pods=pods, value=round(kubectl_s, 2) if kubectl_s else None,
             rows=rows, runs=args.kubectl_runs, peak_rss_mb=kubectl_rss)
        # the last gotui process also measures the filter and the churn
        extra = [["--child-filter", "--child-url", f"http://127.0.0.1:{port}", "--child-churn", str(args.churn),
                  "--seconds", str(args.churn_seconds)] if i == args.list_runs - 1 else [] for i in range(args.list_runs)]
        results = [gotui_list(kubeconfig, pods, e) for e in extra]
        ok = [r for r in results if "value" in r]
        if ok:
            value = statistics.median(r["value"] for r in ok)
            emit(figure="gotui_pods_listed_and_on_screen_s", pods=pods, value=round(value, 2),
                 rows=ok[-1].get("rows"), kubectl_s=round(kubectl_s, 2) if kubectl_s else None,
                 ratio_vs_kubectl=round(value / kubectl_s, 2) if kubectl_s else None, target_ratio=2.0,
                 phases_s=ok[-1].get("phases_s"), runs=[r["value"] for r in ok],
                 gotui_cpu_s=ok[-1].get("process_cpu_s"), gotui_runqueue_wait_s=ok[-1].get("process_runqueue_wait_s"))
        for r in results:
            if "error" in r:
                emit(figure="gotui_pods_listed_and_on_screen_s", pods=pods, error=r["error"])
        last = results[-1] if results else {}
        flt = last.get("filter")
        if flt:
            # kubectl's nearest equivalent of narrowing the list: a server-side filtered list
            sel_s, sel_rows, _ = run_kubectl(kubeconfig, "get", "pods", "-A", "--no-headers", "-l",
                                             f"app={flt['query']}")
            emit(figure="filter_keystroke_ms", pods=pods, p50=flt["p50"], p95=flt["p95"], max=flt["max"],
                 target=flt["target"], query=flt["query"], rows_matched=flt["rows_matched"],
                 typed_ms=flt["typed_ms"], erased_ms=flt["erased_ms"], cleared_ms=flt["cleared_ms"],
                 kubectl_label_selector_list_ms=round(sel_s * 1000, 1), kubectl_rows=sel_rows,
                 ui_thread_cpu_ms=flt.get("ui_thread_cpu_ms"), ui_thread_runqueue_wait_ms=flt.get("ui_thread_runqueue_wait_ms"),
                 gc_passes=flt.get("gc"),
                 note="gotui: one keystroke to the filtered table painted; kubectl: `get pods -A -l app=QUERY`")
        churn = last.get("churn")
        if churn:
            emit(figure="churn_ms", pods=pods, key_to_screen_p95=churn["key_to_screen_p95_ms"],
                 key_to_screen_median=churn["key_to_screen_median_ms"], frame_p95=churn["frame_p95_ms"],
                 frame_max=churn["frame_max_ms"], targets=churn["targets_ms"],
                 pods_changed_per_s=churn["pods_changed_per_s"], watch_events_per_s=churn["watch_events_per_s"],
                 pane_batches_per_s=churn["pane_batches_per_s"], key_samples=churn["key_samples"],
                 changed_by=churn.get("changed_by"), window_s=churn.get("window_s"),
                 ui_thread_cpu_s=churn.get("ui_thread_cpu_s"), ui_thread_runqueue_wait_s=churn.get("ui_thread_runqueue_wait_s"),
                 process_cpu_s=churn.get("process_cpu_s"), gc_passes=churn.get("gc"),
                 kubectl=None, note="kubectl has no interactive view to compare")
        switches = last.get("pane_switch_ms")
        if switches:
            emit(figure="pane_switch_ms", pods=pods, **{f"{k}_pane": v for k, v in switches.items()}, target=100, kubectl=None,
                 note="a pane key (4 Releases, 3 HPA, 2 Pods) to its first frame; hidden panes rebuild when shown")
        listing = poller.samples.get("listing", [])
        time.sleep(0.2)  # (the poller's last answer: after the listing)
        emit(figure="sandbox_info_latency_ms", pods=pods, phase="listing", samples=len(listing),
             p50=pct(listing, 0.5), p99=pct(listing, 0.99), max=pct(listing, 1.0),
             failures=poller.failures.get("listing", 0), target_ms=100,
             **loop_stalls(poller.last, listing_from, time.time()))
        st = proc_status(proc.pid)
        emit(figure="rss_mb", pods=pods, sandbox_peak=st.get("VmHWM"), sandbox_now=st.get("VmRSS"),
             sandbox_cpu_s=st.get("cpu_s"), sandbox_runqueue_wait_s=st.get("runqueue_wait_s"),
             gotui_peak=max((r.get("peak_rss_end_mb") or r.get("peak_rss_mb") or 0) for r in ok) if ok else None,
             gotui_listed=last.get("rss_listed_mb"), gotui_end=last.get("rss_end_mb"),
             kubectl_peak=kubectl_rss, limit_sandbox=2048, target_gotui=600)
    finally:
        poller.stop.set()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,50000,150000")
    parser.add_argument("--list-runs", type=int, default=1, help="fresh gotui processes timed listing the pods")
    parser.add_argument("--kubectl-runs", type=int, default=1)
    parser.add_argument("--churn", type=int, default=1000, help="pods changed per second during the churn")
    parser.add_argument("--churn-seconds", type=float, default=15.0)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for the pods")
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        bench_size(size, args)


if __name__ == "__main__":
    main()
