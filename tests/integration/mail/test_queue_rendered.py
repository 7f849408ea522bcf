"""Emails a domain renders itself (meeting invitations, board agendas, rotation schedules) go through the same
outbox: sent once per dedup key, with their calendar part, in the caller's transaction."""

from __future__ import annotations

from datetime import timedelta

import icalendar
import pytest

from dtz_events.core import ical
from dtz_events.core.clock import utcnow
from dtz_events.core.db import write_transaction
from dtz_events.core.templating import RenderedEmail
from dtz_events.mail.services import queue_rendered
from dtz_events.mail.tables import OutboxMessage

pytestmark = pytest.mark.sqlite

EMAIL = RenderedEmail(
    subject="Uw 1-op-1 gesprek met Emmtec",
    text="Tafel 12, 10:20\n",
    html="<p>Tafel 12, 10:20 &lt;script&gt;</p>",
)


def meeting_ics() -> str:
    start = utcnow().replace(microsecond=0) + timedelta(days=3)
    entry = ical.CalendarEntry(
        uid="meeting-7@dtz-events.test",
        sequence=0,
        title="1-op-1: Emmtec - Drenthe College",
        starts_at=start,
        ends_at=start + timedelta(minutes=20),
        location="Tafel 12",
    )
    party = ical.Party(email="anouk.jansen@emmtec.example", name="Anouk Jansen")
    organizer = ical.Party(email="events@dutchtechzone.nl", name="Dutch TechZone")
    return ical.invitation(entry, ical.Method.request, organizer=organizer, attendee=party).decode()


async def queue(key: str) -> int | None:
    async with write_transaction():
        return await queue_rendered(
            dedup_key=key,
            kind="meeting_scheduled",
            recipient_email="anouk.jansen@emmtec.example",
            recipient_name="Anouk Jansen",
            language="nl",
            email=EMAIL,
            ics=meeting_ics(),
            ics_method="REQUEST",
        )


async def test_a_rendered_email_arrives_once_with_its_calendar(mail_env) -> None:
    first = await queue("meeting:7:sequence 0")
    again = await queue("meeting:7:sequence 0")
    assert first is not None
    assert again is None

    await mail_env.flush()

    received = mail_env.sink.to("anouk.jansen@emmtec.example")
    assert len(received) == 1
    message = received[0].message
    assert message["Subject"] == EMAIL.subject
    calendar_part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    assert calendar_part.get_param("method") == "REQUEST"
    event = icalendar.Calendar.from_ical(calendar_part.get_content()).walk("VEVENT")[0]
    assert str(event["UID"]) == "meeting-7@dtz-events.test"
    row = await OutboxMessage.select(OutboxMessage.status).where(OutboxMessage.id == first).first()
    assert row == {"status": "sent"}


async def queue_then_fail() -> None:
    async with write_transaction():
        await queue_rendered(
            dedup_key="meeting:8:sequence 0",
            kind="meeting_scheduled",
            recipient_email="bram.devries@emmtec.example",
            recipient_name="Bram de Vries",
            language="nl",
            email=EMAIL,
        )
        raise RuntimeError("the change failed")


async def test_a_rolled_back_transaction_queues_nothing(mail_env) -> None:
    with pytest.raises(RuntimeError):
        await queue_then_fail()
    await mail_env.flush()
    assert await OutboxMessage.count() == 0
    assert mail_env.sink.to("bram.devries@emmtec.example") == []
