"""The log range keys: what each loads, always bounded by the ring buffer."""

from __future__ import annotations

import pytest

from gotui.ops.log_range import KEYS, log_range


def test_each_key() -> None:
    assert KEYS == ("0", "1", "2", "3", "4", "5", "6")
    assert (log_range("0", 200, 10_000).tail, log_range("0", 200, 10_000).since_seconds) == (200, None)
    assert log_range("0", 200, 10_000).label == "tail 200"
    assert log_range("0", 50_000, 10_000).tail == 10_000  # never more than the buffer keeps
    assert (log_range("1", 200, 10_000).tail, log_range("1", 200, 10_000).label) == (10_000, "tail 10000")
    assert [log_range(k, 200, 9).since_seconds for k in "23456"] == [60, 300, 900, 1800, 3600]
    assert [log_range(k, 200, 9).label for k in "23456"] == ["last 1m", "last 5m", "last 15m", "last 30m", "last 1h"]
    assert all(log_range(k, 200, 9).tail == 9 for k in "123456")
    with pytest.raises(ValueError, match="unknown log range key '7'"):
        log_range("7", 200, 10_000)


def test_every_range_has_a_remappable_key() -> None:
    from gotui.ui.logview import range_bindings

    bindings = range_bindings("podlogs")
    assert [b.key for b in bindings] == list(KEYS)
    assert all(b.id and b.id.startswith("podlogs.range.") and b.action == f"log_range('{b.key}')" for b in bindings)
