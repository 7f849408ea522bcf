"""The scheduler's reminders, driven by a controlled clock: `tick(now)` with chosen instants instead of
waiting. Events are created relative to the real clock (the outbox claims rows whose next attempt is due
by the real clock), and the ticks pass instants around their start."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest

from dtz_events import scheduler
from dtz_events.core.templating import format_when
from dtz_events.mail.tables import OutboxMessage
from tests.support.pages import send_csrf_token

pytestmark = pytest.mark.sqlite

HOUR = timedelta(hours=1)
TITLE = "Netwerkbijeenkomst Waterstof"


def _whole_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


async def published_event(client, world, starts_in: timedelta, **extra) -> tuple[int, datetime]:
    """A published network meeting starting `starts_in` from now; its id and start (UTC)."""
    starts_at = _whole_minute(datetime.now(UTC) + starts_in)
    body = {
        "kind": "network_meeting",
        "title": TITLE,
        "starts_at": starts_at.isoformat(),
        "ends_at": (starts_at + 3 * HOUR).isoformat(),
        "capacity": 50,
        "venue": "Emmtec Industry & Business Park",
        "municipality": "Emmen",
        **extra,
    }
    organiser = world.actors["organiser"].headers
    r = await client.post("/api/events", json=body, headers=organiser)
    assert r.status_code == 201, r.text
    event_id = r.json()["id"]
    r = await client.post(f"/api/events/{event_id}/publish", headers=organiser)
    assert r.status_code == 200, r.text
    return event_id, starts_at


async def register(client, world, event_id: int, person: str) -> dict:
    r = await client.post(
        f"/api/events/{event_id}/registrations",
        json={"person_id": world.people[person]},
        headers=world.actors["organiser"].headers,
    )
    assert r.status_code == 201, r.text
    return r.json()


EMAILS = {
    "a1": "anouk.jansen@emmtec.example",
    "a2": "bram.devries@emmtec.example",
    "b1": "c.bakker@drenthecollege.example",
    "c1": "d.smit@coevorden.example",
}


def reminders(mail_env, person: str) -> list:
    """The reminders a person received (in either language)."""
    return [
        r.message
        for r in mail_env.sink.to(EMAILS[person])
        if str(r.message["Subject"]).startswith(("Herinnering:", "Reminder:"))
    ]


def without_surveys(received: list) -> list:
    """Leaves out the post-event survey emails, which ticks after an event's end also send."""
    return [m for m in received if "/survey/" not in m.message.get_body(("plain",)).get_content()]


async def tick_at(*moments: datetime) -> None:
    for moment in moments:
        done = await scheduler.tick(moment)
        assert all(n >= 0 for n in done.values()), done


async def ticks_then_flush(mail_env, *moments: datetime) -> None:
    await tick_at(*moments)
    await mail_env.flush()


# ---------------------------------------------------------------- once, and only in its window


async def test_a_reminder_goes_out_once_at_its_time_however_often_the_scheduler_ticks(
    client, world, mail_env
):
    event_id, start = await published_event(client, world, timedelta(days=3))
    await register(client, world, event_id, "a1")
    await mail_env.flush()
    assert [str(m.message["Subject"]) for m in mail_env.sink.to(EMAILS["a1"])] == [
        f"Aanmelding bevestigd: {TITLE}"
    ]
    due = start - 48 * HOUR

    # Before the reminder time: nothing, however often the scheduler looks.
    await ticks_then_flush(
        mail_env, datetime.now(UTC), due - 24 * HOUR, due - HOUR, due - timedelta(seconds=1)
    )
    assert reminders(mail_env, "a1") == []

    # At the reminder time: one.
    await ticks_then_flush(mail_env, due)
    assert len(reminders(mail_env, "a1")) == 1

    # After it, up to the start and beyond: still one.
    await ticks_then_flush(
        mail_env, due, due + timedelta(seconds=30), due + HOUR, start - HOUR, start - timedelta(seconds=1)
    )
    await ticks_then_flush(mail_env, start, start + HOUR, start + 24 * HOUR)
    [reminder] = reminders(mail_env, "a1")
    # The confirmation and the reminder; the post-event survey (sent 2 h after the end) is not ours to count.
    assert len(without_surveys(mail_env.sink.to(EMAILS["a1"]))) == 2

    assert reminder["Subject"] == f"Herinnering: {TITLE}"
    assert reminder["Content-Language"] == "nl"
    assert not [p for p in reminder.walk() if p.get_content_type() == "text/calendar"]
    text = reminder.get_body(("plain",)).get_content()
    assert format_when(start, start + 3 * HOUR, "nl") in text
    assert "Emmtec Industry & Business Park" in text
    assert "/rsvp/" in text


async def test_no_reminder_once_the_event_has_started(client, world, mail_env):
    event_id, start = await published_event(client, world, timedelta(days=3))
    await register(client, world, event_id, "a1")
    await mail_env.flush()
    # The scheduler was down until the event began: a reminder after the start helps no one.
    await ticks_then_flush(mail_env, start, start + timedelta(seconds=1), start + HOUR, start + 48 * HOUR)
    assert reminders(mail_env, "a1") == []


async def test_late_registration_inside_the_window_gets_its_reminder_at_the_next_tick(
    client, world, mail_env
):
    event_id, _ = await published_event(client, world, timedelta(hours=20))  # inside the 48 h window
    await register(client, world, event_id, "a1")
    await mail_env.flush()
    await ticks_then_flush(mail_env, datetime.now(UTC), datetime.now(UTC) + HOUR)
    assert len(reminders(mail_env, "a1")) == 1


# ---------------------------------------------------------------- when


async def test_default_is_48_hours_and_each_event_can_set_its_own(client, world, mail_env):
    default_id, default_start = await published_event(client, world, timedelta(days=4))
    own_id, own_start = await published_event(client, world, timedelta(days=4, hours=6))
    r = await client.get(f"/api/events/{default_id}", headers=world.actors["organiser"].headers)
    assert r.json()["reminder_hours"] == 48
    r = await client.patch(
        f"/api/events/{own_id}", json={"reminder_hours": 2}, headers=world.actors["organiser"].headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["reminder_hours"] == 2
    assert r.json()["sequence"] == 0  # not a material change: no calendar update
    await register(client, world, default_id, "a1")
    await register(client, world, own_id, "b1")
    await mail_env.flush()

    await ticks_then_flush(mail_env, default_start - 48 * HOUR - timedelta(seconds=1))
    assert reminders(mail_env, "a1") == []
    await ticks_then_flush(mail_env, default_start - 48 * HOUR)
    assert len(reminders(mail_env, "a1")) == 1
    assert reminders(mail_env, "b1") == []  # its own event wants 2 hours, not 48

    await ticks_then_flush(
        mail_env, own_start - 48 * HOUR, own_start - 3 * HOUR, own_start - 2 * HOUR - timedelta(seconds=1)
    )
    assert reminders(mail_env, "b1") == []
    await ticks_then_flush(mail_env, own_start - 2 * HOUR, own_start - HOUR)
    assert len(reminders(mail_env, "b1")) == 1
    assert len(reminders(mail_env, "a1")) == 1
    # Only the confirmations and the reminders: changing reminder_hours told nobody anything.
    assert len(without_surveys(mail_env.sink.received)) == 4


async def test_reminder_hours_zero_means_no_reminder(client, world, mail_env):
    event_id, start = await published_event(client, world, timedelta(days=3), reminder_hours=0)
    await register(client, world, event_id, "a1")
    await mail_env.flush()
    await ticks_then_flush(mail_env, start - 48 * HOUR, start - HOUR, start - timedelta(minutes=1))
    assert reminders(mail_env, "a1") == []


# ---------------------------------------------------------------- moved and cancelled events


async def move(client, world, event_id: int, starts_at: datetime) -> None:
    r = await client.patch(
        f"/api/events/{event_id}",
        json={"starts_at": starts_at.isoformat(), "ends_at": (starts_at + 3 * HOUR).isoformat()},
        headers=world.actors["organiser"].headers,
    )
    assert r.status_code == 200, r.text


async def test_a_moved_event_moves_its_reminder(client, world, mail_env):
    event_id, old_start = await published_event(client, world, timedelta(days=3))
    await register(client, world, event_id, "a1")
    await mail_env.flush()
    new_start = old_start + timedelta(days=5)
    await move(client, world, event_id, new_start)
    await mail_env.flush()

    # The old reminder time, and everything up to the old start, passes without a reminder.
    await ticks_then_flush(
        mail_env,
        old_start - 48 * HOUR,
        old_start - HOUR,
        old_start,
        new_start - 48 * HOUR - timedelta(seconds=1),
    )
    assert reminders(mail_env, "a1") == []

    await ticks_then_flush(mail_env, new_start - 48 * HOUR, new_start - HOUR, new_start + HOUR)
    [reminder] = reminders(mail_env, "a1")
    text = reminder.get_body(("plain",)).get_content()
    assert format_when(new_start, new_start + 3 * HOUR, "nl") in text
    assert format_when(old_start, old_start + 3 * HOUR, "nl") not in text


async def test_a_reminder_already_sent_is_followed_by_one_for_the_new_time(client, world, mail_env):
    """One reminder per start time: who was reminded of Tuesday and hears the event moved to next week
    expects to be reminded again before next week (and not twice)."""
    event_id, old_start = await published_event(client, world, timedelta(days=3))
    await register(client, world, event_id, "a1")
    await mail_env.flush()
    await ticks_then_flush(mail_env, old_start - 48 * HOUR, old_start - 47 * HOUR)
    assert len(reminders(mail_env, "a1")) == 1

    new_start = old_start + timedelta(days=5)
    await move(client, world, event_id, new_start)
    await mail_env.flush()
    changed = [m.message for m in mail_env.sink.to(EMAILS["a1"]) if "Gewijzigd" in str(m.message["Subject"])]
    assert len(changed) == 1

    # Between the old reminder and the new one: nothing more (also not at the old start).
    await ticks_then_flush(mail_env, old_start - 46 * HOUR, old_start, new_start - 49 * HOUR)
    assert len(reminders(mail_env, "a1")) == 1

    await ticks_then_flush(
        mail_env, new_start - 48 * HOUR, new_start - 48 * HOUR, new_start - HOUR, new_start
    )
    first, second = reminders(mail_env, "a1")
    assert format_when(old_start, old_start + 3 * HOUR, "nl") in first.get_body(("plain",)).get_content()
    assert format_when(new_start, new_start + 3 * HOUR, "nl") in second.get_body(("plain",)).get_content()


async def test_a_cancelled_event_sends_no_reminder(client, world, mail_env):
    event_id, start = await published_event(client, world, timedelta(days=3))
    await register(client, world, event_id, "a1")
    await mail_env.flush()
    r = await client.post(f"/api/events/{event_id}/cancel", headers=world.actors["organiser"].headers)
    assert r.status_code == 200, r.text
    await mail_env.flush()
    await ticks_then_flush(mail_env, start - 48 * HOUR, start - HOUR, start - timedelta(seconds=1))
    assert reminders(mail_env, "a1") == []
    subjects = [str(m.message["Subject"]) for m in mail_env.sink.to(EMAILS["a1"])]
    assert subjects == [f"Aanmelding bevestigd: {TITLE}", f"Geannuleerd: {TITLE}"]


# ---------------------------------------------------------------- who gets one


async def rsvp(client, mail_env, person: str, answer: str) -> None:
    """Answer through the link in the person's confirmation email, as they would."""
    text = mail_env.sink.to(EMAILS[person])[0].message.get_body(("plain",)).get_content()
    path = re.search(r"http://testserver\.local(/rsvp/[^?\s]+)\?answer=", text).group(1)
    await send_csrf_token(client)  # what the page's form carries
    r = await client.post(path, data={"answer": answer})
    assert r.status_code == 200, r.text


async def test_only_confirmed_people_who_have_not_declined_are_reminded(client, world, mail_env):
    event_id, start = await published_event(client, world, timedelta(days=3), capacity=3)
    registrations = {p: await register(client, world, event_id, p) for p in ("a1", "a2", "b1", "c1")}
    assert [registrations[p]["status"] for p in ("a1", "a2", "b1", "c1")] == [
        "confirmed",
        "confirmed",
        "confirmed",
        "waitlisted",
    ]
    await mail_env.flush()
    await rsvp(client, mail_env, "a1", "declined")
    await rsvp(client, mail_env, "b1", "tentative")
    r = await client.post(
        f"/api/registrations/{registrations['a2']['id']}/cancel", headers=world.actors["organiser"].headers
    )
    assert r.status_code == 200, r.text
    # a2's seat goes to c1: promoted people are confirmed and are reminded like everyone else.
    r = await client.get(
        f"/api/registrations/{registrations['c1']['id']}", headers=world.actors["organiser"].headers
    )
    assert r.json()["status"] == "confirmed"
    d1 = await register(client, world, event_id, "a2")  # a2 again: now on the waiting list
    assert d1["status"] == "waitlisted"
    await mail_env.flush()

    await ticks_then_flush(mail_env, start - 48 * HOUR, start - HOUR)
    assert reminders(mail_env, "a1") == []  # declined (keeps the seat, but said they will not come)
    assert reminders(mail_env, "a2") == []  # cancelled, then wait-listed
    assert len(reminders(mail_env, "b1")) == 1  # tentative: a reminder helps
    assert len(reminders(mail_env, "c1")) == 1  # promoted from the waiting list


async def test_a_wait_listed_person_alone_gets_no_reminder(client, world, mail_env):
    event_id, start = await published_event(client, world, timedelta(days=3), capacity=1)
    assert (await register(client, world, event_id, "a1"))["status"] == "confirmed"
    assert (await register(client, world, event_id, "b1"))["status"] == "waitlisted"
    await mail_env.flush()
    await ticks_then_flush(mail_env, start - 48 * HOUR, start - HOUR)
    assert len(reminders(mail_env, "a1")) == 1
    assert reminders(mail_env, "b1") == []


# ---------------------------------------------------------------- idempotent ticks


async def test_two_ticks_at_the_same_instant_send_each_reminder_once(client, world, mail_env):
    r = await client.patch(
        f"/api/people/{world.people['b1']}",
        json={"language": "en"},
        headers=world.actors["organiser"].headers,
    )
    assert r.status_code == 200, r.text
    event_id, start = await published_event(client, world, timedelta(days=3))
    for person in ("a1", "a2", "b1"):
        await register(client, world, event_id, person)
    await mail_env.flush()
    due = start - 48 * HOUR

    first = await scheduler.tick(due)
    second = await scheduler.tick(due)
    assert first["registrations.reminders"] == 3
    assert second["registrations.reminders"] == 0
    await mail_env.flush()
    # Two schedulers at once (a second process, or a restart overlapping the old one).
    results = await asyncio.gather(scheduler.tick(due), scheduler.tick(due))
    assert [r["registrations.reminders"] for r in results] == [0, 0]
    await ticks_then_flush(mail_env, due, due)

    for person in ("a1", "a2", "b1"):
        assert len(reminders(mail_env, person)) == 1, person
    [english] = reminders(mail_env, "b1")
    assert english["Subject"] == f"Reminder: {TITLE}"
    assert english["Content-Language"] == "en"
    assert format_when(start, start + 3 * HOUR, "en") in english.get_body(("plain",)).get_content()


async def test_concurrent_ticks_on_a_fresh_due_reminder_queue_it_once(client, world, mail_env):
    event_id, start = await published_event(client, world, timedelta(days=3))
    for person in ("a1", "a2", "b1", "c1"):
        await register(client, world, event_id, person)
    await mail_env.flush()
    due = start - 48 * HOUR
    results = await asyncio.gather(scheduler.tick(due), scheduler.tick(due))
    assert all(n >= 0 for r in results for n in r.values()), results
    assert sum(r["registrations.reminders"] for r in results) == 4
    await mail_env.settle()  # a tick's sweep, a day ahead, may take back a claim being sent: it is retried
    for person in ("a1", "a2", "b1", "c1"):
        assert len(reminders(mail_env, person)) == 1, person


# ---------------------------------------------------------------- reminders that wait in the outbox


async def held_up_reminder(client, world, mail_env, person: str = "a1") -> tuple[int, datetime]:
    """A reminder queued at its time whose delivery is held up by a temporary SMTP refusal."""
    event_id, start = await published_event(client, world, timedelta(days=3))
    await register(client, world, event_id, person)
    await mail_env.flush()
    mail_env.sink.handler.refuse[EMAILS[person]] = "451 4.3.0 Mailbox temporarily unavailable"
    await tick_at(start - 48 * HOUR)
    await mail_env.flush()
    assert reminders(mail_env, person) == []
    return event_id, start


async def let_through(mail_env, person: str = "a1") -> None:
    """Accept the person's mail again and wait out the retries' back-off until the outbox is empty."""
    mail_env.sink.handler.refuse.pop(EMAILS[person])
    for _ in range(100):
        await asyncio.sleep(0.1)
        await mail_env.flush()
        if not await OutboxMessage.exists().where(OutboxMessage.status.is_in(["queued", "sending"])):
            return
    raise AssertionError("the outbox did not empty")


async def reminder_statuses() -> list[str]:
    rows = await OutboxMessage.select(OutboxMessage.status).where(OutboxMessage.kind == "reminder")
    return sorted(r["status"] for r in rows)


async def test_a_reminder_held_up_in_the_outbox_is_not_sent_after_the_event_is_cancelled(
    client, world, mail_env
):
    event_id, _ = await held_up_reminder(client, world, mail_env)
    r = await client.post(f"/api/events/{event_id}/cancel", headers=world.actors["organiser"].headers)
    assert r.status_code == 200, r.text
    await let_through(mail_env)
    assert reminders(mail_env, "a1") == []
    assert [str(m.message["Subject"]) for m in mail_env.sink.to(EMAILS["a1"])] == [
        f"Aanmelding bevestigd: {TITLE}",
        f"Geannuleerd: {TITLE}",
    ]
    [row] = await OutboxMessage.select().where(OutboxMessage.kind == "reminder")
    assert row["status"] == "withdrawn"  # kept on record, with the reason, and never sent
    assert "no longer due" in row["last_error"]
    r = await client.get("/api/outbox/counts", headers=world.actors["organiser"].headers)
    assert r.json()["withdrawn"] == 1


async def test_a_reminder_held_up_in_the_outbox_is_not_sent_after_the_person_declines(
    client, world, mail_env
):
    await held_up_reminder(client, world, mail_env)
    await rsvp(client, mail_env, "a1", "declined")
    await let_through(mail_env)
    await ticks_then_flush(mail_env, datetime.now(UTC))
    assert reminders(mail_env, "a1") == []
    assert await reminder_statuses() == ["withdrawn"]


async def test_a_reminder_held_up_in_the_outbox_gives_way_to_the_one_for_the_new_time(
    client, world, mail_env
):
    event_id, start = await held_up_reminder(client, world, mail_env)
    new_start = start + timedelta(days=5)
    await move(client, world, event_id, new_start)
    await let_through(mail_env)
    await ticks_then_flush(mail_env, new_start - 48 * HOUR, new_start - HOUR)
    [reminder] = reminders(mail_env, "a1")
    assert format_when(new_start, new_start + 3 * HOUR, "nl") in reminder.get_body(("plain",)).get_content()
    assert await reminder_statuses() == ["sent", "withdrawn"]
