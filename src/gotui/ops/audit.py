"""The audit log: JSON lines, from the TUI or headless, each fsynced before anything goes on.

The file is created with mode 0600 (it names who changed what, where). `record` raises `AuditError`
(the path and the cause) when the line cannot be written: a read-only directory, a full disk, a
directory at the path. The action gate (`gotui.ops.gate`) writes a "started" line before any change
and refuses the action when even that line cannot be written.
"""

from __future__ import annotations

import getpass
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gotui.ops.actions import Action

_lock = threading.Lock()

STARTED = "started"


class AuditError(Exception):
    """The audit log could not be written; the message names the path and the cause."""

    def __init__(self, path: Path, cause: BaseException) -> None:
        why = getattr(cause, "strerror", None) or str(cause) or type(cause).__name__
        where = getattr(cause, "filename", None)
        if where and str(where) != str(path):
            why = f"{why}: {where}"
        super().__init__(f"cannot write the audit log {path}: {why}")
        self.path = path
        self.cause = cause


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return str(os.getuid())


@dataclass
class AuditEntry:
    time: str
    user: str
    context: str | None
    namespace: str | None
    action: str
    target: str
    outcome: str
    duration_ms: int
    before: Any = None
    after: Any = None
    source: str = "tui"
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class AuditLog:
    """Append-only JSON-lines audit log."""

    def __init__(self, path: Path, source: str = "tui") -> None:
        self.path = Path(path)
        self.source = source

    def record(
        self,
        action: Action,
        outcome: str,
        duration_s: float = 0.0,
        *,
        before: Any = None,
        after: Any = None,
        message: str = "",
        **extra: Any,
    ) -> AuditEntry:
        """Append one line and fsync it; returns the entry written."""
        entry = AuditEntry(
            time=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            user=_user(),
            context=action.context,
            namespace=action.namespace,
            action=f"{action.verb} {action.kind}",
            target=action.target,
            outcome=outcome,
            duration_ms=round(duration_s * 1000),
            before=before,
            after=after,
            source=self.source,
            message=message,
            extra=extra,
        )
        line = (json.dumps(entry.__dict__, default=str, sort_keys=False) + "\n").encode("utf-8")
        with _lock:
            try:
                self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
                try:
                    view = memoryview(line)
                    while view:
                        view = view[os.write(fd, view):]
                    os.fsync(fd)
                finally:
                    os.close(fd)
            except OSError as exc:
                raise AuditError(self.path, exc) from exc
        return entry

    def started(self, action: Action, *, before: Any = None, message: str = "", **extra: Any) -> AuditEntry:
        """The "started" line, written (and fsynced) before the action changes anything."""
        return self.record(action, STARTED, before=before, message=message, **extra)

    @contextmanager
    def timed(self, action: Action, **extra: Any) -> Iterator[dict[str, Any]]:
        """Record `action` when the block ends: outcome "ok", or "error: ..." if it raised.

        The block may set `result["before"]`, `result["after"]`, `result["outcome"]` and
        `result["message"]`.
        """
        result: dict[str, Any] = {}
        start = time.monotonic()
        try:
            yield result
        except BaseException as exc:
            self.record(
                action,
                result.get("outcome") or f"error: {exc}",
                time.monotonic() - start,
                before=result.get("before"),
                after=result.get("after"),
                message=result.get("message", ""),
                **extra,
            )
            raise
        self.record(
            action,
            result.get("outcome", "ok"),
            time.monotonic() - start,
            before=result.get("before"),
            after=result.get("after"),
            message=result.get("message", ""),
            **extra,
        )

    def read(self, limit: int = 1000) -> list[dict[str, Any]]:
        """The newest `limit` entries, oldest first; unreadable lines are skipped."""
        try:
            lines = self.path.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return []
        out = []
        for line in lines[-limit:]:
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return out
