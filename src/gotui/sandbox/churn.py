"""Synthetic pod churn (POST /sandbox/v1/churn): `rate` pods a second change an annotation, in the server.

A benchmark that needs 1,000 pod changes a second cannot send 1,000 PATCH requests a second to a
Python API server on a shared 2-core machine (each costs a few ms of parsing, merging and
validating); this writes the same change (a new `sandbox.gotui/churn` annotation, a new
resourceVersion, a MODIFIED watch event) straight into the store, in ticks of 20 ms on the server's
loop. The pods are taken in their sorted order, round robin.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

ANNOTATION = "sandbox.gotui/churn"
TICK_S = 0.02


class Churn:
    """One churn run at a time; `start` replaces a running one."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.changed = 0
        self.rate = 0.0
        self.until = 0.0
        self._task: asyncio.Task | None = None
        self._pos = 0

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self, rate: float, seconds: float) -> dict:
        if self._task is not None:
            self._task.cancel()
        self.rate, self.until, self.changed = rate, time.monotonic() + seconds, 0
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self.status()

    def status(self) -> dict:
        return {"rate": self.rate, "running": self.running, "changed": self.changed}

    async def _run(self) -> None:
        start = time.monotonic()
        while time.monotonic() < self.until:
            due = int((time.monotonic() - start) * self.rate)
            if due > self.changed:
                self._change(due - self.changed)
            await asyncio.sleep(TICK_S)

    def _change(self, n: int) -> None:
        keys = self.store._keys("pods")
        if not keys:
            return
        for _ in range(n):
            self._pos = (self._pos + 1) % len(keys)
            pod = self.store.get("pods", *keys[self._pos])
            if pod is None:
                continue
            meta = dict(pod["metadata"])
            meta["annotations"] = {**(meta.get("annotations") or {}), ANNOTATION: str(self.changed)}
            self.store.update("pods", {**pod, "metadata": meta}, check_rv=False)
            self.changed += 1
