"""Mail actors. Import only after dtz_events.broker.setup_broker()."""

from __future__ import annotations

import dramatiq

from dtz_events.mail import services


@dramatiq.actor(
    actor_name=services.SEND_ACTOR, queue_name="mail", max_retries=5, min_backoff=1_000, max_backoff=60_000
)
async def send(outbox_ids: list[int]) -> None:
    """Send these outbox rows. Failures of delivery are kept on the rows; a raise here means the database
    was unreachable, and Dramatiq retries (the sweep would find the rows anyway)."""
    await services.deliver(outbox_ids)
