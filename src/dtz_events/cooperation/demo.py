"""Demo history for the cooperation ledger: a year of past meetings and promotion days of the demo
organisations, with check-ins, survey answers (a follow-up wave among them) and the links they make.

Past events cannot be created through the events service (it plans what is to come), so they are written
as they would be after the fact: completed, with their check-ins and answers. Idempotent: a second run
finds its events by their calendar UIDs and adds nothing."""

from __future__ import annotations

import hashlib
from datetime import datetime, time, timedelta

from dtz_events.cooperation.refresh import refresh
from dtz_events.core.clock import LOCAL_TZ, local, utcnow
from dtz_events.core.db import write_transaction
from dtz_events.events.tables import Event, EventTheme
from dtz_events.partners.tables import Person, Programme, Theme
from dtz_events.registrations.tables import Registration
from dtz_events.surveys.schemas import Outcome
from dtz_events.surveys.tables import ReportedContact, Survey, SurveyInvitation, SurveyResponse

UID = "demo-ledger-{n}@dutchtechzone.example"
# (days ago, kind, title, municipality, programme slug, theme slug)
PAST_EVENTS = [
    (
        400,
        "network_meeting",
        "Netwerkbijeenkomst Waterstof in Emmen",
        "Emmen",
        "chemical-cluster-emmen",
        "energietransitie",
    ),
    (300, "promotion_day", "Techniekdag Hardenberg", "Hardenberg", "regiocampus", "vakmanschap-en-onderwijs"),
    (
        220,
        "network_meeting",
        "Smart Industry Café Coevorden",
        "Coevorden",
        "smart-industry-hub",
        "digitalisering",
    ),
    (
        130,
        "network_meeting",
        "Circulair Ondernemen Hoogeveen",
        "Hoogeveen",
        "ik-ben-drents-ondernemer",
        "circulaire-economie",
    ),
    (60, "promotion_day", "Techniekdag Emmen", "Emmen", "regiocampus", "vakmanschap-en-onderwijs"),
]
OUTCOMES = list(Outcome)


async def demo_cooperation() -> int:
    """Write the past events with their evidence and derive the links; returns how many events it wrote."""
    if await Event.exists().where(Event.calendar_uid == UID.format(n=0)):
        return 0
    people = await Person.select(Person.id, Person.organisation).order_by(Person.id)
    if len({p["organisation"] for p in people}) < 4:
        return 0
    programmes = {p["slug"]: p["id"] for p in await Programme.select(Programme.id, Programme.slug)}
    themes = {t["slug"]: t["id"] for t in await Theme.select(Theme.id, Theme.slug)}
    today = local(utcnow()).date()
    async with write_transaction():
        for n, (days, kind, title, municipality, programme, theme) in enumerate(PAST_EVENTS):
            starts = datetime.combine(today - timedelta(days=days), time(15), LOCAL_TZ)
            event = Event(
                kind=kind,
                title=title,
                venue=municipality,
                municipality=municipality,
                starts_at=starts,
                ends_at=starts + timedelta(hours=3),
                visibility="partners",
                status="completed",
                programme=programmes.get(programme),
                calendar_uid=UID.format(n=n),
            )
            await event.save()
            if theme in themes:
                await EventTheme(event=event.id, theme=themes[theme]).save()
            # A different, overlapping part of the region each time.
            present = [p for i, p in enumerate(people) if (i + n) % 3 != 0][: 10 + 2 * n]
            await _attend_and_answer(event.id, starts, present, n, follow_up=days >= 120)
    await refresh()
    return len(PAST_EVENTS)


async def _attend_and_answer(
    event_id: int, starts: datetime, present: list[dict[str, int]], n: int, follow_up: bool
) -> None:
    """Everyone present checks in; every other one answers and names two organisations that were there;
    every fourth answers the 3-month follow-up too, one rung further up."""
    survey = Survey(event=event_id)
    await survey.save()
    orgs = sorted({p["organisation"] for p in present})
    for i, person in enumerate(present):
        registration = Registration(
            event=event_id,
            person=person["id"],
            organisation=person["organisation"],
            status="confirmed",
            rsvp="accepted",
            queued_at=starts - timedelta(days=20),
            status_changed_at=starts - timedelta(days=20),
            checked_in_at=starts + timedelta(minutes=5 + i),
        )
        await registration.save()
        if i % 2:  # every other one answers the survey
            continue
        others = [o for o in orgs if o != person["organisation"]]
        named = [others[(i + k * 3 + n) % len(others)] for k in range(2)] if others else []
        for wave, climb in ((0, 0), (3, 1)) if follow_up and i % 4 == 0 else ((0, 0),):
            await _answer(
                survey.id, registration.id, person["organisation"], event_id, starts, named, wave, climb, i
            )


async def _answer(
    survey_id: int,
    registration_id: int,
    organisation: int,
    event_id: int,
    starts: datetime,
    named: list[int],
    wave: int,
    climb: int,
    i: int,
) -> None:
    sent = starts + timedelta(days=30 * wave, hours=5)
    invitation = SurveyInvitation(
        survey=survey_id,
        registration=registration_id,
        organisation=organisation,
        wave=wave,
        sent_at=sent,
        closes_at=sent + timedelta(days=14),
        responded_at=sent + timedelta(days=1),
    )
    await invitation.save()
    key = hashlib.sha256(f"demo-ledger:{invitation.id}".encode()).hexdigest()
    answered = sent + timedelta(days=1)
    await SurveyResponse(
        survey=survey_id,
        invitation=invitation.id,
        respondent_key=key,
        wave=wave,
        answers='{"overall": 4}',
        submitted_at=answered,
        updated_at=answered,
    ).save()
    for k, other in enumerate(dict.fromkeys(named)):
        rank = min(len(OUTCOMES) - 1, (i + k) % 3 + climb)
        await ReportedContact(
            invitation=invitation.id,
            event=event_id,
            reporter=organisation,
            other=other,
            outcome=OUTCOMES[rank].value,
            wave=wave,
            reported_at=answered,
            updated_at=answered,
        ).save()
