"""A traffic meter: N requests a second through a Service URL, counting answers by version and failures.

Runs its own asyncio loop in a daemon thread (aiohttp), so the UI and headless code can both use it:
`start()`, read `snapshot()` at any time, `stop()`. The version of an answer is read from the body of
`GET /version` (JSON `{"version": ...}` / `{"color": ...}`, or plain text).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gotui.ops.sanitize import safe_text


def version_of(body: bytes) -> str:
    """The version named in a `/version` answer (colour preferred, then version, then the text)."""
    text = body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return safe_text(text, 40) or "?"
    if isinstance(data, dict):
        for key in ("color", "colour", "version", "gitVersion", "image"):
            if data.get(key):
                return safe_text(data[key], 40)
    return safe_text(text, 40) or "?"


@dataclass
class TrafficSnapshot:
    sent: int
    ok: int
    failed: int
    by_version: dict[str, int]
    failures: dict[str, int]
    seconds: list[dict[str, int]] = field(default_factory=list)  # per-second counts by version (+"failed")
    elapsed_s: float = 0.0

    @property
    def rate(self) -> float:
        return self.sent / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def last_seconds(self, n: int = 1) -> dict[str, int]:
        """Counts by version over the last `n` complete seconds."""
        total: Counter[str] = Counter()
        for bucket in self.seconds[-n - 1 : -1] if len(self.seconds) > 1 else self.seconds:
            total.update(bucket)
        return dict(total)


Fetch = Callable[[], tuple[int, bytes]]


def service_proxy_fetch(io: Any, namespace: str, service: str, path: str = "/version",
                        timeout: float = 2.0) -> Fetch:
    """A fetch that GETs `path` on `service` through the API server's service proxy (with the operator's
    credentials and RBAC), its port resolved on first use as VERIFY's smoke does. No URL is ever read from
    an annotation: anyone allowed to annotate a Service could make the operator's machine fetch it."""
    port: list[str] = []

    def fetch() -> tuple[int, bytes]:
        if not port:
            from gotui.ops.cutover import service_smoke_port

            port.append(service_smoke_port(io.get("services", namespace, service) or {}, True) or "")
        return io.proxy_get("services", namespace, service, port[0], path, timeout=timeout)

    return fetch


class TrafficMeter:
    """Send `rate` GETs a second to `url + path` (or through `fetch`, called in a thread) until stopped."""

    def __init__(self, url: str | None = None, rate: float = 20.0, path: str = "/version", timeout: float = 2.0,
                 max_requests: int | None = None, max_seconds: float | None = 600.0,
                 fetch: Fetch | None = None) -> None:
        if not url and fetch is None:
            raise ValueError("TrafficMeter needs a url or a fetch")
        self.url = url.rstrip("/") + path if url else ""
        self.fetch = fetch
        self.rate = max(0.1, float(rate))
        self.timeout = timeout
        self.max_requests = max_requests
        self.max_seconds = max_seconds
        self._lock = threading.Lock()
        self._by_version: Counter[str] = Counter()
        self._failures: Counter[str] = Counter()
        self._seconds: list[Counter[str]] = []
        self._sent = 0
        self._ok = 0
        self._failed = 0
        self._t0 = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: str = ""

    def _bucket(self) -> Counter[str]:
        index = int(time.monotonic() - self._t0)
        while len(self._seconds) <= index:
            self._seconds.append(Counter())
        return self._seconds[index]

    def _record(self, version: str | None, failure: str | None) -> None:
        with self._lock:
            bucket = self._bucket()
            if failure is None and version is not None:
                self._ok += 1
                self._by_version[version] += 1
                bucket[version] += 1
            else:
                self._failed += 1
                self._failures[failure or "?"] += 1
                bucket["failed"] += 1

    async def _one(self, session) -> None:  # noqa: ANN001 - aiohttp.ClientSession
        import aiohttp

        if self.fetch is not None:
            try:
                status, body = await asyncio.wait_for(asyncio.to_thread(self.fetch), self.timeout + 1)
            except Exception as exc:  # noqa: BLE001 - any failure of a request is a failed request
                self._record(None, type(exc).__name__)
                return
            if 200 <= status < 300:
                self._record(version_of(body), None)
            else:
                self._record(None, f"HTTP {status}")
            return
        try:
            async with session.get(self.url) as resp:
                body = await resp.read()
                if 200 <= resp.status < 300:
                    self._record(version_of(body), None)
                else:
                    self._record(None, f"HTTP {resp.status}")
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            self._record(None, type(exc).__name__)

    async def _main(self) -> None:
        import aiohttp

        interval = 1.0 / self.rate
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        connector = aiohttp.TCPConnector(limit=64, force_close=False)
        tasks: set[asyncio.Task[None]] = set()
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
            next_at = time.monotonic()
            while not self._stop.is_set():
                if self.max_requests is not None and self._sent >= self.max_requests:
                    break
                if self.max_seconds is not None and time.monotonic() - self._t0 > self.max_seconds:
                    break
                with self._lock:
                    self._sent += 1
                task = asyncio.ensure_future(self._one(session))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                next_at += interval
                delay = next_at - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                elif delay < -1.0:  # fell far behind (overloaded machine): do not burst to catch up
                    next_at = time.monotonic()
            if tasks:
                await asyncio.wait(tasks, timeout=self.timeout + 1)

    def _thread_main(self) -> None:
        try:
            asyncio.run(self._main())
        except Exception as exc:  # noqa: BLE001 - reported through .error
            self.error = f"{type(exc).__name__}: {exc}"

    def start(self) -> TrafficMeter:
        """Start sending in a daemon thread."""
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self._thread_main, name="gotui-traffic", daemon=True)
        self._thread.start()
        return self

    def stop(self, wait: float = 5.0) -> TrafficSnapshot:
        """Stop sending, wait for answers in flight, return the final counts."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(wait)
        return self.snapshot()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def snapshot(self) -> TrafficSnapshot:
        with self._lock:
            return TrafficSnapshot(
                sent=self._sent, ok=self._ok, failed=self._failed,
                by_version=dict(self._by_version), failures=dict(self._failures),
                seconds=[dict(b) for b in self._seconds],
                elapsed_s=time.monotonic() - self._t0 if self._t0 else 0.0,
            )

    def __enter__(self) -> TrafficMeter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
