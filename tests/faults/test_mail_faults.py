"""Acceptance of the invitations issue under faults, counted at a real SMTP server.

Each case seeds people registered on a draft event, then publishes it: one transaction writes one outbox row
per person, and after the commit this process dispatches `mail.send` batches to a real broker (Redis or
RabbitMQ). Real `dtz-events worker` processes send them to the SMTP sink; a real `dtz-events scheduler`
ticks every second and runs the outbox sweep. Then something breaks, and every recipient must still get
exactly one email, counted per recipient at the sink.

Case (a) rests on `mail.services._mark_sent_and_send_dot`: a row is marked sent and its final dot goes out
together or not at all. With the two as plain writes, a kill fell between them in about one kill in a
hundred (with the mark awaited before the dot, in nearly every run), and that recipient got nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest

from dtz_events.core.auth import Principal, Role
from dtz_events.core.clock import utcnow
from dtz_events.events.schemas import EventCreate, EventKind
from dtz_events.events.services import create_event, publish_event
from dtz_events.mail.services import BATCH_SIZE, dispatch_ids
from dtz_events.mail.tables import OutboxMessage
from dtz_events.partners.tables import Organisation, Person
from dtz_events.registrations.services import register
from tests.faults.conftest import Rig
from tests.support.fixtures import make_actor

pytestmark = pytest.mark.slow

CASE_TIMEOUT = 90.0  # a hard limit per case, on top of the waits inside it
SETTLE_TIMEOUT = 60.0
DOMAIN = "deelnemers.example"
ROW_FACTS = (
    OutboxMessage.id,
    OutboxMessage.recipient_email,
    OutboxMessage.status,
    OutboxMessage.attempts,
    OutboxMessage.last_error,
    OutboxMessage.claimed_at,
    OutboxMessage.sent_at,
)


@dataclass
class Fanout:
    event_id: int
    organiser: Principal
    emails: list[str]


async def draft_event_with(n: int) -> Fanout:
    """`n` people registered (and confirmed) on a network meeting that is still a draft: no mail yet."""
    [organisation] = await Organisation.insert(
        Organisation(
            name="Emmtec Industry & Business Park", kind="company", helix="business", municipality="Emmen"
        )
    ).returning(Organisation.id)
    emails = [f"deelnemer.{i:05d}@{DOMAIN}" for i in range(n)]
    people = [
        Person(
            name=f"Deelnemer {i}",
            email=email,
            organisation=organisation["id"],
            language="nl" if i % 3 else "en",
        )
        for i, email in enumerate(emails)
    ]
    person_ids = []
    for start in range(0, n, 1000):  # a statement takes at most 32767 parameters
        inserted = await Person.insert(*people[start : start + 1000]).returning(Person.id)
        person_ids += [p["id"] for p in inserted]
    organiser = await make_actor(Role.organiser, "organisator@dutchtechzone.nl")
    assert organiser.principal is not None
    starts = (utcnow() + timedelta(days=30)).replace(hour=13, minute=0, second=0, microsecond=0)
    event = await create_event(
        organiser.principal,
        EventCreate(
            kind=EventKind.network_meeting,
            title="Netwerkbijeenkomst Smart Industry",
            starts_at=starts,
            ends_at=starts + timedelta(hours=3),
            capacity=n,
            venue="Emmtec Industry & Business Park",
            address="Bijlakstraat 2",
            municipality="Emmen",
        ),
        host="testserver.local",
    )
    for start in range(0, n, 500):
        await register(organiser.principal, event.id, person_ids[start : start + 500], "person_ids")
    assert await OutboxMessage.count() == 0, "a draft event sends nothing"
    return Fanout(event_id=event.id, organiser=organiser.principal, emails=emails)


async def publish(fanout: Fanout) -> list[int]:
    """Publish: one transaction writes a row per person; the batches go to the broker after the commit."""
    await publish_event(fanout.organiser, fanout.event_id)
    ids = [r["id"] for r in await OutboxMessage.select(OutboxMessage.id).order_by(OutboxMessage.id)]
    assert len(ids) == len(fanout.emails)
    return ids


async def statuses() -> Counter[str]:
    rows = await OutboxMessage.select(OutboxMessage.status)
    return Counter(r["status"] for r in rows)


def per_recipient(rig: Rig) -> Counter[str]:
    return Counter(address.lower() for message in rig.sink.received for address in message.rcpt_tos)


async def wait_until(
    rig: Rig, what: str, condition: Callable[[], object], within: float = SETTLE_TIMEOUT
) -> None:
    """Poll `condition` (a function, or one returning an awaitable) until it is true."""
    deadline = time.monotonic() + within
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {within:.0f} s waiting for {what}; outbox {dict(await statuses())}, "
                f"{len(rig.sink.received)} messages at the sink\n{rig.diagnosis()}"
            )
        await asyncio.sleep(0.2)


async def assert_each_exactly_once(rig: Rig, fanout: Fanout, failed: frozenset[str] = frozenset()) -> None:
    """Wait until nothing is left to send, then: one email per recipient at the sink (none for the refused
    ones), every row `sent` (or `failed` for the refused ones)."""
    expected = {e.lower() for e in fanout.emails} - failed

    async def settled() -> bool:
        counts = await statuses()
        return not counts["queued"] and not counts["sending"]

    await wait_until(rig, "every row to be sent", settled)
    # The last replies may still be on their way to the sink; a late double would show up here too.
    seen, quiet_since = -1, time.monotonic()
    while time.monotonic() - quiet_since < 1.5:
        if len(rig.sink.received) != seen:
            seen, quiet_since = len(rig.sink.received), time.monotonic()
        await asyncio.sleep(0.1)
    counts = per_recipient(rig)
    doubled = {address: n for address, n in counts.items() if n > 1}
    missing = expected - counts.keys()
    unexpected = counts.keys() - expected
    if doubled:
        rows = await OutboxMessage.select(*ROW_FACTS).where(
            OutboxMessage.recipient_email.is_in(sorted(doubled)[:10])
        )
        raise AssertionError(
            f"{len(doubled)} recipients got more than one email: {sorted(doubled.items())[:10]}\n"
            f"{rows}\n{rig.diagnosis()}"
        )
    if missing:
        rows = await OutboxMessage.select(*ROW_FACTS).where(
            OutboxMessage.recipient_email.is_in(sorted(missing)[:10])
        )
        raise AssertionError(f"{len(missing)} recipients got nothing: {rows}\n{rig.diagnosis()}")
    assert not unexpected, f"mail to {sorted(unexpected)[:10]}"
    assert len(rig.sink.received) == len(expected)
    assert await statuses() == Counter(
        {"sent": len(expected), "failed": len(failed)} if failed else {"sent": len(expected)}
    )


# ---------------------------------------------------------------- (a) a worker killed mid-run


async def in_sending() -> bool:
    return await OutboxMessage.count().where(OutboxMessage.status == "sending") > 0


async def test_a_worker_killed_mid_run_loses_and_doubles_nothing(rig: Rig) -> None:
    async with asyncio.timeout(CASE_TIMEOUT):
        n = 2000
        fanout = await draft_event_with(n)
        rig.sink.start()
        first = await rig.start_worker()
        rig.start_scheduler()
        await publish(fanout)
        await wait_until(rig, "some hundreds of emails", lambda: len(rig.sink.received) >= 300)
        # Killed while it holds claimed rows (between two batches it holds none, and the fast worker
        # spends little time there), so that taking rows back is what this case tests.
        await wait_until(rig, "rows being sent", in_sending)
        rig.kill(first)
        at_kill = len(rig.sink.received)
        assert at_kill < n, "the worker was killed only after the run: nothing was interrupted"
        await rig.start_worker()
        await assert_each_exactly_once(rig, fanout)
        retried = await OutboxMessage.count().where(OutboxMessage.attempts > 1)
        assert retried > 0, "no row claimed by the killed worker was taken back and sent again"


async def test_a_worker_stopped_twice_mid_run_ends_at_once_and_the_rest_goes_out_once(rig: Rig) -> None:
    """An impatient stop (SIGTERM, then SIGTERM again, as a process manager or a double Ctrl-C sends):
    the worker ends within seconds instead of hanging, and its rows are taken back."""
    async with asyncio.timeout(CASE_TIMEOUT):
        n = 600
        fanout = await draft_event_with(n)
        rig.sink.handler.rcpt_delay = 0.02  # a batch takes a second: the second signal comes mid-stop
        rig.sink.start()
        first = await rig.start_worker(processes=2)
        rig.start_scheduler()
        await publish(fanout)
        await wait_until(rig, "the first emails", lambda: len(rig.sink.received) >= 100)
        await wait_until(rig, "rows being sent", in_sending)
        os.kill(first.pid, signal.SIGTERM)
        await asyncio.sleep(0.2)
        os.kill(first.pid, signal.SIGTERM)
        code = await asyncio.to_thread(first.process.wait, 15)
        first.killed = True
        assert code != 0, first.tail()
        assert first.log().count("stopping now") == 2, first.tail()
        assert len(rig.sink.received) < n, "the worker was stopped only after the run"
        rig.sink.handler.rcpt_delay = 0
        await rig.start_worker()
        await assert_each_exactly_once(rig, fanout)


# ---------------------------------------------------------------- (b) the SMTP server down, then up


async def test_b_smtp_server_down_then_up_delivers_everything_once(rig: Rig) -> None:
    async with asyncio.timeout(CASE_TIMEOUT):
        n = 250
        fanout = await draft_event_with(n)
        await rig.start_worker()
        rig.start_scheduler()
        await publish(fanout)  # the sink's port has nobody listening yet

        async def retried_while_down() -> bool:
            rows = await OutboxMessage.select(OutboxMessage.attempts, OutboxMessage.last_error)
            return all(
                r["attempts"] >= 2 and "SMTP connection failed" in (r["last_error"] or "") for r in rows
            )

        await wait_until(rig, "every row to be tried twice while the server is down", retried_while_down)
        assert rig.sink.received == []
        assert (await statuses())["sent"] == 0
        rig.sink.start()
        await assert_each_exactly_once(rig, fanout)


# ---------------------------------------------------------------- (c) a permanent refusal for one address


async def test_c_a_refused_address_fails_with_the_reason_and_the_rest_goes_out_once(rig: Rig) -> None:
    async with asyncio.timeout(CASE_TIMEOUT):
        n = 250
        fanout = await draft_event_with(n)
        refused = fanout.emails[77]
        rig.sink.handler.refuse[refused] = "550 5.1.1 Recipient address rejected: mailbox unavailable"
        rig.sink.start()
        await rig.start_worker()
        rig.start_scheduler()
        await publish(fanout)
        await assert_each_exactly_once(rig, fanout, failed=frozenset({refused}))
        row = await OutboxMessage.select().where(OutboxMessage.recipient_email == refused).first()
        assert row is not None
        assert row["status"] == "failed"
        assert row["attempts"] == 1, "a permanent refusal is not retried"
        assert "550" in row["last_error"]
        assert "mailbox unavailable" in row["last_error"]
        assert rig.sink.to(refused) == []


# ---------------------------------------------------------------- (d) the same message delivered twice


async def test_d_the_same_message_delivered_twice_sends_once(rig: Rig) -> None:
    async with asyncio.timeout(CASE_TIMEOUT):
        n = 250
        fanout = await draft_event_with(n)
        rig.sink.start()
        ids = await publish(fanout)  # no worker yet: the batches wait on the broker...
        dispatch_ids(ids)  # ...next to a second copy of each
        batches = -(-n // BATCH_SIZE)

        async def on_the_broker(count: int) -> bool:
            return await asyncio.to_thread(rig.broker.outstanding) == count

        await wait_until(rig, "both copies on the broker", lambda: on_the_broker(2 * batches), within=10)
        # Two processes of four threads each, and no scheduler: only the duplicates can double anything.
        await rig.start_worker(processes=2, threads=4)
        await assert_each_exactly_once(rig, fanout)
        await wait_until(rig, "every copy to be consumed", lambda: on_the_broker(0), within=20)
        await asyncio.sleep(0.5)
        assert max(per_recipient(rig).values()) == 1


# ---------------------------------------------------------------- (e) the broker restarted mid-run


async def test_e_broker_restarted_mid_run_loses_and_doubles_nothing(rig: Rig) -> None:
    async with asyncio.timeout(CASE_TIMEOUT):
        n = 1000
        fanout = await draft_event_with(n)
        rig.sink.start()
        await rig.start_worker()
        rig.start_scheduler()
        await publish(fanout)
        await wait_until(rig, "the first emails", lambda: len(rig.sink.received) >= 100)
        at_restart = len(rig.sink.received)
        await asyncio.to_thread(rig.broker.restart)
        assert at_restart < n, "the broker restarted only after the run"
        await assert_each_exactly_once(rig, fanout)
