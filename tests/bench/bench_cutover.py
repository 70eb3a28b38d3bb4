"""Benchmark: blue-green cutover duration and failed requests across the switch, on the sandbox.

    python tests/bench/bench_cutover.py [--runs 6] [--rate 200] [--scenario quiet]

Starts a private sandbox, sends `--rate` requests/s through the go-api Service's loopback URL with the
traffic meter, and runs `--runs` cutovers alternating blue -> green -> blue (with the per-pod smoke check).
Prints JSON lines: one per cutover (duration PREFLIGHT -> DONE, each step's ms), then a summary
(targets: p95 duration <= 2 s, 0 failed requests), and a peer line: the wall time of a bare
`kubectl patch` of the same selector (no checks, no verify) for scale.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from fixtures.sandbox import start_sandbox  # noqa: E402
from gotui.config import Settings  # noqa: E402
from gotui.ops.cutover import Cutover, CutoverOptions  # noqa: E402
from gotui.ops.kube_io import KubeIO  # noqa: E402
from gotui.ops.traffic import TrafficMeter  # noqa: E402


def emit(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


def wait_ready(io: KubeIO, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        deps = [d for d in io.list("deployments", "shop") if d["metadata"]["name"].startswith("go-api-")]
        svc = io.get("services", "shop", "go-api") or {}
        url = (svc.get("metadata", {}).get("annotations") or {}).get("sandbox.gotui.dev/url")
        if deps and all((d.get("status") or {}).get("readyReplicas") == 3 for d in deps) and url:
            return url
        time.sleep(0.2)
    raise SystemExit("sandbox not ready")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--scenario", default="quiet")
    parser.add_argument("--settle", type=float, default=1.0, help="seconds of traffic between cutovers")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="gotui-bench-cutover-"))
    sb = start_sandbox(work, args.scenario, 1)
    try:
        io = KubeIO(sb.api_client)
        url = wait_ready(io)
        settings = Settings(audit_log=work / "audit.jsonl", config_path=work / "none.yaml")
        meter = TrafficMeter(url, rate=args.rate, max_seconds=600).start()
        time.sleep(args.settle)
        durations = []
        to = "green"
        for i in range(args.runs):
            before = meter.snapshot()
            result = Cutover(io, "shop", "go-api", to, CutoverOptions(smoke_path="/healthz", verify_timeout=10),
                             settings=settings).run()
            time.sleep(args.settle)
            after = meter.snapshot()
            durations.append(result.duration_s)
            emit(bench="cutover", run=i + 1, to=to, state=result.state.value, duration_ms=round(result.duration_s * 1000, 1),
                 steps={s.step.value: round(s.duration_s * 1000, 1) for s in result.steps},
                 requests=after.sent - before.sent, failed=after.failed - before.failed)
            if not result.ok:
                emit(bench="cutover", error=result.message)
                break
            to = "blue" if to == "green" else "green"
        snap = meter.stop()
        ordered = sorted(durations)
        p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))] if ordered else None
        emit(bench="cutover_summary", runs=len(durations), rate_target=args.rate,
             rate_achieved=round(snap.rate, 1), requests=snap.sent, ok=snap.ok, failed=snap.failed,
             failures=snap.failures, by_version=snap.by_version,
             duration_ms_median=round(statistics.median(durations) * 1000, 1) if durations else None,
             duration_ms_p95=round(p95 * 1000, 1) if p95 is not None else None,
             duration_ms_max=round(max(durations) * 1000, 1) if durations else None,
             target_duration_ms=2000, target_failed=0,
             meets_targets=bool(durations) and max(durations) <= 2.0 and snap.failed == 0)
        # peer: a bare kubectl patch of the same selector (what an operator would do by hand)
        cur = io.get("services", "shop", "go-api")["spec"]["selector"]["version"]
        other = "blue" if cur == "green" else "green"
        t0 = time.monotonic()
        proc = subprocess.run(["kubectl", "--kubeconfig", str(sb.kubeconfig), "-n", "shop", "patch", "service", "go-api",
                               "-p", json.dumps({"spec": {"selector": {"version": other}}})],
                              capture_output=True, text=True, timeout=60)
        peer = time.monotonic() - t0
        median = statistics.median(durations) if durations else None
        emit(bench="peer_kubectl_patch", ok=proc.returncode == 0, duration_ms=round(peer * 1000, 1),
             ratio_gotui_to_kubectl=round(median / peer, 2) if median else None,
             note="kubectl patch only switches (no preflight, lock, smoke or verify)")
    finally:
        sb.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
