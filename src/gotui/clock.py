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


def age(value: str | datetime | None, *, reference: datetime | None = None) -> str:
    """A kubectl-style age: `45s`, `12m`, `3h4m`, `5d`, `2y`; `-` when unknown."""
    when = parse_time(value) if isinstance(value, str) or value is None else value
    if when is None:
        return "-"
    seconds = int(((reference or now()) - when).total_seconds())
    if seconds < 0:
        seconds = 0
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if days < 365 * 2:
        return f"{days}d"
    return f"{days // 365}y"
