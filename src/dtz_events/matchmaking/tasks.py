"""Matchmaking actors. Import only after dtz_events.broker.setup_broker()."""

from __future__ import annotations

import dramatiq

from dtz_events.matchmaking import services


@dramatiq.actor(
    actor_name=services.SCHEDULE_ACTOR,
    queue_name=services.SCHEDULE_QUEUE,
    max_retries=3,
    min_backoff=5_000,
    max_backoff=60_000,
)
async def schedule(run_id: int) -> None:
    """Make the schedule of this run. A failing solver marks the run failed (no raise); a raise here means
    the database was unreachable, and Dramatiq retries (the scheduler's sweep would find the run anyway)."""
    await services.perform_run(run_id)
