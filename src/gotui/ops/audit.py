"""The audit log: one JSON line per action taken, from the TUI or headless, flushed before success
is reported."""

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
        line = json.dumps(entry.__dict__, default=str, sort_keys=False)
        with _lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
                fh.flush()
                os.fsync(fh.fileno())
        return entry

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
