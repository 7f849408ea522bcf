"""Read models for the organiser and partner pages: lists that join what a page shows in one query.
Every function takes the caller and scopes by it (a partner sees only its own organisation's rows); the
event itself is authorised by the events service first."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from piccolo.query.functions.aggregate import Count

from dtz_events.core.auth import Principal
from dtz_events.events.services import TOLD_OF_EVENT
from dtz_events.events.tables import Event
from dtz_events.mail.tables import OutboxMessage
from dtz_events.partners.tables import Organisation, Person
from dtz_events.registrations.tables import Quota, Registration
from dtz_events.surveys.tables import SurveyInvitation

NOTIFIED = tuple(TOLD_OF_EVENT)  # of a publication, a change or a cancellation


@dataclass(frozen=True)
class AttendeeFilter:
    status: str | None = None
    rsvp: str | None = None
    organisation_id: int | None = None
    q: str | None = None


async def status_counts(event_ids: list[int]) -> dict[int, dict[str, int]]:
    """Registrations per event and status, plus `accepted`/`declined` RSVPs of active registrations."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if not event_ids:
        return counts
    rows = (
        await Registration.select(
            Registration.event, Registration.status, Registration.rsvp, Count(alias="n")
        )
        .where(Registration.event.is_in(event_ids))
        .group_by(Registration.event, Registration.status, Registration.rsvp)
    )
    for row in rows:
        per_event = counts[row["event"]]
        per_event[row["status"]] += row["n"]
        if row["status"] in ("confirmed", "invited"):
            per_event[f"rsvp_{row['rsvp']}"] += row["n"]
    return counts


def notified(counts: dict[str, int], statuses: tuple[str, ...]) -> list[tuple[str, int]]:
    """Who an email to these statuses reaches: (status, number) for each status with people."""
    return [(status, counts.get(status, 0)) for status in statuses if counts.get(status, 0)]


async def outbox_counts_for(event_ids: list[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if not event_ids:
        return counts
    rows = (
        await OutboxMessage.select(OutboxMessage.event, OutboxMessage.status, Count(alias="n"))
        .where(OutboxMessage.event.is_in(event_ids))
        .group_by(OutboxMessage.event, OutboxMessage.status)
    )
    for row in rows:
        counts[row["event"]][row["status"]] += row["n"]
    return counts


async def attendees(principal: Principal, event_id: int, where: AttendeeFilter) -> list[dict[str, Any]]:
    """The registrations of one event with person, organisation and survey state."""
    conditions: list[Any] = [Registration.event == event_id]
    if principal.is_partner:
        conditions.append(Registration.organisation == principal.organisation_id)
    if where.status:
        conditions.append(Registration.status == where.status)
    if where.rsvp:
        conditions.append(Registration.rsvp == where.rsvp)
    if where.organisation_id:
        conditions.append(Registration.organisation == where.organisation_id)
    if where.q:
        pattern = "%" + where.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(Registration.person.name.ilike(pattern) | Registration.person.email.ilike(pattern))
    rows = (
        await Registration.select(
            Registration.id,
            Registration.person,
            Registration.person.name.as_alias("name"),
            Registration.person.email.as_alias("email"),
            Registration.organisation,
            Registration.organisation.name.as_alias("organisation_name"),
            Registration.status,
            Registration.rsvp,
            Registration.checked_in_at,
            Registration.queued_at,
        )
        .where(*conditions)
        .order_by(Registration.organisation.name)
        .order_by(Registration.person.name)
        .order_by(Registration.id)
    )
    surveys = await _survey_states([r["id"] for r in rows])
    for row in rows:
        row["survey"] = surveys.get(row["id"], "none")
    return rows


async def _survey_states(registration_ids: list[int]) -> dict[int, str]:
    """`answered` if any wave was answered, `asked` if invited and not answered, else absent."""
    if not registration_ids:
        return {}
    states: dict[int, str] = {}
    for chunk_start in range(0, len(registration_ids), 1000):
        chunk = registration_ids[chunk_start : chunk_start + 1000]
        rows = await SurveyInvitation.select(
            SurveyInvitation.registration, SurveyInvitation.responded_at
        ).where(SurveyInvitation.registration.is_in(chunk))
        for row in rows:
            answered = row["responded_at"] is not None
            if answered or states.get(row["registration"]) != "answered":
                states[row["registration"]] = "answered" if answered else "asked"
    return states


async def quota_rows(event_id: int, organisation_id: int | None = None) -> list[dict[str, Any]]:
    where: list[Any] = [Quota.event == event_id]
    if organisation_id is not None:
        where.append(Quota.organisation == organisation_id)
    return list(
        await Quota.select(
            Quota.organisation, Quota.organisation.name.as_alias("organisation_name"), Quota.seats
        )
        .where(*where)
        .order_by(Quota.organisation.name)
    )


async def organisation_choices() -> list[dict[str, Any]]:
    return list(
        await Organisation.select(Organisation.id, Organisation.name, Organisation.municipality).order_by(
            Organisation.name
        )
    )


async def people_of(organisation_id: int) -> list[dict[str, Any]]:
    return list(
        await Person.select(Person.id, Person.name, Person.email, Person.job_title)
        .where(Person.organisation == organisation_id)
        .order_by(Person.name)
    )


async def people_search(q: str, limit: int = 50) -> list[dict[str, Any]]:
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return list(
        await Person.select(
            Person.id, Person.name, Person.email, Person.organisation.name.as_alias("organisation_name")
        )
        .where(Person.name.ilike(pattern) | Person.email.ilike(pattern))
        .order_by(Person.name)
        .limit(limit)
    )


async def upcoming_events(since: Any, limit: int = 50) -> list[dict[str, Any]]:
    return list(
        await Event.select()
        .where(Event.starts_at >= since, Event.status.is_in(["draft", "published"]))
        .order_by(Event.starts_at)
        .limit(limit)
    )
