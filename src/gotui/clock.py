"""The one clock gotui (and the sandbox) read wall time from.

Set `GOTUI_FROZEN_TIME` (RFC 3339, e.g. `2026-01-01T12:00:00Z`) to freeze it: screenshots, SVG
snapshots and seeded sandbox scenarios then render the same ages on every run.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime


def _frozen() -> datetime | None:
    value = os.environ.get("GOTUI_FROZEN_TIME")
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def now() -> datetime:
    """The current time (UTC, timezone-aware), or the frozen time when one is set."""
    return _frozen() or datetime.now(UTC)


def timestamp() -> float:
    """`now()` as a POSIX timestamp."""
    return now().timestamp()


def parse_time(value: str | None) -> datetime | None:
    """Parse a Kubernetes/Docker RFC 3339 timestamp (with Z or an offset, any fraction)."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    if "." in text:  # Python < 3.11 parsers choke on nanoseconds; trim to microseconds
        head, _, tail = text.partition(".")
        frac = "".join(ch for ch in tail if ch.isdigit())
        zone = tail[len(frac):]
        text = f"{head}.{frac[:6].ljust(6, '0')}{zone}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_epoch(value: object) -> float | None:
    """`parse_time` as seconds since the epoch; None for anything that is not a timestamp string."""
    parsed = parse_time(value) if isinstance(value, str) else None
    return None if parsed is None else parsed.timestamp()


def human_duration(seconds: float) -> str:
    """kubectl's duration (k8s.io/apimachinery/pkg/util/duration.HumanDuration): 45s, 3m20s, 15m,
    5h12m, 20h, 3d4h, 40d, 2y30d."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        sec = s % 60
        return f"{minutes}m" if sec == 0 else f"{minutes}m{sec}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def age(value: str | datetime | None, *, reference: datetime | None = None) -> str:
    """A kubectl-style age of a timestamp (see `human_duration`); `-` when unknown."""
    when = parse_time(value) if isinstance(value, str) or value is None else value
    if when is None:
        return "-"
    return human_duration(max(0.0, ((reference or now()) - when).total_seconds()))
