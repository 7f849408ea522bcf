"""TEMPORARY: measures losses per kill (not part of the suite)."""

from __future__ import annotations

import asyncio
import os

from tests.faults.conftest import Rig
from tests.faults.test_mail_faults import draft_event_with, per_recipient, publish, statuses, wait_until

import pytest

N = int(os.environ.get("KILLLOOP_N", "4000"))
KILLS = int(os.environ.get("KILLLOOP_KILLS", "12"))


@pytest.mark.parametrize("broker_target", ["redis"], indirect=True)
async def test_killloop(rig: Rig) -> None:
    fanout = await draft_event_with(N)
    rig.sink.start()
    worker = await rig.start_worker()
    rig.start_scheduler()
    await publish(fanout)
    kills = 0
    while kills < KILLS and len(rig.sink.received) < N - 200:
        await asyncio.sleep(0.7)
        rig.kill(worker)
        kills += 1
        worker = await rig.start_worker()

    async def settled() -> bool:
        c = await statuses()
        return not c["queued"] and not c["sending"]

    await wait_until(rig, "settled", settled, within=120)
    await asyncio.sleep(1)
    counts = per_recipient(rig)
    expected = {e.lower() for e in fanout.emails}
    missing = expected - counts.keys()
    doubled = {a for a, n in counts.items() if n > 1}
    print(
        f"\nKILLLOOP kills={kills} missing={len(missing)} doubled={len(doubled)} statuses={dict(await statuses())}"
    )
