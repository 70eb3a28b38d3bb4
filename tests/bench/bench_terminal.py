#!/usr/bin/env python3
"""Terminal benchmark: gotui under a real pseudo-terminal at 80x24. Prints JSON lines.

Figures:
- first_frame_s: process start to the first frame on the terminal (median of N runs), for plain
  `gotui` (no cluster; Docker engine as configured) and for `gotui --demo` (which starts the sandbox
  cluster before the first frame).
- idle_bytes_per_s: bytes gotui writes to the terminal per second while nothing changes (sandbox
  `quiet` scenario), per pane, after the panes have loaded.
- churn_bytes_per_s: the same during churn (sandbox `default` scenario: a crashlooping pod, changing
  CPU load and HPA), per pane.

Usage: python tests/bench/bench_terminal.py [--runs 5] [--window 10] [--settle 6]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from ptyterm import PtyProcess  # noqa: E402

from gotui.demo import DemoCluster  # noqa: E402

HEADER = b"ctx "
PANES = {"1": "images", "2": "pods", "3": "hpa", "4": "releases"}


def emit(**fields: object) -> None:
    print(json.dumps({"bench": "terminal", **fields}), flush=True)


def base_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    env.update(
        TERM="xterm-256color",
        XDG_STATE_HOME=str(home / "state"),
        XDG_CONFIG_HOME=str(home / "config"),
        GOTUI_CONFIG=str(home / "config" / "config.yaml"),
        LANG="C.UTF-8",
    )
    env.pop("NO_COLOR", None)
    return env


def gotui_argv() -> list[str]:
    exe = shutil.which("gotui")
    return [exe] if exe else [sys.executable, "-m", "gotui"]


def first_frame(argv: list[str], env: dict[str, str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.monotonic()
        with PtyProcess(argv, env=env) as term:
            seen = term.wait_for(lambda out: HEADER in out, timeout=60)
            if seen is None:
                raise SystemExit(f"no frame from {argv}: {term.output[-500:]!r}")
            times.append(seen - start)
            term.send("q")
            term.wait_exit(15)
    return times


def measure_panes(kubeconfig: str, env: dict[str, str], settle: float, window: float, scenario: str) -> None:
    argv = gotui_argv() + ["--kubeconfig", kubeconfig, "--context", "gotui-sandbox", "-n", "shop"]
    with PtyProcess(argv, env=env) as term:
        if term.wait_for(lambda out: HEADER in out, timeout=60) is None:
            raise SystemExit(f"gotui did not paint: {term.output[-500:]!r}")
        metric = "idle_bytes_per_s" if scenario == "quiet" else "churn_bytes_per_s"
        for key, pane in PANES.items():
            term.send(key)
            time.sleep(settle)  # let the pane load and its first updates land
            start = time.monotonic()
            time.sleep(window)
            end = time.monotonic()
            sent = term.bytes_between(start, end)
            emit(metric=metric, scenario=scenario, pane=pane, value=round(sent / (end - start), 1),
                 bytes=sent, window_s=round(end - start, 2), size="80x24")
        term.send("q")
        term.wait_exit(15)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--window", type=float, default=10.0, help="seconds measured per pane")
    parser.add_argument("--settle", type=float, default=6.0, help="seconds after switching before measuring")
    parser.add_argument("--skip-first-frame", action="store_true")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="gotui-bench-"))
    (home / "config").mkdir()
    env = base_env(home)

    if not args.skip_first_frame:
        for label, argv in (("gotui", gotui_argv()), ("gotui --demo", gotui_argv() + ["--demo"])):
            times = first_frame(argv, env, args.runs)
            emit(metric="first_frame_s", command=label, median=round(statistics.median(times), 3),
                 runs=[round(t, 3) for t in times], size="80x24")

    for scenario in ("quiet", "default"):
        cluster = DemoCluster(scenario=scenario, seed=1)
        cluster.start()
        try:
            measure_panes(cluster.kubeconfig, env, args.settle, args.window, scenario)
        finally:
            cluster.stop()
    shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
