"""The scheduler: a periodic tick that asks the database what is due. Every job is idempotent, so a tick
that runs twice (or two schedulers) sends nothing twice."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from datetime import datetime

from dtz_events.board.services import remind_due_actions, warn_quorum_at_risk
from dtz_events.cooperation.refresh import refresh as refresh_cooperation
from dtz_events.core import db
from dtz_events.core.clock import utcnow
from dtz_events.mail.services import sweep
from dtz_events.matchmaking.services import expire_requests, schedule_due
from dtz_events.privacy.services import apply_retention
from dtz_events.promotion_days.services import remove_expired_contacts, send_due_updates
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
    ("cooperation.refresh", refresh_cooperation),
    ("board.quorum_warnings", warn_quorum_at_risk),
    ("board.action_reminders", remind_due_actions),
    ("privacy.retention", apply_retention),
    ("matchmaking.expire_requests", expire_requests),
    ("matchmaking.schedule", schedule_due),
    ("promotion_days.updates", send_due_updates),
    ("promotion_days.contact_retention", remove_expired_contacts),
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


LEASE_NAME = "scheduler"


def lease_seconds(interval: float) -> float:
    """How long a scheduler's hold outlives its last renewal: a killed scheduler is replaced by an idle one
    within this plus one interval."""
    return float(os.environ.get("DTZ_SCHEDULER_LEASE_SECONDS") or max(3 * interval, 5.0))


async def run_loop(interval: float | None = None, holder: str | None = None) -> None:
    """Tick every `interval` seconds while this process holds the scheduler lease; idle (and keep asking)
    while another one holds it. Every tick is idempotent, so a takeover in mid-tick doubles nothing."""
    from dtz_events.core import lease

    interval = interval or interval_seconds()
    me = holder or lease.holder_id()
    ttl = lease_seconds(interval)
    active: bool | None = None  # unknown until the first check, which is logged either way
    try:
        while True:
            try:
                holding = await lease.acquire(LEASE_NAME, me, ttl)
            except Exception:  # the database is away: try again next interval
                logger.warning("scheduler lease check failed", exc_info=True)
                holding = False
            if holding != active:
                active = holding
                logger.info("scheduler %s is %s", me, "active" if active else "idle (another one ticks)")
            if active:
                await tick()
            await asyncio.sleep(interval)
    finally:
        if active:
            with contextlib.suppress(Exception):
                await lease.release(LEASE_NAME, me)


async def run_forever(settings: Settings) -> None:
    from dtz_events.broker import make_broker
    from dtz_events.core.dispatch import BrokerDispatcher, set_dispatcher
    from dtz_events.core.logging import configure_logging
    from dtz_events.mail.services import configure

    configure_logging(os.environ.get("DTZ_LOG_LEVEL", "info"))
    await db.connect(settings)
    configure(settings)
    set_dispatcher(BrokerDispatcher(make_broker(settings)))
    try:
        await run_loop()
    finally:
        await db.disconnect()
