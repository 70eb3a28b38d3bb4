#!/usr/bin/env python3
"""Regenerate screenshots/*.svg: every main view of gotui at 120x40 and 80x24.

    python scripts/screenshots.py [--out screenshots] [--sizes 120x40,80x24]

The cluster is the seeded sandbox `quiet` scenario (seed 1: nothing changes on its own), the clock is
frozen (GOTUI_FROZEN_TIME, also inherited by the sandbox), the Images pane shows the local Docker
engine (DOCKER_HOST) as it is. Views: the four panes, the help screen, the confirmation modal (delete
a pod: answered No) and the pod log view. Prints one line per file written.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FROZEN = "2026-01-15T09:30:00Z"


async def wait_rows(app, pane_id: str, timeout: float = 20.0) -> None:  # noqa: ANN001
    """Wait until the pane's main table has rows (or the timeout passes: the view says why)."""
    from textual.widgets import DataTable

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pane = app.pane(pane_id)
        tables = list(pane.query(DataTable))
        if tables and tables[0].row_count > 0:
            return
        await asyncio.sleep(0.1)


async def shoot(settings, size: tuple[int, int], out: Path) -> list[Path]:  # noqa: ANN001
    from gotui.ui.app import GotuiApp

    written: list[Path] = []
    suffix = f"{size[0]}x{size[1]}"
    app = GotuiApp(settings)

    async def save(name: str) -> None:
        await pilot.pause(0.3)
        path = out / f"{name}-{suffix}.svg"
        app.save_screenshot(filename=path.name, path=str(out))
        written.append(path)

    async with app.run_test(size=size) as pilot:
        for key, pane in (("1", "images"), ("2", "pods"), ("3", "hpa"), ("4", "releases")):
            await pilot.press(key)
            await wait_rows(app, pane)
            await pilot.pause(1.0)  # let details and status settle
            await save(pane)
        await pilot.press("question_mark")
        await save("help")
        await pilot.press("escape")
        await pilot.press("2")
        await pilot.pause(0.3)
        await pilot.press("ctrl+d")
        await pilot.pause(0.5)
        if len(app.screen_stack) > 1:
            await save("confirm")
            await pilot.press("n")
        await pilot.press("l")
        await pilot.pause(2.0)
        if len(app.screen_stack) > 1:
            await save("logs")
            await pilot.press("escape")
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "screenshots"))
    parser.add_argument("--sizes", default="120x40,80x24")
    args = parser.parse_args()
    os.environ["GOTUI_FROZEN_TIME"] = FROZEN
    os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
    home = Path(tempfile.mkdtemp(prefix="gotui-shots-"))
    os.environ["XDG_STATE_HOME"] = str(home / "state")
    os.environ["XDG_CONFIG_HOME"] = str(home / "config")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from gotui.config import Settings
    from gotui.demo import DemoCluster

    cluster = DemoCluster(scenario="quiet", seed=1)
    cluster.start()
    try:
        settings = Settings(
            audit_log=home / "audit.jsonl",
            kubeconfig=cluster.kubeconfig,
            context="gotui-sandbox",
            namespace="shop",
            docker_host=os.environ.get("DOCKER_HOST"),
            config_path=home / "config.yaml",
        )
        for spec in args.sizes.split(","):
            cols, rows = (int(v) for v in spec.lower().split("x"))
            for path in asyncio.run(shoot(settings, (cols, rows), out)):
                print(path)
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
