"""Run a command under a real pseudo-terminal and record every byte it writes (with timestamps).

Used by the crash test, the terminal benchmark and the e2e tests. Every wait is bounded.
"""

from __future__ import annotations

import fcntl
import os
import pty
import signal
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Callable, Sequence


class PtyProcess:
    """A child process whose stdin/stdout/stderr are one pty of `cols` x `rows`."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        cols: int = 80,
        rows: int = 24,
        env: dict[str, str] | None = None,
        cwd: str | None = None,
    ) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.started = time.monotonic()
        self.proc = subprocess.Popen(  # noqa: S603 - test harness
            list(argv),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=cwd,
            start_new_session=True,
            close_fds=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),  # noqa: PLW1509 - controlling tty
        )
        os.close(slave)
        self.chunks: list[tuple[float, bytes]] = []
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                break
            if not data:
                break
            with self._lock:
                self.chunks.append((time.monotonic(), data))
        self._closed.set()

    # -- output --------------------------------------------------------------------------------
    @property
    def output(self) -> bytes:
        with self._lock:
            return b"".join(chunk for _, chunk in self.chunks)

    def bytes_between(self, start: float, end: float) -> int:
        with self._lock:
            return sum(len(c) for t, c in self.chunks if start <= t < end)

    def wait_for(self, predicate: Callable[[bytes], bool], timeout: float) -> float | None:
        """Wait until `predicate(output)`; return the monotonic time it first held, or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                seen = b""
                for stamp, chunk in self.chunks:
                    seen += chunk
                    if predicate(seen):
                        return stamp
            if self._closed.is_set() and self.proc.poll() is not None:
                with self._lock:
                    if not predicate(b"".join(c for _, c in self.chunks)):
                        return None
            time.sleep(0.02)
        return None

    def send(self, data: bytes | str) -> None:
        os.write(self.master, data.encode() if isinstance(data, str) else data)

    def wait_exit(self, timeout: float) -> int | None:
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        self._closed.wait(2)
        return code

    def close(self) -> None:
        """Stop the child (its whole session) if it still runs, and close the pty."""
        if self.proc.poll() is None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(timeout=5)
                    break
                except subprocess.TimeoutExpired:
                    continue
        try:
            os.close(self.master)
        except OSError:
            pass
        self._reader.join(timeout=2)

    def __enter__(self) -> PtyProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
