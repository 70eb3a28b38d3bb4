"""Which part of a log to load when a log screen opens or the range changes (k9s habits: `0` the tail,
`2`-`6` since 1m / 5m / 15m / 30m / 1h; here `1` is as much as the ring buffer holds).

Every range is bounded by the ring buffer: lines that could not be kept are never fetched.
"""

from __future__ import annotations

from dataclasses import dataclass

SINCE = {"2": 60, "3": 300, "4": 900, "5": 1800, "6": 3600}
KEYS = ("0", "1", *SINCE)


@dataclass(frozen=True)
class LogRange:
    """`tail` lines at most, and only those of the last `since_seconds` (None: no time limit)."""

    key: str
    tail: int
    since_seconds: int | None = None

    @property
    def label(self) -> str:
        if self.since_seconds is not None:
            s = self.since_seconds
            return f"last {s // 3600}h" if s >= 3600 else f"last {s // 60}m"
        return f"tail {self.tail}"


def log_range(key: str, tail: int, buffer_lines: int) -> LogRange:
    """The range of key `key` (see KEYS) for a screen whose default tail is `tail` and whose ring
    buffer holds `buffer_lines`."""
    if key not in KEYS:
        raise ValueError(f"unknown log range key {key!r} (use one of {', '.join(KEYS)})")
    buffer_lines = max(1, buffer_lines)
    if key == "0":
        return LogRange(key, max(0, min(tail, buffer_lines)))
    if key == "1":
        return LogRange(key, buffer_lines)
    return LogRange(key, buffer_lines, SINCE[key])
