"""The shared clock: frozen time, RFC 3339 parsing, kubectl-style ages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gotui import clock


def test_frozen_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOTUI_FROZEN_TIME", "2026-01-01T12:00:00Z")
    assert clock.now() == datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert clock.age("2026-01-01T11:59:15Z") == "45s"


def test_parse_nanoseconds_and_offsets() -> None:
    assert clock.parse_time("2026-11-25T00:00:01.123456789Z") == datetime(2026, 11, 25, 0, 0, 1, 123456, tzinfo=UTC)
    assert clock.parse_time("2026-11-25T02:00:00+02:00") == datetime(2026, 11, 25, tzinfo=UTC)
    assert clock.parse_time("garbage") is None
    assert clock.parse_time(None) is None


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=5), "5s"),
        (timedelta(minutes=12), "12m"),
        (timedelta(minutes=3, seconds=20), "3m20s"),
        (timedelta(hours=3, minutes=4), "3h4m"),
        (timedelta(minutes=150), "150m"),
        (timedelta(hours=5, minutes=12), "5h12m"),
        (timedelta(days=3, hours=4), "3d4h"),
        (timedelta(hours=20), "20h"),
        (timedelta(days=5), "5d"),
        (timedelta(days=800), "2y70d"),
        (timedelta(days=365 * 9), "9y"),
        (timedelta(seconds=-3), "0s"),
    ],
)
def test_age(delta: timedelta, text: str) -> None:
    ref = datetime(2026, 6, 1, tzinfo=UTC)
    assert clock.age(ref - delta, reference=ref) == text
    assert clock.age(None) == "-"
