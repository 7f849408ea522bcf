"""Golden MIME tests on mail received by a real SMTP server."""

from __future__ import annotations

from email.message import EmailMessage

import icalendar
import pytest

pytestmark = pytest.mark.sqlite


def parts_tree(message: EmailMessage) -> list:
    if message.is_multipart():
        return [message.get_content_type(), [parts_tree(p) for p in message.iter_parts()]]
    return [message.get_content_type()]


def calendar_of(message: EmailMessage) -> tuple[EmailMessage, icalendar.Calendar]:
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    return part, icalendar.Calendar.from_ical(part.get_content())


async def register(client, world, person: str, event: str = "network") -> dict:
    r = await client.post(
        f"/api/events/{world.events[event]}/registrations",
        json={"person_id": world.people[person]},
        headers=world.actors["organiser"].headers,
    )
    assert r.status_code == 201, r.text
    return r.json()


async def test_confirmation_is_an_imip_request_with_the_golden_structure(client, world, mail_env):
    await register(client, world, "a1")
    await mail_env.flush()
    [received] = mail_env.sink.to("anouk.jansen@emmtec.example")
    message = received.message
    assert parts_tree(message) == [
        "multipart/mixed",
        [
            ["multipart/alternative", [["text/plain"], ["text/html"], ["text/calendar"]]],
            ["application/ics"],
        ],
    ]
    part, calendar = calendar_of(message)
    assert part.get_param("method") == "REQUEST"
    assert part.get_content_charset() == "utf-8"
    assert calendar["METHOD"] == "REQUEST"
    attachment = next(p for p in message.iter_attachments())
    assert attachment.get_filename() == "invite.ics"
    assert icalendar.Calendar.from_ical(attachment.get_content())["METHOD"] == "REQUEST"
    [vevent] = calendar.walk("VEVENT")
    attendees = vevent.get("ATTENDEE")
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert [str(a).lower() for a in attendees] == ["mailto:anouk.jansen@emmtec.example"]
    assert attendees[0].params["RSVP"] == "TRUE"
    assert attendees[0].params["PARTSTAT"] == "NEEDS-ACTION"
    assert str(vevent["ORGANIZER"]).lower() != "mailto:anouk.jansen@emmtec.example"
    assert str(vevent["UID"]) == f"event-{world.events['network']}@testserver.local"
    assert int(vevent["SEQUENCE"]) == 0
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Amsterdam"]
    assert vevent["DTSTART"].params["TZID"] == "Europe/Amsterdam"
    assert message["Content-Language"] == "nl"
    assert message["To"] == "Anouk Jansen <anouk.jansen@emmtec.example>"
    text = message.get_body(("plain",)).get_content()
    assert "Netwerkbijeenkomst Smart Industry" in text
    assert "/rsvp/" in text


async def test_a_moved_event_sends_a_request_with_a_higher_sequence_and_cancel_sends_cancel(
    client, world, mail_env
):
    await register(client, world, "a1")
    await mail_env.flush()
    event_id = world.events["network"]
    organiser = world.actors["organiser"].headers
    r = await client.patch(f"/api/events/{event_id}", json={"venue": "Hal 3, Emmtec"}, headers=organiser)
    assert r.status_code == 200, r.text
    await mail_env.flush()
    r = await client.post(f"/api/events/{event_id}/cancel", headers=organiser)
    assert r.status_code == 200, r.text
    await mail_env.flush()
    messages = [m.message for m in mail_env.sink.to("anouk.jansen@emmtec.example")]
    assert len(messages) == 3
    sequences, methods = [], []
    for message in messages:
        part, calendar = calendar_of(message)
        [vevent] = calendar.walk("VEVENT")
        sequences.append(int(vevent["SEQUENCE"]))
        methods.append(str(calendar["METHOD"]))
        assert part.get_param("method") == methods[-1]
        assert str(vevent["UID"]) == f"event-{event_id}@testserver.local"
    assert methods == ["REQUEST", "REQUEST", "CANCEL"]
    assert sequences == sorted(set(sequences))
    assert "gewijzigd" in messages[1]["Subject"].lower()
    assert "geannuleerd" in messages[2]["Subject"].lower()


async def test_redelivered_message_sends_one_email(client, world, mail_env):
    from dtz_events.mail.services import deliver
    from dtz_events.mail.tables import OutboxMessage

    await register(client, world, "b1")
    await mail_env.flush()
    ids = [r["id"] for r in await OutboxMessage.select(OutboxMessage.id)]
    await deliver(ids)
    await deliver(ids)
    assert len(mail_env.sink.to("c.bakker@drenthecollege.example")) == 1


async def test_permanent_refusal_fails_that_row_and_delivers_the_rest(client, world, mail_env):
    from dtz_events.mail.tables import OutboxMessage

    mail_env.sink.handler.refuse["bram.devries@emmtec.example"] = "550 5.1.1 No such mailbox"
    r = await client.post(
        f"/api/events/{world.events['network']}/registrations/bulk",
        json={"person_ids": [world.people["a1"], world.people["a2"], world.people["b1"]]},
        headers=world.actors["organiser"].headers,
    )
    assert r.status_code == 201, r.text
    await mail_env.flush()
    assert len(mail_env.sink.received) == 2
    failed = await OutboxMessage.select().where(OutboxMessage.status == "failed")
    assert [f["recipient_email"] for f in failed] == ["bram.devries@emmtec.example"]
    assert "550" in failed[0]["last_error"]
