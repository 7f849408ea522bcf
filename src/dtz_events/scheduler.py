"""The scheduler: a periodic tick that asks the database what is due. Every job is idempotent, so a tick
that runs twice (or two schedulers) sends nothing twice."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from datetime import datetime

from dtz_events.core import db
from dtz_events.core.clock import utcnow
from dtz_events.mail.services import sweep
from dtz_events.registrations.services import queue_due_reminders
from dtz_events.settings import Settings
from dtz_events.surveys.services import send_due_followups, send_due_reminders, send_due_surveys

logger = logging.getLogger(__name__)

DueJob = Callable[[datetime], Awaitable[int]]

# Queueing jobs first, then the sweep that dispatches what they (and anything lost) left queued.
JOBS: list[tuple[str, DueJob]] = [
    ("registrations.reminders", queue_due_reminders),
    ("surveys.send", send_due_surveys),
    ("surveys.reminders", send_due_reminders),
    ("surveys.followups", send_due_followups),
    ("mail.sweep", sweep),
]


def interval_seconds() -> float:
    return float(os.environ.get("DTZ_SCHEDULER_INTERVAL", "30"))


async def tick(now: datetime | None = None) -> dict[str, int]:
    """Run every due job once; returns how much each did (-1 for a job that failed)."""
    now = now or utcnow()
    done = {}
    for name, job in JOBS:
        try:
            done[name] = await job(now)
        except Exception:
            logger.exception("scheduler job %s failed", name)
            done[name] = -1
    return done


async def run_loop(interval: float | None = None) -> None:
    interval = interval or interval_seconds()
    while True:
        await tick()
        await asyncio.sleep(interval)


async def run_forever(settings: Settings) -> None:
    from dtz_events.broker import make_broker
    from dtz_events.core.dispatch import BrokerDispatcher, set_dispatcher
    from dtz_events.mail.services import configure

    await db.connect(settings)
    configure(settings)
    set_dispatcher(BrokerDispatcher(make_broker(settings)))
    try:
        await run_loop()
    finally:
        await db.disconnect()
