"""Every kind of email, as received by a real SMTP server: subject and body in the recipient's language, the
calendar part (or its absence) with the right METHOD and SEQUENCE, and exactly one email per cause."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import icalendar
import pytest

from dtz_events import scheduler
from dtz_events.core.templating import format_when

pytestmark = pytest.mark.sqlite

HOUR = timedelta(hours=1)
TITLE = "Netwerkbijeenkomst Waterstof"
VENUE = "Emmtec Industry & Business Park"
EMAILS = {
    "a1": "anouk.jansen@emmtec.example",
    "a2": "bram.devries@emmtec.example",
    "b1": "c.bakker@drenthecollege.example",
    "c1": "d.smit@coevorden.example",
}
NAMES = {"a1": "Anouk Jansen", "a2": "Bram de Vries", "b1": "Cor Bakker", "c1": "Dirk Smit"}


# ---------------------------------------------------------------- helpers


def organiser(world) -> dict[str, str]:
    return world.actors["organiser"].headers


async def english(client, world, person: str) -> None:
    r = await client.patch(
        f"/api/people/{world.people[person]}", json={"language": "en"}, headers=organiser(world)
    )
    assert r.status_code == 200, r.text


async def new_event(
    client, world, *, capacity: int = 10, publish: bool = True, days: int = 10
) -> tuple[int, datetime]:
    starts_at = (datetime.now(UTC) + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    r = await client.post(
        "/api/events",
        json={
            "kind": "network_meeting",
            "title": TITLE,
            "description": "Over waterstof in de regio.",
            "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + 3 * HOUR).isoformat(),
            "capacity": capacity,
            "venue": VENUE,
            "municipality": "Emmen",
        },
        headers=organiser(world),
    )
    assert r.status_code == 201, r.text
    event_id = r.json()["id"]
    if publish:
        r = await client.post(f"/api/events/{event_id}/publish", headers=organiser(world))
        assert r.status_code == 200, r.text
    return event_id, starts_at


async def register(client, world, event_id: int, person: str, headers=None) -> dict:
    r = await client.post(
        f"/api/events/{event_id}/registrations",
        json={"person_id": world.people[person]},
        headers=headers or organiser(world),
    )
    assert r.status_code == 201, r.text
    return r.json()


async def cancel(client, world, registration: dict) -> None:
    r = await client.post(f"/api/registrations/{registration['id']}/cancel", headers=organiser(world))
    assert r.status_code == 200, r.text


def inbox(mail_env, person: str) -> list[EmailMessage]:
    return [r.message for r in mail_env.sink.to(EMAILS[person])]


def subjects(mail_env, person: str) -> list[str]:
    return [str(m["Subject"]) for m in inbox(mail_env, person)]


def text_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()


def calendar_of(message: EmailMessage) -> tuple[str, icalendar.Calendar] | None:
    """The calendar part's method= parameter and its calendar; None when the email has none."""
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    if not parts:
        return None
    [part] = parts
    attachments = [a for a in message.iter_attachments()]
    assert [a.get_filename() for a in attachments] == ["invite.ics"]
    assert attachments[0].get_content() == part.get_content().encode()
    return part.get_param("method"), icalendar.Calendar.from_ical(part.get_content())


def vevent_of(message: EmailMessage, method: str) -> icalendar.Event:
    found = calendar_of(message)
    assert found is not None, f"no calendar part in {message['Subject']!r}"
    param, calendar = found
    assert param == method
    assert str(calendar["METHOD"]) == method
    [vevent] = calendar.walk("VEVENT")
    return vevent


def assert_no_calendar(message: EmailMessage) -> None:
    assert calendar_of(message) is None
    assert list(message.iter_attachments()) == []


def sequence(message: EmailMessage) -> int:
    found = calendar_of(message)
    assert found is not None
    [vevent] = found[1].walk("VEVENT")
    return int(vevent["SEQUENCE"])


def assert_language(message: EmailMessage, lang: str) -> None:
    assert message["Content-Language"] == lang
    assert f'<html lang="{lang}"' in html_of(message)


def assert_details(message: EmailMessage, start: datetime, lang: str, venue: str = VENUE) -> None:
    """Date, time and place are repeated in both bodies, in the recipient's language."""
    when = format_when(start, start + 3 * HOUR, lang)
    for body in (text_of(message), html_of(message)):
        assert when in body
    assert venue in text_of(message)


def rsvp_links(message: EmailMessage) -> list[str]:
    return re.findall(r"http://testserver\.local/rsvp/\S+\?answer=(\w+)", text_of(message))


def attendee_of(vevent: icalendar.Event):
    attendees = vevent.get("ATTENDEE")
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert len(attendees) == 1
    return attendees[0]


async def flush_twice(mail_env) -> None:
    """Deliver, then let a scheduler tick sweep: nothing may go out twice."""
    await mail_env.flush()
    await scheduler.tick()
    await mail_env.flush()


# ---------------------------------------------------------------- registration confirmed


async def test_registration_confirmed_in_each_persons_language(client, world, mail_env):
    await english(client, world, "b1")
    event_id, start = await new_event(client, world)
    await register(client, world, event_id, "a1")
    await register(client, world, event_id, "b1")
    await flush_twice(mail_env)

    [dutch] = inbox(mail_env, "a1")
    assert dutch["Subject"] == f"Aanmelding bevestigd: {TITLE}"
    assert_language(dutch, "nl")
    assert_details(dutch, start, "nl")
    assert "Hallo Anouk Jansen," in text_of(dutch)
    assert "is bevestigd" in text_of(dutch)
    assert rsvp_links(dutch) == ["accepted", "tentative", "declined"]

    [english_mail] = inbox(mail_env, "b1")
    assert english_mail["Subject"] == f"Registration confirmed: {TITLE}"
    assert_language(english_mail, "en")
    assert_details(english_mail, start, "en")
    assert "Hello Cor Bakker," in text_of(english_mail)
    assert "is confirmed" in text_of(english_mail)
    assert "Aanmelding" not in text_of(english_mail)
    assert rsvp_links(english_mail) == ["accepted", "tentative", "declined"]

    for person, message in (("a1", dutch), ("b1", english_mail)):
        vevent = vevent_of(message, "REQUEST")
        assert str(vevent["UID"]) == f"event-{event_id}@testserver.local"
        assert int(vevent["SEQUENCE"]) == 0
        assert str(vevent["STATUS"]) == "CONFIRMED"
        assert vevent.decoded("DTSTART") == start
        attendee = attendee_of(vevent)
        assert str(attendee).lower() == f"mailto:{EMAILS[person]}"
        assert attendee.params["RSVP"] == "TRUE"
        assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
        assert attendee.params["ROLE"] == "REQ-PARTICIPANT"


# ---------------------------------------------------------------- waiting list and promotion


async def test_wait_listed_people_get_a_plain_email_without_calendar(client, world, mail_env):
    await english(client, world, "b1")
    event_id, start = await new_event(client, world, capacity=1)
    await register(client, world, event_id, "a1")
    assert (await register(client, world, event_id, "a2"))["status"] == "waitlisted"
    assert (await register(client, world, event_id, "b1"))["status"] == "waitlisted"
    await flush_twice(mail_env)

    [dutch] = inbox(mail_env, "a2")
    assert dutch["Subject"] == f"Wachtlijst: {TITLE}"
    assert_language(dutch, "nl")
    assert_details(dutch, start, "nl")
    assert_no_calendar(dutch)
    [english_mail] = inbox(mail_env, "b1")
    assert english_mail["Subject"] == f"Waiting list: {TITLE}"
    assert_language(english_mail, "en")
    assert_details(english_mail, start, "en")
    assert "waiting list" in text_of(english_mail)
    assert_no_calendar(english_mail)


async def test_promotion_after_a_cancellation_is_a_request_above_every_earlier_cancel(
    client, world, mail_env
):
    await english(client, world, "b1")
    event_id, start = await new_event(client, world, capacity=1)
    first = await register(client, world, event_id, "b1")
    await mail_env.flush()
    await cancel(client, world, first)  # b1 had a seat, gave it up: a CANCEL is in their calendar
    await mail_env.flush()
    seat = await register(client, world, event_id, "a1")
    await mail_env.flush()
    again = await register(client, world, event_id, "b1")
    assert again["status"] == "waitlisted"
    await mail_env.flush()
    await cancel(client, world, seat)  # a1's seat goes to b1
    await flush_twice(mail_env)

    assert subjects(mail_env, "b1") == [
        f"Registration confirmed: {TITLE}",
        f"Registration cancelled: {TITLE}",
        f"Waiting list: {TITLE}",
        f"A seat has become available: {TITLE}",
    ]
    confirmed, cancelled, waitlisted, promoted = inbox(mail_env, "b1")
    vevent_of(confirmed, "REQUEST")
    vevent_of(cancelled, "CANCEL")
    assert_no_calendar(waitlisted)
    vevent = vevent_of(promoted, "REQUEST")
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert str(vevent["UID"]) == f"event-{event_id}@testserver.local"
    # A calendar that applied the CANCEL only takes the new REQUEST if its SEQUENCE is higher.
    assert sequence(promoted) > sequence(cancelled) > sequence(confirmed)
    assert_language(promoted, "en")
    assert_details(promoted, start, "en")
    assert rsvp_links(promoted) == ["accepted", "tentative", "declined"]

    assert subjects(mail_env, "a1") == [f"Aanmelding bevestigd: {TITLE}", f"Aanmelding geannuleerd: {TITLE}"]
    r = await client.get(f"/api/registrations/{again['id']}", headers=organiser(world))
    assert r.json()["status"] == "confirmed"


async def test_promotion_in_dutch(client, world, mail_env):
    event_id, start = await new_event(client, world, capacity=1)
    seat = await register(client, world, event_id, "a1")
    await register(client, world, event_id, "c1")
    await mail_env.flush()
    await cancel(client, world, seat)
    await flush_twice(mail_env)
    _waitlisted, promoted = inbox(mail_env, "c1")
    assert promoted["Subject"] == f"Er is een plek vrijgekomen: {TITLE}"
    assert_language(promoted, "nl")
    assert_details(promoted, start, "nl")
    assert sequence(promoted) > 0
    vevent_of(promoted, "REQUEST")


# ---------------------------------------------------------------- registration cancelled


async def test_registration_cancelled_sends_cancel_only_to_who_had_a_calendar_entry(client, world, mail_env):
    await english(client, world, "b1")
    event_id, start = await new_event(client, world, capacity=1)
    seat = await register(client, world, event_id, "a1")
    waiting = await register(client, world, event_id, "b1")
    await mail_env.flush()
    await cancel(client, world, waiting)  # first, so that nobody is promoted into a1's seat
    await cancel(client, world, seat)
    await flush_twice(mail_env)

    confirmed, cancelled = inbox(mail_env, "a1")
    assert cancelled["Subject"] == f"Aanmelding geannuleerd: {TITLE}"
    assert_language(cancelled, "nl")
    assert_details(cancelled, start, "nl")
    assert rsvp_links(cancelled) == []
    vevent = vevent_of(cancelled, "CANCEL")
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert str(vevent["UID"]) == f"event-{event_id}@testserver.local"
    assert str(attendee_of(vevent)).lower() == f"mailto:{EMAILS['a1']}"
    assert sequence(cancelled) > sequence(confirmed)

    waitlisted, cancelled_waiting = inbox(mail_env, "b1")
    assert waitlisted["Subject"] == f"Waiting list: {TITLE}"
    assert cancelled_waiting["Subject"] == f"Registration cancelled: {TITLE}"
    assert_language(cancelled_waiting, "en")
    assert_details(cancelled_waiting, start, "en")
    assert_no_calendar(cancelled_waiting)
    assert rsvp_links(cancelled_waiting) == []


async def test_registering_again_after_cancelling_sends_a_new_confirmation(client, world, mail_env):
    event_id, _ = await new_event(client, world)
    for _round in range(2):
        registration = await register(client, world, event_id, "a1")
        await mail_env.flush()
        await cancel(client, world, registration)
        await mail_env.flush()
    await register(client, world, event_id, "a1")
    await flush_twice(mail_env)

    confirmed = f"Aanmelding bevestigd: {TITLE}"
    cancelled = f"Aanmelding geannuleerd: {TITLE}"
    assert subjects(mail_env, "a1") == [confirmed, cancelled, confirmed, cancelled, confirmed]
    messages = inbox(mail_env, "a1")
    methods = ["REQUEST", "CANCEL", "REQUEST", "CANCEL", "REQUEST"]
    for message, method in zip(messages, methods, strict=True):
        vevent_of(message, method)
    sequences = [sequence(m) for m in messages]
    assert sequences == sorted(set(sequences)), sequences


# ---------------------------------------------------------------- board session invitations


async def test_board_members_get_an_invitation_with_a_role(client, world, mail_env):
    await english(client, world, "b1")
    board = world.events["board"]
    secretary = world.actors["board_secretary"].headers
    for person in ("c1", "b1"):
        assert (await register(client, world, board, person, headers=secretary))["status"] == "invited"
    await flush_twice(mail_env)
    r = await client.get(f"/api/events/{board}", headers=organiser(world))
    start = datetime.fromisoformat(r.json()["starts_at"])

    [dutch] = inbox(mail_env, "c1")
    assert dutch["Subject"] == "Uitnodiging: Bestuurlijk Overleg DTZ"
    assert_language(dutch, "nl")
    assert "Bestuurlijk Overleg" in text_of(dutch)
    assert format_when(start, start + 2 * HOUR, "nl") in text_of(dutch)
    [english_mail] = inbox(mail_env, "b1")
    assert english_mail["Subject"] == "Invitation: Bestuurlijk Overleg DTZ"
    assert_language(english_mail, "en")
    assert "Board session" in text_of(english_mail)
    assert format_when(start, start + 2 * HOUR, "en") in text_of(english_mail)
    for person, message in (("c1", dutch), ("b1", english_mail)):
        assert rsvp_links(message) == ["accepted", "tentative", "declined"]
        vevent = vevent_of(message, "REQUEST")
        attendee = attendee_of(vevent)
        assert str(attendee).lower() == f"mailto:{EMAILS[person]}"
        assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
        assert attendee.params["RSVP"] == "TRUE"
        assert attendee.params["CN"] == NAMES[person]
        assert str(vevent["UID"]) == f"event-{board}@testserver.local"


# ---------------------------------------------------------------- event changed and cancelled


async def test_a_changed_event_sends_a_request_with_the_next_sequence(client, world, mail_env):
    await english(client, world, "b1")
    event_id, start = await new_event(client, world, capacity=2)
    await register(client, world, event_id, "a1")
    await register(client, world, event_id, "b1")
    await register(client, world, event_id, "c1")  # wait-listed, promoted below
    await register(client, world, event_id, "a2")  # wait-listed, and stays so
    await mail_env.flush()

    r = await client.patch(f"/api/events/{event_id}", json={"capacity": 3}, headers=organiser(world))
    assert r.status_code == 200, r.text  # not a material change: c1 is promoted, nobody else hears of it
    await mail_env.flush()
    assert len(inbox(mail_env, "a1")) == 1
    assert len(inbox(mail_env, "b1")) == 1

    moved = start + timedelta(days=1, hours=1)
    r = await client.patch(
        f"/api/events/{event_id}",
        json={
            "starts_at": moved.isoformat(),
            "ends_at": (moved + 3 * HOUR).isoformat(),
            "venue": "Hal 3, Emmtec",
        },
        headers=organiser(world),
    )
    assert r.status_code == 200, r.text
    assert r.json()["sequence"] == 1
    await flush_twice(mail_env)

    confirmed, changed = inbox(mail_env, "a1")
    assert changed["Subject"] == f"Gewijzigd: {TITLE}"
    assert_language(changed, "nl")
    assert_details(changed, moved, "nl", venue="Hal 3, Emmtec")
    assert rsvp_links(changed) == ["accepted", "tentative", "declined"]
    english_confirmed, english_changed = inbox(mail_env, "b1")
    assert english_changed["Subject"] == f"Changed: {TITLE}"
    assert_language(english_changed, "en")
    assert_details(english_changed, moved, "en", venue="Hal 3, Emmtec")
    for before, after in ((confirmed, changed), (english_confirmed, english_changed)):
        vevent = vevent_of(after, "REQUEST")
        assert sequence(after) == sequence(before) + 1
        assert vevent.decoded("DTSTART") == moved
        assert "Hal 3, Emmtec" in str(vevent["LOCATION"])
        assert str(vevent["UID"]) == f"event-{event_id}@testserver.local"
    # a2, still on the waiting list, hears of the new time too: no calendar entry to update, no RSVP.
    _waiting, waiting_changed = inbox(mail_env, "a2")
    assert waiting_changed["Subject"] == f"Gewijzigd: {TITLE}"
    assert_details(waiting_changed, moved, "nl", venue="Hal 3, Emmtec")
    assert_no_calendar(waiting_changed)
    assert rsvp_links(waiting_changed) == []
    assert "Je staat nog op de wachtlijst" in text_of(waiting_changed)
    assert "Je staat nog op de wachtlijst" in html_of(waiting_changed)
    assert "Je staat nog op de wachtlijst" not in text_of(changed)
    # c1 was promoted before the change (with the old time); they hear of the change like everyone else.
    assert subjects(mail_env, "c1") == [
        f"Wachtlijst: {TITLE}",
        f"Er is een plek vrijgekomen: {TITLE}",
        f"Gewijzigd: {TITLE}",
    ]
    promoted, c1_changed = inbox(mail_env, "c1")[1:]
    assert sequence(c1_changed) == sequence(promoted) + 1

    r = await client.patch(
        f"/api/events/{event_id}", json={"title": "Waterstofdag"}, headers=organiser(world)
    )
    assert r.status_code == 200, r.text
    await flush_twice(mail_env)
    second = inbox(mail_env, "a1")[-1]
    assert second["Subject"] == "Gewijzigd: Waterstofdag"
    assert sequence(second) == sequence(changed) + 1


async def test_a_cancelled_event_sends_cancel_to_calendar_holders_and_a_plain_email_to_the_waiting_list(
    client, world, mail_env
):
    await english(client, world, "b1")
    event_id, start = await new_event(client, world, capacity=1)
    await register(client, world, event_id, "a1")
    await register(client, world, event_id, "b1")  # wait-listed
    gone = await register(client, world, event_id, "a2")  # wait-listed, then cancelled
    await mail_env.flush()
    await cancel(client, world, gone)
    board = world.events["board"]
    await register(client, world, board, "c1", headers=world.actors["board_secretary"].headers)
    await mail_env.flush()

    for cancelled_id in (event_id, board):
        r = await client.post(f"/api/events/{cancelled_id}/cancel", headers=organiser(world))
        assert r.status_code == 200, r.text
    await flush_twice(mail_env)

    confirmed, cancelled = inbox(mail_env, "a1")
    assert cancelled["Subject"] == f"Geannuleerd: {TITLE}"
    assert_language(cancelled, "nl")
    assert_details(cancelled, start, "nl")
    assert rsvp_links(cancelled) == []
    vevent = vevent_of(cancelled, "CANCEL")
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert sequence(cancelled) > sequence(confirmed)

    _waitlisted, english_cancelled = inbox(mail_env, "b1")
    assert english_cancelled["Subject"] == f"Cancelled: {TITLE}"
    assert_language(english_cancelled, "en")
    assert_details(english_cancelled, start, "en")
    assert_no_calendar(english_cancelled)

    assert subjects(mail_env, "a2") == [f"Wachtlijst: {TITLE}", f"Aanmelding geannuleerd: {TITLE}"]

    invitation, board_cancelled = inbox(mail_env, "c1")
    assert board_cancelled["Subject"] == "Geannuleerd: Bestuurlijk Overleg DTZ"
    vevent = vevent_of(board_cancelled, "CANCEL")
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert str(vevent["UID"]) == f"event-{board}@testserver.local"
    assert sequence(board_cancelled) > sequence(invitation)


# ---------------------------------------------------------------- drafts


async def test_a_draft_sends_nothing_until_publish_and_then_each_person_their_status_once(
    client, world, mail_env
):
    await english(client, world, "b1")
    event_id, _ = await new_event(client, world, capacity=2, publish=False)
    await register(client, world, event_id, "a1")
    leaving = await register(client, world, event_id, "c1")
    assert (await register(client, world, event_id, "b1"))["status"] == "waitlisted"
    await cancel(client, world, leaving)  # b1 moves up while the event is still a draft
    assert (await register(client, world, event_id, "a2"))["status"] == "waitlisted"
    moved = (datetime.now(UTC) + timedelta(days=12)).replace(minute=0, second=0, microsecond=0)
    r = await client.patch(
        f"/api/events/{event_id}",
        json={"starts_at": moved.isoformat(), "ends_at": (moved + 3 * HOUR).isoformat()},
        headers=organiser(world),
    )
    assert r.status_code == 200, r.text
    assert r.json()["sequence"] == 0  # nobody has the event in a calendar yet
    await flush_twice(mail_env)
    assert mail_env.sink.received == []

    r = await client.post(f"/api/events/{event_id}/publish", headers=organiser(world))
    assert r.status_code == 200, r.text
    await flush_twice(mail_env)
    assert (await client.post(f"/api/events/{event_id}/publish", headers=organiser(world))).status_code == 409
    await flush_twice(mail_env)

    [a1] = inbox(mail_env, "a1")
    assert a1["Subject"] == f"Aanmelding bevestigd: {TITLE}"
    assert_details(a1, moved, "nl")
    assert vevent_of(a1, "REQUEST").decoded("DTSTART") == moved
    [b1] = inbox(mail_env, "b1")
    assert b1["Subject"] == f"Registration confirmed: {TITLE}"
    assert_language(b1, "en")
    vevent_of(b1, "REQUEST")
    [a2] = inbox(mail_env, "a2")
    assert a2["Subject"] == f"Wachtlijst: {TITLE}"
    assert_no_calendar(a2)
    assert inbox(mail_env, "c1") == []  # cancelled before anyone was told anything
    assert len(mail_env.sink.received) == 3


async def test_a_draft_board_session_invites_on_publish(client, world, mail_env):
    secretary = world.actors["board_secretary"].headers
    starts_at = (datetime.now(UTC) + timedelta(days=15)).replace(minute=0, second=0, microsecond=0)
    r = await client.post(
        "/api/events",
        json={
            "kind": "board_session",
            "title": "Bestuurlijk Overleg voorjaar",
            "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + 2 * HOUR).isoformat(),
            "municipality": "Hoogeveen",
        },
        headers=secretary,
    )
    assert r.status_code == 201, r.text
    board = r.json()["id"]
    await register(client, world, board, "c1", headers=secretary)
    await flush_twice(mail_env)
    assert mail_env.sink.received == []
    r = await client.post(f"/api/events/{board}/publish", headers=secretary)
    assert r.status_code == 200, r.text
    await flush_twice(mail_env)
    [invitation] = inbox(mail_env, "c1")
    assert invitation["Subject"] == "Uitnodiging: Bestuurlijk Overleg voorjaar"
    assert attendee_of(vevent_of(invitation, "REQUEST")).params["ROLE"] == "REQ-PARTICIPANT"


# ---------------------------------------------------------------- the local outbox page


async def test_dev_mail_lists_and_renders_a_held_email_with_its_calendar(client, world, settings):
    from dtz_events.core import dispatch
    from dtz_events.mail.services import configure, deliver
    from dtz_events.mail.tables import OutboxMessage

    assert not settings.smtp_url  # so the app mounts /dev/mail
    assert settings.embedded_broker
    previous = dispatch._current
    dispatch.set_dispatcher(None)  # nothing delivers behind the test's back
    configure(settings)
    try:
        event_id, start = await new_event(client, world, capacity=1)
        await register(client, world, event_id, "a1")
        await register(client, world, event_id, "b1")  # wait-listed: no calendar
        rows = await OutboxMessage.select(OutboxMessage.id, OutboxMessage.status).order_by(OutboxMessage.id)
        assert [r["status"] for r in rows] == ["queued", "queued"]
        ids = [r["id"] for r in rows]
        await deliver(ids)
        await deliver(ids)  # a second delivery changes nothing
    finally:
        dispatch.set_dispatcher(previous)
    held = await OutboxMessage.select().order_by(OutboxMessage.id)
    assert [r["status"] for r in held] == ["held", "held"]
    confirmed_id, waiting_id = ids

    page = await client.get("/dev/mail")
    assert page.status_code == 200, page.text
    assert EMAILS["a1"] in page.text
    assert EMAILS["b1"] in page.text
    assert f"Aanmelding bevestigd: {TITLE}" in page.text
    assert f"Wachtlijst: {TITLE}" in page.text
    assert f'href="/dev/mail/{confirmed_id}"' in page.text

    detail = await client.get(f"/dev/mail/{confirmed_id}")
    assert detail.status_code == 200, detail.text
    assert f"Aanmelding bevestigd: {TITLE}" in detail.text
    assert "held" in detail.text
    assert f'href="/dev/mail/{confirmed_id}/invite.ics"' in detail.text
    assert "invite.ics (REQUEST)" in detail.text
    assert "BEGIN:VCALENDAR" in detail.text
    assert "METHOD:REQUEST" in detail.text
    assert format_when(start, start + 3 * HOUR, "nl") in detail.text  # the plain-text body

    ics = await client.get(f"/dev/mail/{confirmed_id}/invite.ics")
    assert ics.status_code == 200
    assert ics.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(ics.content)
    assert str(calendar["METHOD"]) == "REQUEST"
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["UID"]) == f"event-{event_id}@testserver.local"

    waiting = await client.get(f"/dev/mail/{waiting_id}")
    assert waiting.status_code == 200
    assert "invite.ics" not in waiting.text
    assert (await client.get(f"/dev/mail/{waiting_id}/invite.ics")).status_code == 404
    assert (await client.get("/dev/mail/999999")).status_code == 404
