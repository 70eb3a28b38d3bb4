"""Pod log streams: one thread per (pod, container), following with a tail, resuming after a drop.

Lines always carry the API's RFC 3339 timestamp (`timestamps=true`), so a resumed stream asks
`sinceSeconds` (from when the last line arrived here, with a little overlap: the official client has no
`sinceTime` parameter, and a local clock need not agree with the cluster's) and skips, by timestamp,
what it already delivered, and the view can show or hide the stamp. The owner
gets batches through `on_lines(lines)` and state changes through `on_mark(text)`, both called from
the stream's thread (they must be thread-safe and non-blocking). No Textual import.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

from gotui.ops.kube_text import kube_error as describe_error


class PodLogStream(threading.Thread):
    """Follow (or read once) one container's log."""

    def __init__(
        self,
        api_client: Any,
        namespace: str,
        pod: str,
        container: str | None,
        *,
        on_lines: Callable[[list[str]], None],
        on_mark: Callable[[str], None],
        tail_lines: int | None = 200,
        follow: bool = True,
        previous: bool = False,
        backoff_cap: float = 10.0,
        since_seconds: int | None = None,
    ) -> None:
        super().__init__(name=f"gotui-log-{pod}", daemon=True)
        self.api_client = api_client
        self.namespace = namespace
        self.pod = pod
        self.container = container
        self.on_lines = on_lines
        self.on_mark = on_mark
        self.tail_lines = tail_lines
        self.follow = follow and not previous
        self.previous = previous
        self.backoff_cap = backoff_cap
        self.since_seconds = since_seconds  # the first open only: a resumed stream asks from its last line
        self.last_ts = ""  # timestamp of the last delivered line
        self.last_seen = 0.0  # local time.time() when a line last arrived
        self.lines_read = 0
        self.drops = 0
        self.finished = threading.Event()
        self._halt = threading.Event()
        self._resp: Any = None
        self._lock = threading.Lock()

    def stop(self) -> None:
        self._halt.set()
        with self._lock:
            resp = self._resp
        if resp is not None:
            for method in ("shutdown", "close"):
                try:
                    getattr(resp, method, lambda: None)()
                except Exception:  # noqa: BLE001
                    pass

    def _open(self, resumed: bool) -> Any:
        from gotui.kube.client import request

        query: list[tuple[str, Any]] = [("timestamps", "true")]
        if self.follow:
            query.append(("follow", "true"))
        if self.container:
            query.append(("container", self.container))
        if self.previous:
            query.append(("previous", "true"))
        if resumed and self.last_ts:
            query.append(("sinceSeconds", resume_since_seconds(self.last_seen, time.time())))
        else:
            if self.tail_lines is not None:
                query.append(("tailLines", self.tail_lines))
            if self.since_seconds is not None and not self.previous:
                query.append(("sinceSeconds", max(1, int(self.since_seconds))))
        return request(self.api_client, "GET", f"/api/v1/namespaces/{self.namespace}/pods/{self.pod}/log", query,
                       accept="*/*", timeout=(5, 3600) if self.follow else (5, 60))

    def _pod_exists(self) -> bool | None:
        from gotui.kube.client import api_get, finish

        try:
            finish(api_get(self.api_client, f"/api/v1/namespaces/{self.namespace}/pods/{self.pod}", timeout=5))
            return True
        except Exception as exc:  # noqa: BLE001
            return False if getattr(exc, "status", None) == 404 else None

    def run(self) -> None:
        failures = 0
        waits = 0
        resumed = False
        try:
            while not self._halt.is_set():
                error = ""
                try:
                    resp = self._open(resumed)
                    with self._lock:
                        self._resp = resp
                    if resumed:
                        self.on_mark(f"{self.pod}: stream resumed")
                    failures = 0
                    self._read(resp, skip_until=self.last_ts if resumed else "")
                except Exception as exc:  # noqa: BLE001
                    if self._halt.is_set():
                        return
                    status = getattr(exc, "status", None)
                    error = describe_error(exc)
                    if status == 400 and self.follow and is_waiting_to_start(error):
                        # k9s-like: a following view waits for the container to start, it does not give up
                        waits += 1
                        if waits == 1:
                            self.on_mark(f"{self.pod}: {error}; waiting for it to start")
                        if self._halt.wait(min(2.0, 0.25 * waits)):
                            return
                        continue
                    if status in (400, 404) and not resumed:
                        self.on_mark(f"{self.pod}: {error}")
                        return
                finally:
                    with self._lock:
                        self._resp = None
                if self._halt.is_set() or not self.follow:
                    if not self.follow and not error:
                        self.on_mark(f"{self.pod}: end of log")
                    elif error:
                        self.on_mark(f"{self.pod}: {error}")
                    return
                exists = self._pod_exists()
                if exists is False:
                    self.on_mark(f"{self.pod}: pod deleted, stream ended")
                    return
                failures += 1
                self.drops += 1
                delay = min(self.backoff_cap, 0.5 * 2 ** min(failures - 1, 6))
                why = error or "the connection closed"
                self.on_mark(f"{self.pod}: stream dropped ({why}); reconnecting in {delay:.0f}s")
                resumed = True
                if self._halt.wait(delay):
                    return
        finally:
            self.finished.set()

    def _read(self, resp: Any, skip_until: str = "") -> None:
        buffer = b""
        for chunk in resp.stream(32768, decode_content=True):
            if self._halt.is_set():
                return
            buffer += chunk
            if b"\n" not in buffer:
                continue
            *raw, buffer = buffer.split(b"\n")
            self._deliver(raw, skip_until)
            skip_until = "" if self.last_ts > skip_until else skip_until
        if buffer:
            self._deliver([buffer], skip_until)

    def _deliver(self, raw: list[bytes], skip_until: str) -> None:
        lines = []
        for b in raw:
            line = b.decode("utf-8", errors="replace").rstrip("\r")
            ts = line.split(" ", 1)[0] if line[:4].isdigit() else ""
            if skip_until and ts and ts <= skip_until:
                continue  # already delivered before the drop
            if ts:
                self.last_ts = ts
            lines.append(line)
        if lines:
            self.last_seen = time.time()
            self.lines_read += len(lines)
            self.on_lines(lines)


def is_waiting_to_start(message: str) -> bool:
    """True for the kubelet's 400 on a container that has not started yet (it will, so keep asking)."""
    return "is waiting to start" in message or "ContainerCreating" in message or "PodInitializing" in message


def resume_since_seconds(last_seen: float, now: float, overlap: float = 2.0) -> int:
    """`sinceSeconds` for a resumed stream: back to the last line received, plus `overlap` seconds
    (lines already delivered are skipped by timestamp); at least 1, as the API requires."""
    return max(1, math.ceil(now - last_seen + overlap))


def pick_container(pod: dict, requested: str | None = None) -> str | None:
    """The container to show: the requested one, the default-container annotation, else the first."""
    names = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or []]
    if requested and requested in names:
        return requested
    default = ((pod.get("metadata") or {}).get("annotations") or {}).get("kubectl.kubernetes.io/default-container")
    if default in names:
        return default
    return names[0] if names else None


class StreamSet:
    """Several PodLogStreams (the pods of a Deployment), added as pods appear."""

    def __init__(self, factory: Callable[[str], PodLogStream]) -> None:
        self.factory = factory
        self.streams: dict[str, PodLogStream] = {}

    def sync(self, pods: list[str]) -> list[str]:
        """Start streams for pods not yet followed; returns the names started."""
        started = []
        for name in pods:
            if name not in self.streams:
                stream = self.factory(name)
                self.streams[name] = stream
                stream.start()
                started.append(name)
        return started

    def stop(self) -> None:
        for s in self.streams.values():
            s.stop()

    def join(self, timeout: float = 2.0) -> None:
        deadline = time.monotonic() + timeout
        for s in self.streams.values():
            s.join(max(0.0, deadline - time.monotonic()))
