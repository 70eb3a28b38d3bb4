"""The sandbox measures its own event-loop stalls (what /sandbox/v1/info reports as loopLagMs)."""

from __future__ import annotations

import asyncio
import time

import pytest

from gotui.sandbox.loop_lag import LoopLag

pytestmark = pytest.mark.timeout(30)


async def test_a_blocked_loop_is_reported_as_a_stall_with_its_length():
    lag = LoopLag(interval=0.01)
    lag.start()
    try:
        await asyncio.sleep(0.1)
        assert lag.status()["stalls"] == []
        before = time.time()
        time.sleep(0.15)  # the API's loop blocked 150 ms
        await asyncio.sleep(0.05)
        stalls = lag.status()["stalls"]
        assert len(stalls) == 1 and stalls[0][0] >= before and 120 <= stalls[0][1] <= 400
        assert stalls[0][2] < 60  # (a sleep: the loop's thread used no CPU in it; busy work would)
        assert lag.status()["max"] >= 120
    finally:
        lag.stop()
