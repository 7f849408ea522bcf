"""The scheduler: a periodic tick that asks the database what is due. Every job is idempotent."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from dtz_events.core import db
from dtz_events.core.clock import utcnow
from dtz_events.settings import Settings

logger = logging.getLogger(__name__)

TICK_SECONDS = 30.0

DueJob = Callable[[datetime], Awaitable[int]]
JOBS: list[tuple[str, DueJob]] = []


def due_job(name: str) -> Callable[[DueJob], DueJob]:
    def register(fn: DueJob) -> DueJob:
        JOBS.append((name, fn))
        return fn

    return register


async def tick(now: datetime | None = None) -> dict[str, int]:
    """Run every due job once; returns how much each did."""
    now = now or utcnow()
    done = {}
    for name, job in JOBS:
        try:
            done[name] = await job(now)
        except Exception:
            logger.exception("scheduler job %s failed", name)
            done[name] = -1
    return done


async def run_forever(settings: Settings, interval: float = TICK_SECONDS) -> None:
    await db.connect(settings)
    try:
        while True:
            await tick()
            await asyncio.sleep(interval)
    finally:
        await db.disconnect()
