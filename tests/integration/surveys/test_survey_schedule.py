"""When surveys, survey reminders and follow-up waves go out, driven by a controlled clock.

The scheduler is ticked at chosen instants (`scheduler.tick(now)`) instead of waiting. Events are placed
relative to the real clock (a survey link is open while its closing time is ahead of the real clock), and
the ticks pass instants around their end. Without a mail worker the outbox rows stay queued, so most tests
count rows by kind and recipient; the exactly-once test delivers them to an SMTP sink and counts there."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from dtz_events import scheduler
from dtz_events.mail.tables import OutboxMessage
from dtz_events.surveys import services as surveys
from dtz_events.surveys.tables import ReportedContact, SurveyInvitation
from tests.integration.surveys.helpers import (
    DAY,
    EMAILS,
    HOUR,
    SURVEY_KINDS,
    check_in,
    delivered,
    emails_of,
    event_ending_at,
    invitations,
    past_event,
    recipients,
    register,
    survey_link,
    survey_mail,
    tick_at,
    whole_minute,
)

pytestmark = pytest.mark.sqlite

SECOND = timedelta(seconds=1)
MINUTE = timedelta(minutes=1)


async def patch_survey(client, world, event_id: int, **changes) -> dict:
    r = await client.patch(
        f"/api/events/{event_id}/survey", json=changes, headers=world.actors["organiser"].headers
    )
    assert r.status_code == 200, r.text
    return r.json()


# ---------------------------------------------------------------- when the survey goes out


async def test_the_survey_goes_out_only_once_the_event_has_been_over_for_two_hours(client, world):
    event_id, ends = await past_event(client, world, DAY)
    await register(client, world, event_id, "a1", "b1")

    await tick_at(ends - 2 * HOUR, ends, ends + HOUR, ends + 2 * HOUR - SECOND)
    assert await survey_mail(event_id) == Counter()
    assert await invitations(event_id) == []

    await tick_at(ends + 2 * HOUR)
    assert await recipients(event_id, "survey_invitation") == emails_of("a1", "b1")
    [first, second] = await invitations(event_id)
    assert first["wave"] == second["wave"] == 0
    assert first["closes_at"] == ends + 14 * DAY  # close_after_days defaults to 14
    assert first["sent_at"] == ends + 2 * HOUR  # the tick's clock, not the database's


async def test_send_after_hours_is_configurable(client, world):
    event_id, ends = await past_event(client, world, DAY)
    await register(client, world, event_id, "a1")
    config = await patch_survey(client, world, event_id, send_after_hours=6)
    assert config["send_after_hours"] == 6

    await tick_at(ends + 2 * HOUR, ends + 6 * HOUR - SECOND)
    assert await survey_mail(event_id) == Counter()
    await tick_at(ends + 6 * HOUR)
    assert await recipients(event_id, "survey_invitation") == emails_of("a1")


async def test_a_cancelled_event_gets_no_survey(client, world):
    event_id, ends = await past_event(client, world, DAY)
    await register(client, world, event_id, "a1", "b1")
    organiser = world.actors["organiser"].headers
    r = await client.post(f"/api/events/{event_id}/cancel", headers=organiser)
    assert r.status_code == 200, r.text

    await tick_at(ends + 2 * HOUR, ends + 3 * DAY, datetime.now(UTC))
    assert await survey_mail(event_id) == Counter()
    assert await invitations(event_id) == []


async def test_a_moved_event_moves_its_survey(client, world):
    organiser = world.actors["organiser"].headers
    # Ended yesterday, then moved to next week: the survey waits for the new end.
    later_id, old_end = await past_event(client, world, DAY, title="Verplaatst naar later")
    await register(client, world, later_id, "a1")
    new_end = whole_minute(datetime.now(UTC) + 7 * DAY)
    r = await client.patch(
        f"/api/events/{later_id}",
        json={"starts_at": (new_end - 3 * HOUR).isoformat(), "ends_at": new_end.isoformat()},
        headers=organiser,
    )
    assert r.status_code == 200, r.text
    # Planned for next week, then moved to yesterday: its survey is due now.
    earlier_end = whole_minute(datetime.now(UTC) + 7 * DAY)
    earlier_id = await event_ending_at(client, world, earlier_end, title="Verplaatst naar eerder")
    await register(client, world, earlier_id, "b1")
    r = await client.patch(
        f"/api/events/{earlier_id}",
        json={"starts_at": (old_end - 3 * HOUR).isoformat(), "ends_at": old_end.isoformat()},
        headers=organiser,
    )
    assert r.status_code == 200, r.text

    await tick_at(old_end + 2 * HOUR, datetime.now(UTC), new_end + 2 * HOUR - SECOND)
    assert await survey_mail(later_id) == Counter()
    assert await recipients(earlier_id, "survey_invitation") == emails_of("b1")

    await tick_at(new_end + 2 * HOUR)
    assert await recipients(later_id, "survey_invitation") == emails_of("a1")
    [invitation] = await invitations(later_id)
    assert invitation["closes_at"] == new_end + 14 * DAY


async def test_with_check_in_only_those_checked_in_are_asked(client, world):
    event_id, ends = await past_event(client, world, DAY)
    registrations = await register(client, world, event_id, "a1", "a2", "b1", "c1")
    await check_in(client, world, event_id, registrations["a1"]["id"])
    await check_in(client, world, event_id, registrations["b1"]["id"])

    await tick_at(ends + 2 * HOUR, ends + 3 * HOUR)
    assert await recipients(event_id, "survey_invitation") == emails_of("a1", "b1")


async def test_without_check_in_every_confirmed_person_is_asked(client, world):
    event_id, ends = await past_event(client, world, DAY, capacity=2)
    registrations = await register(client, world, event_id, "a1", "b1", "c1", "a2")
    assert [registrations[p]["status"] for p in ("a1", "b1", "c1", "a2")] == [
        "confirmed",
        "confirmed",
        "waitlisted",
        "waitlisted",
    ]
    r = await client.post(
        f"/api/registrations/{registrations['a2']['id']}/cancel", headers=world.actors["organiser"].headers
    )
    assert r.status_code == 200, r.text

    await tick_at(ends + 2 * HOUR)
    assert await recipients(event_id, "survey_invitation") == emails_of("a1", "b1")


# ---------------------------------------------------------------- reminders and closing


async def test_reminders_go_to_non_respondents_every_three_days_at_most_twice(client, world):
    event_id, ends = await past_event(client, world, DAY)
    registrations = await register(client, world, event_id, "a1", "b1", "c1")
    sent = ends + 2 * HOUR
    await tick_at(sent)
    assert await recipients(event_id, "survey_invitation") == emails_of("a1", "b1", "c1")

    await surveys.submit(await survey_link(registrations["b1"]["id"]), {"overall": ["4"]})
    await tick_at(sent + HOUR, sent + 3 * DAY - MINUTE)
    assert await recipients(event_id, "survey_reminder") == []

    await tick_at(sent + 3 * DAY)
    assert await recipients(event_id, "survey_reminder") == emails_of("a1", "c1")
    await tick_at(sent + 3 * DAY + HOUR, sent + 4 * DAY, sent + 6 * DAY - MINUTE)
    assert await recipients(event_id, "survey_reminder") == emails_of("a1", "c1")

    await tick_at(sent + 6 * DAY)
    assert await recipients(event_id, "survey_reminder") == emails_of("a1", "a1", "c1", "c1")

    await surveys.submit(await survey_link(registrations["c1"]["id"]), {"overall": ["3"]})
    await tick_at(sent + 9 * DAY, sent + 12 * DAY, sent + 13 * DAY)
    assert await recipients(event_id, "survey_reminder") == emails_of("a1", "a1", "c1", "c1")
    counts = {r["registration"]: r["reminders_sent"] for r in await invitations(event_id)}
    assert counts == {
        registrations["a1"]["id"]: 2,
        registrations["b1"]["id"]: 0,
        registrations["c1"]["id"]: 2,
    }


async def test_reminder_timing_and_number_are_configurable(client, world):
    event_id, ends = await past_event(client, world, DAY)
    await register(client, world, event_id, "a1")
    await patch_survey(client, world, event_id, remind_after_days=1, max_reminders=1)
    sent = ends + 2 * HOUR
    await tick_at(sent, sent + DAY - MINUTE)
    assert await recipients(event_id, "survey_reminder") == []
    await tick_at(sent + DAY, sent + 2 * DAY, sent + 5 * DAY)
    assert await recipients(event_id, "survey_reminder") == emails_of("a1")


async def test_nothing_goes_out_once_the_survey_has_closed(client, world):
    # Closes four days after the end: the first reminder (day 3) goes, the second (day 6) does not.
    event_id, ends = await past_event(client, world, DAY)
    await register(client, world, event_id, "a1")
    await patch_survey(client, world, event_id, close_after_days=4)
    sent = ends + 2 * HOUR
    await tick_at(sent, sent + 3 * DAY)
    [invitation] = await invitations(event_id)
    assert invitation["closes_at"] == ends + 4 * DAY
    assert await recipients(event_id, "survey_reminder") == emails_of("a1")
    await tick_at(ends + 4 * DAY, sent + 6 * DAY, sent + 9 * DAY)
    assert await recipients(event_id, "survey_reminder") == emails_of("a1")

    # An event whose survey would already have closed when the scheduler first looks gets none at all.
    old_id, old_end = await past_event(client, world, 15 * DAY, title="Lang geleden")
    await register(client, world, old_id, "b1")
    await tick_at(datetime.now(UTC), old_end + 14 * DAY, old_end + 20 * DAY)
    assert await survey_mail(old_id) == Counter()


async def test_every_survey_email_is_sent_exactly_once_however_often_and_concurrently_the_scheduler_ticks(
    client, world, mail_env
):
    event_id, ends = await past_event(client, world, DAY)
    await register(client, world, event_id, "a1", "b1", "c1")
    sent = ends + 2 * HOUR

    async def ticks(at: datetime, n: int = 6) -> None:
        done = await asyncio.gather(*(scheduler.tick(at + k * SECOND) for k in range(n)))
        assert all(v >= 0 for d in done for v in d.values()), done
        await tick_at(at, at + MINUTE)  # and once more, one by one

    for moment in (sent, sent + 3 * DAY, sent + 6 * DAY, sent + 9 * DAY):
        await ticks(moment)
    await mail_env.settle()

    counts = await delivered(mail_env.sink)
    survey_counts = {k: n for k, n in counts.items() if k[0] in SURVEY_KINDS}
    expected = {("survey_invitation", EMAILS[p]): 1 for p in ("a1", "b1", "c1")}
    expected |= {("survey_reminder", EMAILS[p]): 2 for p in ("a1", "b1", "c1")}
    outbox = await OutboxMessage.select(
        OutboxMessage.kind, OutboxMessage.recipient_email, OutboxMessage.status, OutboxMessage.attempts
    ).where(OutboxMessage.kind.is_in(list(SURVEY_KINDS)))
    assert survey_counts == expected, outbox
    rows = await OutboxMessage.select(OutboxMessage.status).where(
        OutboxMessage.kind.is_in(list(SURVEY_KINDS))
    )
    assert [r["status"] for r in rows] == ["sent"] * 9
    assert len(await invitations(event_id)) == 3


# ---------------------------------------------------------------- follow-up waves


async def test_follow_up_waves_ask_only_reporters_only_about_what_they_reported(client, world):
    event_id, ends = await past_event(client, world, DAY)
    registrations = await register(client, world, event_id, "a1", "b1", "c1")
    org_b, org_c = world.organisations["b"], world.organisations["c"]
    await tick_at(ends + 2 * HOUR)
    a1_link = await survey_link(registrations["a1"]["id"])
    await surveys.submit(
        a1_link, {"overall": ["4"], f"contacts.{org_b}": ["contact"], f"contacts.{org_c}": ["follow_up"]}
    )
    await surveys.submit(await survey_link(registrations["b1"]["id"]), {"overall": ["5"]})  # no contacts
    # c1 does not answer.

    three, six, twelve = (surveys._add_months(ends, m) for m in (3, 6, 12))
    await tick_at(ends + 30 * DAY, three - MINUTE)
    assert await recipients(event_id, "survey_followup") == []
    await tick_at(three, three + HOUR)
    assert await recipients(event_id, "survey_followup") == emails_of("a1")

    page = await surveys.survey_page(a1_link)
    assert page["invitation"]["wave"] == 3
    assert page["open"]
    assert [q.id for q in page["questions"]] == ["contacts"]
    assert sorted(o["id"] for o in page["organisations"]) == sorted([org_b, org_c])
    assert page["contacts"] == {org_b: "contact", org_c: "follow_up"}  # pre-filled

    # Up the ladder for b; a lower answer for c keeps what was reported before.
    await surveys.submit(a1_link, {f"contacts.{org_b}": ["joint_project"], f"contacts.{org_c}": ["contact"]})
    wave3 = {
        r["other"]: r["outcome"]
        for r in await ReportedContact.select().where(
            (ReportedContact.event == event_id) & (ReportedContact.wave == 3)
        )
    }
    assert wave3 == {org_b: "joint_project", org_c: "follow_up"}
    wave0 = {
        r["other"]: r["outcome"]
        for r in await ReportedContact.select().where(
            (ReportedContact.event == event_id) & (ReportedContact.wave == 0)
        )
    }
    assert wave0 == {org_b: "contact", org_c: "follow_up"}  # the history stays

    await tick_at(three + 20 * DAY, six - MINUTE)
    assert await recipients(event_id, "survey_followup") == emails_of("a1")
    await tick_at(six)
    assert await recipients(event_id, "survey_followup") == emails_of("a1", "a1")
    page = await surveys.survey_page(a1_link)
    assert page["invitation"]["wave"] == 6
    assert page["contacts"] == {org_b: "joint_project", org_c: "follow_up"}  # the highest reached
    await surveys.submit(a1_link, {f"contacts.{org_b}": ["contact"], f"contacts.{org_c}": ["agreement"]})
    wave6 = {
        r["other"]: r["outcome"]
        for r in await ReportedContact.select().where(
            (ReportedContact.event == event_id) & (ReportedContact.wave == 6)
        )
    }
    assert wave6 == {org_b: "joint_project", org_c: "agreement"}

    await tick_at(twelve - MINUTE)
    assert await recipients(event_id, "survey_followup") == emails_of("a1", "a1")
    await tick_at(twelve, twelve + DAY, surveys._add_months(ends, 18))
    assert await recipients(event_id, "survey_followup") == emails_of("a1", "a1", "a1")
    waves = sorted(
        i["wave"] for i in await invitations(event_id) if i["registration"] == registrations["a1"]["id"]
    )
    assert waves == [0, 3, 6, 12]


async def test_follow_up_months_are_configurable(client, world):
    event_id, ends = await past_event(client, world, DAY)
    registrations = await register(client, world, event_id, "a1", "b1")
    await tick_at(ends + 2 * HOUR)
    link = await survey_link(registrations["a1"]["id"])
    await surveys.submit(link, {"overall": ["4"], f"contacts.{world.organisations['b']}": ["contact"]})
    config = await patch_survey(client, world, event_id, followup_months=[1, 2])  # allowed after sending
    assert config["followup_months"] == [1, 2]

    one, two = surveys._add_months(ends, 1), surveys._add_months(ends, 2)
    await tick_at(one - MINUTE)
    assert await recipients(event_id, "survey_followup") == []
    await tick_at(one)
    assert await recipients(event_id, "survey_followup") == emails_of("a1")
    await tick_at(
        two, surveys._add_months(ends, 3), surveys._add_months(ends, 6), surveys._add_months(ends, 12)
    )
    assert await recipients(event_id, "survey_followup") == emails_of("a1", "a1")
    assert sorted(
        r["wave"]
        for r in await SurveyInvitation.select(SurveyInvitation.wave).where(
            SurveyInvitation.registration == registrations["a1"]["id"]
        )
    ) == [0, 1, 2]
