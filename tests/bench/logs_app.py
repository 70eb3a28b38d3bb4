"""A bench driver: the container logs screen alone, in a real terminal (run it under a pty).

    python tests/bench/logs_app.py CONTAINER_ID [--wrap]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from textual.app import App  # noqa: E402

from gotui.sources.docker_source import DockerSource  # noqa: E402
from gotui.ui.docker_screens import ContainerLogsScreen  # noqa: E402
from gotui.ui.logview import LogView  # noqa: E402


class LogsApp(App[None]):
    def __init__(self, cid: str, wrap: bool) -> None:
        super().__init__()
        self.cid = cid
        self.wrap = wrap

    def on_mount(self) -> None:
        screen = ContainerLogsScreen(DockerSource(), self.cid, "bench")
        self.push_screen(screen)
        if self.wrap:
            self.call_later(lambda: screen.query_one(LogView).action_toggle_wrap())
        exit_after = float(os.environ.get("BENCH_EXIT_AFTER", "0") or 0)
        if exit_after:
            self.set_timer(exit_after, self.exit)


if __name__ == "__main__":
    LogsApp(sys.argv[1], "--wrap" in sys.argv).run()
