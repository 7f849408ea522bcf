"""One active scheduler: the lease row lets one holder tick and keeps the others idle until it stops
renewing (killed: after the lease runs out; stopped: at once)."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from dtz_events import scheduler
from dtz_events.core.lease import Lease, acquire, current_holder, release

pytestmark = pytest.mark.sqlite


async def test_one_holder_at_a_time_and_takeover_after_expiry():
    assert await acquire("scheduler", "a", ttl=0.6)
    assert await acquire("scheduler", "a", ttl=0.6), "the holder renews"
    assert not await acquire("scheduler", "b", ttl=0.6), "the other stays idle"
    assert await current_holder("scheduler") == "a"
    await asyncio.sleep(0.8)  # a stops renewing, as a killed process would
    assert await acquire("scheduler", "b", ttl=0.6)
    assert not await acquire("scheduler", "a", ttl=0.6), "the old holder does not take it back"
    await release("scheduler", "b")
    assert await current_holder("scheduler") is None
    assert await acquire("scheduler", "a", ttl=0.6)
    assert await Lease.count() == 1


async def test_two_scheduler_loops_tick_one_at_a_time(monkeypatch):
    monkeypatch.setenv("DTZ_SCHEDULER_LEASE_SECONDS", "1")
    loops = {name: asyncio.create_task(scheduler.run_loop(interval=0.2, holder=name)) for name in "AB"}
    try:
        deadline = time.monotonic() + 5
        while await current_holder("scheduler") is None:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        first = await current_holder("scheduler")
        await asyncio.sleep(0.6)
        assert await current_holder("scheduler") == first, "the active one keeps it while it runs"
        # Stop whichever loop holds it: the other one takes over within a lease period plus an interval.
        assert first in loops
        loops[first].cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loops[first]
        deadline = time.monotonic() + 2.5
        while (now := await current_holder("scheduler")) in (None, first):
            assert time.monotonic() < deadline, "no takeover"
            await asyncio.sleep(0.05)
        assert now != first
    finally:
        for task in loops.values():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
