"""Run a terminal program in a pseudo-terminal and watch it like a user would (bench helper).

`Tty(argv, cols, rows, env)` starts the program; a thread reads everything it writes, counts the
bytes (with timestamps) and feeds a pyte screen, so `wait_for_text("x")` waits for x to be drawn.
`cpu_seconds()` (utime+stime of the process and its reaped children) and `rss_mb()` read /proc.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import termios
import threading
import time

import pyte


class Tty:
    def __init__(self, argv: list[str], cols: int = 80, rows: int = 24, env: dict[str, str] | None = None) -> None:
        self.cols, self.rows = cols, rows
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.lock = threading.Lock()
        self.bytes_total = 0
        self.chunks: list[tuple[float, int]] = []
        pid, fd = pty.fork()
        if pid == 0:  # child
            os.execvpe(argv[0], argv, {**os.environ, "TERM": "xterm-256color", **(env or {})})
        self.pid, self.fd = pid, fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.started = time.monotonic()
        self._stop = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while not self._stop:
            try:
                ready, _, _ = select.select([self.fd], [], [], 0.1)
                if not ready:
                    continue
                data = os.read(self.fd, 65536)
            except OSError:
                return
            if not data:
                return
            now = time.monotonic()
            with self.lock:
                self.bytes_total += len(data)
                self.chunks.append((now, len(data)))
                self.stream.feed(data)

    def text(self) -> str:
        with self.lock:
            return "\n".join(self.screen.display)

    def wait_for_text(self, needle: str, timeout: float = 30.0) -> float | None:
        """Seconds since start when `needle` first shows on the screen (None on timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.text():
                return time.monotonic() - self.started
            time.sleep(0.005)
        return None

    def first_output_s(self) -> float | None:
        with self.lock:
            return (self.chunks[0][0] - self.started) if self.chunks else None

    def bytes_between(self, t0: float, t1: float) -> int:
        with self.lock:
            return sum(n for t, n in self.chunks if t0 <= t < t1)

    def send(self, data: str) -> None:
        os.write(self.fd, data.encode())

    def cpu_seconds(self) -> float:
        """utime+stime of the process and all its threads (and reaped children), in seconds."""
        fields = open(f"/proc/{self.pid}/stat").read().rsplit(")", 1)[1].split()
        ticks = sum(int(x) for x in fields[11:15])
        return ticks / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        for line in open(f"/proc/{self.pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def close(self) -> None:
        self._stop = True
        try:
            os.kill(self.pid, signal.SIGTERM)
            for _ in range(50):
                if os.waitpid(self.pid, os.WNOHANG)[0]:
                    break
                time.sleep(0.05)
            else:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        try:
            os.close(self.fd)
        except OSError:
            pass


def measure_idle(tty: Tty, seconds: float) -> tuple[float, float]:
    """(CPU %, terminal bytes/s) over `seconds` of doing nothing."""
    c0, t0 = tty.cpu_seconds(), time.monotonic()
    time.sleep(seconds)
    c1, t1 = tty.cpu_seconds(), time.monotonic()
    return (c1 - c0) / (t1 - t0) * 100, tty.bytes_between(t0, t1) / (t1 - t0)
