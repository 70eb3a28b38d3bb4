"""Turn a crashlooping container's "stream dropped / stream resumed" marks into one
`container <name> restarted (restart #N)` mark per restart.

A followed log stream ends whenever its container exits; the stream then reconnects, again and again
while the container waits in CrashLoopBackOff, and each try writes a dropped/resumed pair. The
tracker (one per followed pod/container) holds a drop until the pod's status says what it was:

- the container is not running, or its restartCount went up: a crash. Drops and resumes are
  swallowed until the container runs again; the restart mark goes in before its first new line.
- still running with the same count after `grace` seconds, or new lines arrive: a network drop,
  and the held marks are shown as they were.

Thread-safe (marks and lines come from the stream's thread, status checks from the UI); no Textual.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

DROPPED = "stream dropped"
RESUMED = "stream resumed"


@dataclass(frozen=True)
class ContainerSnapshot:
    """What the pod status says about one container."""

    running: bool
    restarts: int
    exit_text: str = ""  # "Error, exit 2" from lastState/state terminated, when known


def container_snapshot(pod: dict | None, container: str | None) -> ContainerSnapshot | None:
    """The snapshot of `container` (or the first one) in a raw pod, None when not reported."""
    if not pod:
        return None
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    cs = next((c for c in statuses if c.get("name") == container), None) if container else (statuses[0] if statuses else None)
    if cs is None:
        return None
    state = cs.get("state") or {}
    term = state.get("terminated") or (cs.get("lastState") or {}).get("terminated") or {}
    exit_text = ""
    if term:
        exit_text = f"{term.get('reason') or 'exited'}, exit {term.get('exitCode', '?')}"
    return ContainerSnapshot("running" in state, int(cs.get("restartCount") or 0), exit_text)


class RestartTracker:
    """Filters one stream's marks (see module docstring). `emit(text)` shows a marker line;
    `status()` returns the container's current ContainerSnapshot (or None)."""

    def __init__(self, container: str, emit: Callable[[str], None],
                 status: Callable[[], ContainerSnapshot | None], *, grace: float = 4.0,
                 clock: Callable[[], float] = time.monotonic, label: str = "") -> None:
        self.container = container
        self.emit = emit
        self.status = status
        self.grace = grace
        self.clock = clock
        self.label = label  # e.g. the pod's short name, for merged logs
        snap = status()
        self.base = snap.restarts if snap else 0  # the restart count the shown lines belong to
        self.crashed = False  # the container exited: drops/resumes are swallowed until it runs again
        self.exit_text = ""
        self.settling_since: float | None = None  # restart marked, its stream not flowing yet
        self.held: list[str] = []
        self.held_since = 0.0
        self.swallowed = 0
        self.announced = 0
        self._lock = threading.Lock()

    # -- from the stream's thread ---------------------------------------------------------------
    def on_mark(self, text: str) -> None:
        with self._lock:
            kind = DROPPED if DROPPED in text else (RESUMED if RESUMED in text else "")
            if not kind:
                self._flush_held()
                self.emit(text)
                return
            if self.crashed or self.settling_since is not None:
                self.swallowed += 1
                return
            if kind == DROPPED:
                if self._looks_crashed(self.status()):
                    self.swallowed += 1
                    return
                if not self.held:
                    self.held_since = self.clock()
                self.held.append(text)
            elif self.held:
                self.held.append(text)
            else:
                self.emit(text)

    def before_lines(self) -> None:
        """Call before delivering new lines: announces a restart, or shows held network drops."""
        with self._lock:
            self.settling_since = None
            if self.crashed:
                snap = self.status()
                restarts = snap.restarts if snap and snap.restarts > self.base else self.base + 1
                self._announce(restarts)
            elif self.held:
                self._flush_held()

    # -- from the UI (a timer, or when pods change) ----------------------------------------------
    def check(self) -> str:
        """Re-read the status; returns a short note while the container is down ("" otherwise)."""
        with self._lock:
            snap = self.status()
            if self.settling_since is not None and self.clock() - self.settling_since > 3 * self.grace:
                self.settling_since = None  # no lines since the restart: stop hiding drops
            if self.crashed:
                if snap is not None and snap.running and snap.restarts > self.base:
                    self._announce(snap.restarts)
                    self.settling_since = self.clock()  # the stream's resume is still to come
                    return ""
                return f"container {self.container} exited ({self.exit_text or 'crashed'}); waiting for its restart"
            if snap is not None and snap.restarts > self.base and snap.running and not self.held:
                # restarted between two checks without the stream noticing (yet): mark it now
                self._announce(snap.restarts)
                self.settling_since = self.clock()
                return ""
            if self.held:
                if self._looks_crashed(snap):
                    return f"container {self.container} exited ({self.exit_text or 'crashed'}); waiting for its restart"
                if self.clock() - self.held_since >= self.grace:
                    self._flush_held()
            return ""

    # -- internals ------------------------------------------------------------------------------
    def _looks_crashed(self, snap: ContainerSnapshot | None) -> bool:
        if snap is None or (snap.running and snap.restarts <= self.base):
            return False
        self.crashed = True
        self.exit_text = snap.exit_text
        self.swallowed += len(self.held)
        self.held = []
        return True

    def _announce(self, restarts: int) -> None:
        self.crashed = False
        self.held = []
        self.base = restarts
        self.announced += 1
        where = f" · pod {self.label}" if self.label else ""
        self.emit(f"container {self.container} restarted (restart #{restarts}){where}")

    def _flush_held(self) -> None:
        held, self.held = self.held, []
        for text in held:
            self.emit(text)
