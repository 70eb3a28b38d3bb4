"""Docker benchmark (real engine; prints JSON lines; cleans up after itself).

    DOCKER_HOST=unix:///... python tests/bench/bench_docker.py [--images 500] [--containers 200]

1. Creates N image rows (tiny LABEL builds on one FROM-scratch busybox base, each tagged) and M
   containers (created, not started, network none), then measures an Images pane refresh (list +
   table update) in the real app, next to `docker images` / `docker ps -a` on the same engine.
2. Runs a container printing ~20,000 lines/s, follows it in the logs screen, and measures
   key-to-screen latency (key press until the LogView's next frame shows the change), lines/s
   kept up with, and memory (RSS).
Everything created carries the label gotui.bench=1 and is removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import docker

LABEL = {"gotui.bench": "1"}
BASE = "gotui-bench/base:latest"


def emit(**fields) -> None:  # noqa: ANN003
    print(json.dumps(fields), flush=True)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def tiny_context(dockerfile: str) -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = dockerfile.encode()
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    return buf


def setup(client: docker.DockerClient, n_images: int, n_containers: int) -> None:
    ctx = Path(tempfile.mkdtemp(prefix="gotui-bench-"))
    shutil.copy("/usr/bin/busybox", ctx / "busybox")
    (ctx / "Dockerfile").write_text('FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\nCMD ["sh"]\n')
    for _ in client.api.build(path=str(ctx), tag=BASE, labels=LABEL, rm=True, decode=True):
        pass
    shutil.rmtree(ctx)
    start = time.perf_counter()
    distinct = max(1, min(n_images, 100))  # distinct image ids; the rest are extra tags on them
    ids = []
    for i in range(distinct):
        image_id = None
        for chunk in client.api.build(fileobj=tiny_context(f"FROM {BASE}\nLABEL gotui.bench.n={i}\n"),
                                      custom_context=True, labels=LABEL, rm=True, decode=True):
            if "aux" in chunk:
                image_id = chunk["aux"]["ID"]
        ids.append(image_id)
    for i in range(n_images):
        client.api.tag(ids[i % distinct], "gotui-bench/img", f"t{i}")
    hc = client.api.create_host_config(network_mode="none")
    for i in range(n_containers):
        client.api.create_container(ids[i % distinct], ["true"], labels=LABEL, host_config=hc, name=f"gotui-bench-c{i}")
    emit(bench="docker.setup", images=n_images, distinct_image_ids=distinct, containers=n_containers,
         seconds=round(time.perf_counter() - start, 1))


def cleanup(client: docker.DockerClient) -> None:
    for c in client.api.containers(all=True, filters={"label": "gotui.bench=1"}):
        client.api.remove_container(c["Id"], force=True)
    for img in client.api.images(filters={"label": "gotui.bench=1"}):
        for tag in img.get("RepoTags") or []:
            try:
                client.api.remove_image(tag, force=True)
            except docker.errors.APIError:
                pass
    client.api.prune_images(filters={"dangling": True, "label": "gotui.bench=1"})
    left = client.api.images(filters={"label": "gotui.bench=1"})
    emit(bench="docker.cleanup", images_left=len(left),
         containers_left=len(client.api.containers(all=True, filters={"label": "gotui.bench=1"})))


def cli_time(*args: str) -> float | None:
    if shutil.which("docker") is None:
        return None
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run(["docker", *args], capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


async def measure_app(client: docker.DockerClient, n_images: int, logs: bool = True) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
    from gotui.config import Settings
    from gotui.ui.app import GotuiApp
    from gotui.ui.docker_screens import ContainerLogsScreen
    from gotui.ui.logview import LogLines, LogView
    from gotui.ui.panes.images import ImagesPane

    tmp = Path(tempfile.mkdtemp(prefix="gotui-bench-app-"))
    settings = Settings(audit_log=tmp / "audit.jsonl", config_path=tmp / "c.yaml")
    pane = ImagesPane()
    app = GotuiApp(settings, panes=[pane])
    async with app.run_test(size=(120, 40)) as pilot:
        async def wait(pred, timeout=60.0) -> bool:  # noqa: ANN001
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if pred():
                    return True
                await pilot.pause(0.01)
            return False

        await wait(lambda: pane.refreshes > 0 and len(pane.image_rows) >= n_images)
        samples = []
        for _ in range(10):
            n = pane.refreshes
            t0 = time.perf_counter()
            pane.action_refresh()
            await wait(lambda n=n: pane.refreshes > n)
            samples.append(time.perf_counter() - t0)
            await pilot.pause(0.05)
        emit(bench="docker.pane_refresh", image_rows=len(pane.image_rows), containers=len(pane.container_rows),
             p50_s=round(pct(samples, 50), 4), p95_s=round(pct(samples, 95), 4), max_s=round(max(samples), 4),
             list_and_table_p50_s=round(statistics.median([pane.last_refresh_s]), 4), target_s=0.3,
             docker_images_cli_s=cli_time("images"), docker_ps_a_cli_s=cli_time("ps", "-a"))

        if not logs:
            return
        # -- a container printing ~20,000 lines/s -----------------------------------------------------
        hc = client.api.create_host_config(network_mode="none")
        script = ('awk \'BEGIN{n=0; while(1){for(i=0;i<2000;i++){n++; print "2024-01-01 INFO request served path=/api/v1/items id=" n " status=200"}; '
                  'fflush(); system("usleep 100000")}}\'')
        cid = client.api.create_container(BASE, ["sh", "-c", script], labels=LABEL, host_config=hc, name="gotui-bench-spew")["Id"]
        client.api.start(cid)
        rss_before = rss_mb()
        screen = ContainerLogsScreen(pane.source, cid, "gotui-bench-spew")
        app.push_screen(screen)
        await wait(lambda: screen.is_mounted and screen.query(LogView))
        view = screen.query_one(LogView)
        lines_widget = screen.query_one(LogLines)
        frames: list[float] = []
        lines_widget.render_hook = lambda: frames.append(time.perf_counter())
        await wait(lambda: view.total_appended > 5000)
        t_start, n_start = time.perf_counter(), view.total_appended
        latencies = []
        for _ in range(20):
            await pilot.pause(0.1)
            before = lines_widget.show_timestamps
            frames.clear()
            t0 = time.perf_counter()
            await pilot.press("t")
            ok = await wait(lambda b=before, t=t0: lines_widget.show_timestamps != b and any(f > t for f in frames), 5)
            seen = next((f for f in frames if f > t0), None)
            if ok and seen:
                latencies.append(seen - t0)
        elapsed = time.perf_counter() - t_start
        rate = (view.total_appended - n_start) / elapsed
        await pilot.press("p")  # pause: the view stops scrolling and counts
        await pilot.pause(1.0)
        paused_new = view.new_while_paused
        emit(bench="docker.logs_follow", producer_lines_per_s=20000, view_lines_per_s=round(rate),
             key_to_screen_p50_ms=round(pct(latencies, 50) * 1000, 1) if latencies else None,
             key_to_screen_p95_ms=round(pct(latencies, 95) * 1000, 1) if latencies else None,
             key_samples=len(latencies), target_ms=100, buffer_lines=view.line_count, buffer_max=view.max_lines,
             new_while_paused_1s=paused_new, rss_mb_before=round(rss_before, 1), rss_mb_after=round(rss_mb(), 1),
             peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))
        await pilot.press("escape")
        await pilot.pause(0.2)
        client.api.remove_container(cid, force=True)
    shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=500)
    parser.add_argument("--containers", type=int, default=200)
    parser.add_argument("--part", choices=["all", "refresh", "logs"], default="all")
    args = parser.parse_args()
    client = docker.from_env(timeout=120)
    client.ping()
    import signal

    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))  # clean up on kill
    emit(bench="docker.engine", host=os.environ.get("DOCKER_HOST", "default"), version=client.version()["Version"])
    try:
        if args.part == "logs":
            args.images = args.containers = 0
        setup(client, args.images, args.containers)
        asyncio.run(measure_app(client, args.images, logs=args.part != "refresh"))
    finally:
        cleanup(client)
    return 0


if __name__ == "__main__":
    sys.exit(main())
