"""`gotui --demo`: start the sandbox cluster in a child process and point gotui at it."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def _die_with_parent() -> None:
    """In the child: ask Linux to SIGTERM us when gotui dies, so no sandbox is left orphaned."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - not Linux: stop() still ends the child on a normal exit
        pass


class DemoError(Exception):
    """The sandbox could not be started; the message says why."""


class DemoCluster:
    """A `gotui sandbox` child process; use as a context manager."""

    def __init__(self, scenario: str = "default", seed: int = 1) -> None:
        self.scenario = scenario
        self.seed = seed
        self.process: subprocess.Popen[str] | None = None
        self.url = ""
        self.kubeconfig = ""
        self._dir = tempfile.mkdtemp(prefix="gotui-demo-")

    def start(self, timeout: float = 30.0) -> None:
        out = Path(self._dir) / "kubeconfig"
        log = open(Path(self._dir) / "sandbox.log", "w", encoding="utf-8")  # noqa: SIM115 - lives with the child
        cmd = [
            sys.executable, "-m", "gotui", "sandbox", "--port", "0", "--scenario", self.scenario,
            "--seed", str(self.seed), "--kubeconfig-out", str(out),
        ]
        self.process = subprocess.Popen(  # noqa: S603 - our own module
            cmd, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"}, preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + timeout
        assert self.process.stdout is not None
        lines: list[str] = []
        result: dict[str, str] = {}

        def reader() -> None:
            assert self.process is not None and self.process.stdout is not None
            for line in self.process.stdout:
                lines.append(line)
                if "serving at" in line:
                    result["url"] = line.split("serving at", 1)[1].strip()
                if "kubeconfig at" in line:
                    result["kubeconfig"] = line.split("kubeconfig at", 1)[1].strip()
                    break

        thread = threading.Thread(target=reader, daemon=True)
        thread.start()
        while time.monotonic() < deadline and "kubeconfig" not in result:
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        if "kubeconfig" not in result:
            self.stop()
            raise DemoError(
                f"the sandbox cluster did not start (see {Path(self._dir) / 'sandbox.log'}): "
                + "".join(lines[-5:]).strip()
            )
        self.url = result.get("url", "")
        self.kubeconfig = result["kubeconfig"]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def __enter__(self) -> DemoCluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
