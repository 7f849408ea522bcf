"""A small, hand-built cooperation history whose every figure is worked out by hand below.

Organisations: A (company, Emmen), B (company, Coevorden), C (company, Hoogeveen), S (school, Emmen),
G (municipality, Coevorden).

  E0 2024-10-01 network meeting             A, B, C checked in             -> A-B, A-C, B-C (new 2024-Q4)
  E1 2025-02-10 network meeting, Smart Industry Hub, theme energietransitie
                                            A, B, S checked in             -> A-B, A-S, B-S (A-S, B-S new Q1)
      surveys: A names B "contact" (wave 0), B names A "follow_up" (wave 0): A-B confirmed;
               A names B "joint_project" in the 3-month wave: A-B moves follow_up -> joint_project;
               S names A "contact": A-S reported (one side)
  E2 2025-05-20 network meeting, Chemical Cluster Emmen
                                            A (two people), G checked in; B registered, not checked in
      survey:  A names G "agreement"                                       -> A-G reported (new Q2)
  E3 2025-11-05 promotion day               S, G checked in                -> S-G (new Q4)

2025: links A-B (confirmed, joint_project), A-S (reported, contact), B-S (observed), A-G (reported,
agreement), S-G (observed). C was last linked on 2024-10-01: isolated in 2025."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from dtz_events.core.clock import LOCAL_TZ
from dtz_events.events.tables import Event, EventTheme
from dtz_events.partners.tables import Organisation, Person, Programme, Theme
from dtz_events.registrations.tables import Registration
from dtz_events.surveys.tables import ReportedContact, Survey, SurveyInvitation

_serial = itertools.count(1)


@dataclass
class Ledger:
    orgs: dict[str, int] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)
    registrations: dict[tuple[str, str], int] = field(default_factory=dict)  # (event, person) -> id
    surveys: dict[str, int] = field(default_factory=dict)


def moment(day: date, hour: int = 15) -> datetime:
    return datetime.combine(day, time(hour), LOCAL_TZ)


async def organisation(ledger: Ledger, key: str, name: str, kind: str, helix: str, municipality: str) -> int:
    row = Organisation(name=name, kind=kind, helix=helix, municipality=municipality)
    await row.save()
    ledger.orgs[key] = row.id
    return int(row.id)


async def person(ledger: Ledger, key: str, org: str) -> int:
    row = Person(name=f"Persoon {key}", email=f"{key}@{org.lower()}.example", organisation=ledger.orgs[org])
    await row.save()
    ledger.people[key] = row.id
    return int(row.id)


async def event(
    ledger: Ledger,
    key: str,
    day: date,
    kind: str = "network_meeting",
    programme: int | None = None,
    themes: tuple[int, ...] = (),
) -> int:
    row = Event(
        kind=kind,
        title=f"Bijeenkomst {key}",
        municipality="Emmen",
        starts_at=moment(day),
        ends_at=moment(day, 18),
        visibility="partners",
        status="completed",
        programme=programme,
        calendar_uid=f"event-{key}-{next(_serial)}@tests",
    )
    await row.save()
    ledger.events[key] = row.id
    for theme in themes:
        await EventTheme(event=row.id, theme=theme).save()
    return int(row.id)


async def attend(ledger: Ledger, event_key: str, person_key: str, checked_in: bool = True) -> int:
    e = await Event.select(Event.starts_at).where(Event.id == ledger.events[event_key]).first()
    assert e is not None
    org = await Person.select(Person.organisation).where(Person.id == ledger.people[person_key]).first()
    assert org is not None
    row = Registration(
        event=ledger.events[event_key],
        person=ledger.people[person_key],
        organisation=org["organisation"],
        status="confirmed",
        rsvp="accepted",
        checked_in_at=e["starts_at"] + timedelta(minutes=5) if checked_in else None,
    )
    await row.save()
    ledger.registrations[(event_key, person_key)] = row.id
    return int(row.id)


async def report(
    ledger: Ledger, event_key: str, person_key: str, other: str, outcome: str, wave: int = 0
) -> None:
    """`person_key` names organisation `other` in the survey of `event_key` (wave 0, or a follow-up)."""
    if event_key not in ledger.surveys:
        survey = Survey(event=ledger.events[event_key])
        await survey.save()
        ledger.surveys[event_key] = survey.id
    registration = ledger.registrations[(event_key, person_key)]
    reporter = (
        await Registration.select(Registration.organisation).where(Registration.id == registration).first()
    )
    assert reporter is not None
    invitation = (
        await SurveyInvitation.select(SurveyInvitation.id)
        .where((SurveyInvitation.registration == registration) & (SurveyInvitation.wave == wave))
        .first()
    )
    if invitation is None:
        row = SurveyInvitation(
            survey=ledger.surveys[event_key],
            registration=registration,
            organisation=reporter["organisation"],
            wave=wave,
            closes_at=moment(date(2030, 1, 1)),
        )
        await row.save()
        invitation_id = row.id
    else:
        invitation_id = invitation["id"]
    await ReportedContact(
        invitation=invitation_id,
        event=ledger.events[event_key],
        reporter=reporter["organisation"],
        other=ledger.orgs[other],
        outcome=outcome,
        wave=wave,
    ).save()


async def build_ledger() -> Ledger:
    ledger = Ledger()
    await organisation(ledger, "A", "Emmtec Industry & Business Park", "company", "business", "Emmen")
    await organisation(ledger, "B", "Wavin Hardenberg", "company", "business", "Coevorden")
    await organisation(ledger, "C", "Hoogeveen Metaal", "company", "business", "Hoogeveen")
    await organisation(ledger, "S", "Drenthe College", "school", "education", "Emmen")
    await organisation(ledger, "G", "Gemeente Coevorden", "municipality", "government", "Coevorden")
    for key, org in [("a1", "A"), ("a2", "A"), ("b1", "B"), ("c1", "C"), ("s1", "S"), ("g1", "G")]:
        await person(ledger, key, org)
    sih = Programme(slug="smart-industry-hub", name_nl="Smart Industry Hub", name_en="Smart Industry Hub")
    cce = Programme(
        slug="chemical-cluster-emmen", name_nl="Chemical Cluster Emmen", name_en="Chemical Cluster"
    )
    energy = Theme(slug="energietransitie", name_nl="Energietransitie", name_en="Energy transition")
    for row in (sih, cce, energy):
        await row.save()
    await event(ledger, "E0", date(2024, 10, 1))
    await event(ledger, "E1", date(2025, 2, 10), programme=sih.id, themes=(energy.id,))
    await event(ledger, "E2", date(2025, 5, 20), programme=cce.id)
    await event(ledger, "E3", date(2025, 11, 5), kind="promotion_day")
    for e, p in [("E0", "a1"), ("E0", "b1"), ("E0", "c1"), ("E1", "a1"), ("E1", "b1"), ("E1", "s1")]:
        await attend(ledger, e, p)
    for e, p in [("E2", "a1"), ("E2", "a2"), ("E2", "g1"), ("E3", "s1"), ("E3", "g1")]:
        await attend(ledger, e, p)
    await attend(ledger, "E2", "b1", checked_in=False)
    await report(ledger, "E1", "a1", "B", "contact")
    await report(ledger, "E1", "b1", "A", "follow_up")
    await report(ledger, "E1", "a1", "B", "joint_project", wave=3)
    await report(ledger, "E1", "s1", "A", "contact")
    await report(ledger, "E2", "a1", "G", "agreement")
    return ledger
