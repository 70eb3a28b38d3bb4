"""How late the sandbox's event loop runs: the longest stall of its API, measured inside the server.

A client timing `/sandbox/v1/info` sees the server's stalls and the machine's (a loaded 2-core machine
keeps a runnable server waiting for a CPU); this ticker sees only the first: how late a timer that
was due fired, and how much CPU the loop's thread used meanwhile: a stall with little CPU is the
machine's (the process waited for a core), one with a full CPU is the API's own work. `/sandbox/v1/info`
reports it as `loopLagMs` (max since start, and the stalls over STALL_MS as [wall-clock time, ms late,
CPU ms of the loop's thread in that interval], the last STALLS_KEPT of them).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

INTERVAL_S = 0.02
STALL_MS = 50.0
STALLS_KEPT = 200


class LoopLag:
    def __init__(self, interval: float = INTERVAL_S) -> None:
        self.interval = interval
        self.max_ms = 0.0
        self.stalls: deque[tuple[float, float, float]] = deque(maxlen=STALLS_KEPT)  # (time.time(), ms late, cpu ms)
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="sandbox-loop-lag")

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        while True:
            due, cpu = time.monotonic() + self.interval, time.thread_time()
            await asyncio.sleep(self.interval)
            self.record((time.monotonic() - due) * 1000, (time.thread_time() - cpu) * 1000)

    def record(self, late_ms: float, cpu_ms: float = 0.0) -> None:
        self.max_ms = max(self.max_ms, late_ms)
        if late_ms >= STALL_MS:
            self.stalls.append((round(time.time(), 3), round(late_ms, 1), round(cpu_ms, 1)))

    def status(self) -> dict:
        return {"max": round(self.max_ms, 1), "stalls": [list(s) for s in self.stalls]}
