"""Shared steps of the survey tests: past events, registrations, survey links, the outbox, the SMTP sink."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from dtz_events import scheduler
from dtz_events.mail.tables import OutboxMessage
from dtz_events.registrations.links import LinkPurpose, create_link
from dtz_events.registrations.tables import Registration
from dtz_events.surveys.tables import SurveyInvitation
from tests.support.fixtures import World

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
SURVEY_KINDS = ("survey_invitation", "survey_reminder", "survey_followup")

EMAILS = {
    "a1": "anouk.jansen@emmtec.example",
    "a2": "bram.devries@emmtec.example",
    "b1": "c.bakker@drenthecollege.example",
    "c1": "d.smit@coevorden.example",
}


def whole_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


async def event_ending_at(
    client: httpx.AsyncClient,
    world: World,
    ends_at: datetime,
    *,
    kind: str = "network_meeting",
    capacity: int | None = 50,
    title: str = "Netwerkbijeenkomst Waterstof",
    publish: bool = True,
) -> int:
    """A published event of three hours that ends at `ends_at` (past or future)."""
    body: dict[str, Any] = {
        "kind": kind,
        "title": title,
        "starts_at": (ends_at - 3 * HOUR).isoformat(),
        "ends_at": ends_at.isoformat(),
        "municipality": "Emmen",
        "venue": "Emmtec Industry & Business Park",
    }
    if capacity is not None:
        body["capacity"] = capacity
    organiser = world.actors["organiser"].headers
    r = await client.post("/api/events", json=body, headers=organiser)
    assert r.status_code == 201, r.text
    event_id = int(r.json()["id"])
    if publish:
        r = await client.post(f"/api/events/{event_id}/publish", headers=organiser)
        assert r.status_code == 200, r.text
    return event_id


async def past_event(
    client: httpx.AsyncClient, world: World, ended_ago: timedelta, **extra: Any
) -> tuple[int, datetime]:
    """A published event that ended `ended_ago` before the real clock (on a whole minute): id and end."""
    ends_at = whole_minute(datetime.now(UTC) - ended_ago)
    return await event_ending_at(client, world, ends_at, **extra), ends_at


async def register(
    client: httpx.AsyncClient, world: World, event_id: int, *people: str
) -> dict[str, dict[str, Any]]:
    """Register people (keys of world.people) one by one, in this order; their registrations by key."""
    found = {}
    for key in people:
        r = await client.post(
            f"/api/events/{event_id}/registrations",
            json={"person_id": world.people[key]},
            headers=world.actors["organiser"].headers,
        )
        assert r.status_code == 201, r.text
        found[key] = r.json()
    return found


async def add_people(
    client: httpx.AsyncClient, world: World, count: int, organisation: str = "c"
) -> list[str]:
    """More people (keys p1, p2, ...) in one organisation of the world; their keys."""
    keys = []
    for _ in range(count):
        key = f"p{len(world.people) + 1}"
        r = await client.post(
            "/api/people",
            json={
                "name": f"Deelnemer {key}",
                "email": f"deelnemer.{key}@example.org",
                "organisation_id": world.organisations[organisation],
                "language": "nl",
            },
            headers=world.actors["organiser"].headers,
        )
        assert r.status_code == 201, r.text
        world.people[key] = r.json()["id"]
        EMAILS.setdefault(key, f"deelnemer.{key}@example.org")
        keys.append(key)
    return keys


async def check_in(
    client: httpx.AsyncClient, world: World, event_id: int, registration_id: int
) -> dict[str, Any]:
    r = await client.post(
        f"/api/events/{event_id}/check-ins",
        json={"registration_id": registration_id},
        headers=world.actors["organiser"].headers,
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


async def survey_link(registration_id: int) -> str:
    """A survey token for this registration, as the survey emails make them."""
    row = await Registration.select(Registration.person).where(Registration.id == registration_id).first()
    assert row is not None
    return await create_link(LinkPurpose.survey, registration_id=registration_id, person_id=row["person"])


async def tick_at(*moments: datetime) -> None:
    """Scheduler ticks at these instants; no job may fail."""
    for moment in moments:
        done = await scheduler.tick(moment)
        assert all(n >= 0 for n in done.values()), done


async def survey_mail(event_id: int, kind: str | None = None) -> Counter[tuple[str, str]]:
    """Survey rows of the outbox for this event, counted by (kind, recipient)."""
    where = [
        OutboxMessage.event == event_id,
        OutboxMessage.kind.is_in([kind] if kind else list(SURVEY_KINDS)),
    ]
    rows = await OutboxMessage.select(OutboxMessage.kind, OutboxMessage.recipient_email).where(*where)
    return Counter((r["kind"], r["recipient_email"]) for r in rows)


async def recipients(event_id: int, kind: str) -> list[str]:
    """Who got this kind of survey email for this event (each once per occurrence), sorted."""
    return sorted(email for (_, email), n in (await survey_mail(event_id, kind)).items() for _ in range(n))


def emails_of(*people: str) -> list[str]:
    return sorted(EMAILS[p] for p in people)


_MESSAGE_ID = re.compile(r"<outbox-(\d+)\.")


async def delivered(sink: Any) -> Counter[tuple[str, str]]:
    """What the SMTP sink received, counted by (outbox kind, recipient), via each message's Message-ID."""
    counts: Counter[tuple[str, str]] = Counter()
    for received in sink.received:
        match = _MESSAGE_ID.match(str(received.message["Message-ID"]))
        assert match, received.message["Message-ID"]
        row = (
            await OutboxMessage.select(OutboxMessage.kind)
            .where(OutboxMessage.id == int(match.group(1)))
            .first()
        )
        assert row is not None
        for rcpt in received.rcpt_tos:
            counts[(row["kind"], rcpt)] += 1
    return counts


async def invitations(event_id: int) -> list[dict[str, Any]]:
    return list(
        await SurveyInvitation.select()
        .where(SurveyInvitation.survey.event == event_id)  # type: ignore[attr-defined]
        .order_by(SurveyInvitation.id)
    )
