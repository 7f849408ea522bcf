"""The emails of matchmaking, rendered here and queued in the outbox in the caller's transaction:
a request to the person asked; per meeting, a calendar invitation to each of the two (UID
`meeting-<id>@<host>`, SEQUENCE raised on every change, METHOD:CANCEL when it is dropped); the agenda."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from dtz_events.core import ical
from dtz_events.core.clock import local
from dtz_events.core.templating import format_when
from dtz_events.events.tables import Event
from dtz_events.mail.domain import Recipient, queue_email
from dtz_events.mail.services import MailSettings, calendar_location, event_context
from dtz_events.partners.tables import Person

if TYPE_CHECKING:
    from dtz_events.matchmaking.schemas import MeetingOut
    from dtz_events.matchmaking.services import Participant

TITLE = {"nl": "1-op-1 gesprek met {name}", "en": "1:1 meeting with {name}"}
TABLE = {"nl": "tafel {n}", "en": "table {n}"}


def agenda_url(token: str) -> str:
    return f"{MailSettings.settings.base_url}/matchmaking/{token}"


def meeting_uid(meeting_id: int) -> str:
    return f"meeting-{meeting_id}@{MailSettings.settings.host}"


async def _event(event_id: int) -> dict[str, Any]:
    event = await Event.select().where(Event.id == event_id).first()
    assert event is not None
    return event


def _event_context(event: dict[str, Any], language: str) -> dict[str, Any]:
    """The event as other emails show it, without its description: a meeting email is about the meeting."""
    return {**event_context(event, language), "description": ""}


async def _people(ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = await Person.select(
        Person.id,
        Person.name,
        Person.email,
        Person.language,
        Person.job_title,
        Person.organisation.name.as_alias("organisation_name"),
    ).where(Person.id.is_in(ids))
    return {r["id"]: r for r in rows}


async def queue_request_email(
    request_id: int, recipient: Participant, requester: Participant, token: str
) -> None:
    people = await _people([requester.person_id])
    event = await _event(recipient.event_id)
    language = recipient.language
    context = {
        "person": {"name": recipient.name},
        "event": _event_context(event, language),
        "requester": people[requester.person_id],
        "agenda_url": agenda_url(token),
        "request_id": request_id,
    }
    from dtz_events.matchmaking.tables import MeetingRequest

    row = await MeetingRequest.select(MeetingRequest.message).where(MeetingRequest.id == request_id).first()
    context["message"] = row["message"] if row else ""
    person = (await _people([recipient.person_id]))[recipient.person_id]
    await queue_email(
        "meeting_request",
        f"request {request_id}:person {recipient.person_id}",
        "meeting_request_to_participant",
        Recipient.of(person, recipient.person_id, language),
        context,
        event_id=recipient.event_id,
    )


async def queue_meeting_change(meeting: dict[str, Any], *, cancelled: bool) -> None:
    """A REQUEST (new or moved meeting) or a CANCEL to each of the two people, at `meeting["sequence"]`."""
    event = await _event(meeting["event"])
    people = await _people([meeting["person_a"], meeting["person_b"]])
    for me, other in ((meeting["person_a"], meeting["person_b"]), (meeting["person_b"], meeting["person_a"])):
        person, partner = people[me], people[other]
        language = person["language"] if person["language"] in ("nl", "en") else "nl"
        table = TABLE[language].format(n=meeting["table_number"])
        location = ", ".join(p for p in (calendar_location(event), table) if p)
        entry = ical.CalendarEntry(
            uid=meeting_uid(meeting["id"]),
            sequence=meeting["sequence"],
            title=TITLE[language].format(name=f"{partner['name']} ({partner['organisation_name']})"),
            starts_at=meeting["starts_at"],
            ends_at=meeting["ends_at"],
            location=location,
            description=event["title"],
            category="MEETING",
            cancelled=cancelled,
        )
        context = {
            "other": partner,
            "event": _event_context(event, language),
            "meeting": {
                "when": format_when(meeting["starts_at"], meeting["ends_at"], language),
                "starts_at": local(meeting["starts_at"]),
                "table_number": meeting["table_number"],
                "changed": meeting["sequence"] > 0,
            },
        }
        kind = "meeting_cancelled" if cancelled else "meeting_scheduled"
        await queue_email(
            kind,
            f"meeting {meeting['id']}:person {me}:sequence {meeting['sequence']}",
            f"{kind}_to_participant",
            Recipient.of(person, me, language),
            context,
            event_id=meeting["event"],
            calendar=entry,
        )


async def queue_agenda(participant: Participant, meetings: list[MeetingOut], token: str) -> int | None:
    """The agenda: every scheduled meeting with its time and table. Keyed by its content, so sending the
    agendas again sends only those that changed."""
    event = await _event(participant.event_id)
    language = participant.language if participant.language in ("nl", "en") else "nl"
    others = [m.person_b_id if m.person_a_id == participant.person_id else m.person_a_id for m in meetings]
    people = await _people(others) if others else {}
    items = []
    for meeting, other in zip(meetings, others, strict=True):
        assert meeting.starts_at is not None
        assert meeting.ends_at is not None
        items.append(
            {
                "when": format_when(meeting.starts_at, meeting.ends_at, language),
                "time": f"{local(meeting.starts_at):%H:%M}–{local(meeting.ends_at):%H:%M}",
                "table_number": meeting.table_number,
                "other_name": people[other]["name"],
                "other_organisation": people[other]["organisation_name"],
            }
        )
    person = (await _people([participant.person_id]))[participant.person_id]
    context = {
        "person": {"name": participant.name},
        "event": _event_context(event, language),
        "meetings": items,
        "agenda_url": agenda_url(token),
    }
    content = ",".join(f"{m.id}/{m.sequence}" for m in meetings)
    fingerprint = hashlib.sha256(content.encode()).hexdigest()[:16]
    return await queue_email(
        "meeting_agenda",
        f"event {participant.event_id}:person {participant.person_id}:{fingerprint}",
        "meeting_agenda_to_participant",
        Recipient.of(person, participant.person_id, language),
        context,
        event_id=participant.event_id,
    )
