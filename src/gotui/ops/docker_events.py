"""The engine's event stream as rows: a bounded buffer, newest first, filtered by words."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from gotui.ops.docker_ops import matches
from gotui.ops.sanitize import safe_text


@dataclass(frozen=True)
class EventRow:
    seq: int
    when: float  # seconds since the epoch
    type: str
    action: str
    actor: str  # the name attribute when there is one, else the short id
    actor_id: str
    attributes: str  # a few interesting attributes, e.g. image=…, exitCode=…

    def cells(self) -> tuple[str, ...]:
        stamp = time.strftime("%H:%M:%S", time.localtime(self.when))
        return (stamp, self.type, self.action, self.actor, self.attributes)

    def text(self) -> str:
        return " ".join((self.type, self.action, self.actor, self.actor_id, self.attributes))


EVENT_COLUMNS = ("time", "type", "action", "actor", "details")
ACTION_WIDTH = 16  # "health_status", "exec_create"
ACTOR_WIDTH = 40
_KEEP = ("image", "exitCode", "signal", "driver", "container", "type", "destination")


def event_row(event: dict[str, Any], seq: int) -> EventRow:
    """One decoded engine event (`{"Type", "Action", "Actor": {"ID", "Attributes"}, "timeNano"}`)."""
    actor = event.get("Actor") or {}
    attrs = actor.get("Attributes") or {}
    actor_id = str(actor.get("ID") or event.get("id") or "")
    name = str(attrs.get("name") or (actor_id[:12] if len(actor_id) == 64 else actor_id))
    nano = event.get("timeNano")
    when = int(nano) / 1e9 if nano else float(event.get("time") or time.time())
    extra = " ".join(f"{k}={safe_text(str(attrs[k]), 80)}" for k in _KEEP if k in attrs and attrs[k] != name)
    # "exec_start: sh -c <a long command>", "health_status: healthy": the verb is the action, the rest a
    # detail (a 40-column action pushed the actor, the column that matters, off an 80-column screen)
    verb, _, rest = str(event.get("Action") or event.get("status") or "").partition(":")
    if rest.strip():
        extra = f"{safe_text(rest.strip(), 80)} {extra}".strip()
    return EventRow(seq=seq, when=when, type=safe_text(str(event.get("Type") or ""), 20),
                    action=safe_text(verb.strip(), ACTION_WIDTH), actor=safe_text(name, ACTOR_WIDTH),
                    actor_id=actor_id[:12], attributes=extra)


class EventBuffer:
    """The last `size` events (thread-safe: the stream thread adds, the UI reads)."""

    def __init__(self, size: int = 1000) -> None:
        self.size = size
        self._rows: deque[EventRow] = deque(maxlen=size)
        self._lock = threading.Lock()
        self.total = 0

    def add(self, event: dict[str, Any]) -> EventRow:
        with self._lock:
            self.total += 1
            row = event_row(event, self.total)
            self._rows.append(row)
            return row

    def __len__(self) -> int:
        return len(self._rows)

    def newest_first(self, text: str = "") -> list[EventRow]:
        with self._lock:
            rows = list(self._rows)
        return [r for r in reversed(rows) if matches(text, r.text())]
