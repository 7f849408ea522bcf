"""The board's emails, rendered here and queued in the outbox in the transaction of the change: the
invitation (with the agenda in its body and a calendar REQUEST), the deputy's CANCEL, the agenda change
notice, the date poll, the quorum warning and the action reminder."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from babel.dates import format_date, format_time

from dtz_events.board.schemas import Quorum
from dtz_events.board.tables import ActionItem, AgendaItem, BoardInvitation, PollOption
from dtz_events.core import ical
from dtz_events.core.clock import local
from dtz_events.core.templating import format_when
from dtz_events.mail.domain import Recipient, queue_email
from dtz_events.mail.services import MailSettings, calendar_entry, event_context
from dtz_events.partners.tables import Person
from dtz_events.registrations.links import LinkPurpose, create_link
from dtz_events.registrations.tables import Registration

ITEM_KINDS = {
    "nl": {"decision": "besluitvorming", "discussion": "bespreking", "information": "ter informatie"},
    "en": {"decision": "decision", "discussion": "discussion", "information": "for information"},
}


def _settings() -> Any:
    return MailSettings.settings


async def agenda_context(event: dict[str, Any], language: str) -> list[dict[str, Any]]:
    """The agenda with each item's planned start time (the session's start plus the time allotted before)."""
    rows = (
        await AgendaItem.select().where(AgendaItem.session.event == event["id"]).order_by(AgendaItem.position)
    )
    start = local(event["starts_at"])
    items = []
    for row in rows:
        documents = row["documents"]
        if isinstance(documents, str):
            documents = json.loads(documents or "[]")
        items.append(
            {
                "number": row["position"],
                "title": row["title"],
                "presenter": row["presenter"],
                "minutes": row["minutes_allotted"],
                "kind": ITEM_KINDS[language][row["kind"]],
                "at": format_time(start, "HH:mm", locale=language),
                "documents": documents or [],
            }
        )
        start += timedelta(minutes=row["minutes_allotted"])
    return items


async def member_page_url(person_id: int, event_id: int) -> str:
    token = await create_link(LinkPurpose.board, person_id=person_id)
    return f"{_settings().base_url}/board/m/{token}/sessions/{event_id}"


async def _registration(registration_id: int) -> dict[str, Any]:
    row = (
        await Registration.select(
            Registration.id,
            Registration.revision,
            Registration.person,
            Registration.person.name.as_alias("name"),
            Registration.person.email.as_alias("email"),
            Registration.person.language.as_alias("language"),
        )
        .where(Registration.id == registration_id)
        .first()
    )
    assert row is not None
    return row


async def _seat(registration_id: int) -> dict[str, Any]:
    row = (
        await BoardInvitation.select(
            BoardInvitation.as_deputy,
            BoardInvitation.membership.seat.as_alias("seat"),
            BoardInvitation.membership._.member._.name.as_alias("member_name"),
            BoardInvitation.membership._.deputy._.name.as_alias("deputy_name"),
        )
        .where(BoardInvitation.registration == registration_id)
        .first()
    )
    assert row is not None
    return row


async def queue_invitation(event: dict[str, Any], registration_id: int, revision: int) -> None:
    """An invitation to a member, or to the deputy the member handed the seat to: the agenda in the body,
    RSVP links, the members' page, and the calendar REQUEST (SEQUENCE as the registrations domain counts)."""
    registration = await _registration(registration_id)
    seat = await _seat(registration_id)
    language = registration["language"]
    base_url = _settings().base_url
    rsvp_token = await create_link(
        LinkPurpose.rsvp, registration_id=registration_id, person_id=registration["person"]
    )
    rsvp = {a: f"{base_url}/rsvp/{rsvp_token}?answer={a}" for a in ("accepted", "tentative", "declined")}
    page_url = await member_page_url(registration["person"], event["id"])
    context = {
        "agenda": await agenda_context(event, language),
        "rsvp": rsvp,
        "page_url": page_url,
        "handover_url": f"{page_url}?answer=handover"
        if not seat["as_deputy"] and seat["deputy_name"]
        else None,
        "as_deputy": seat["as_deputy"],
        "seat": seat["seat"],
        "member_name": seat["member_name"],
        "deputy_name": seat["deputy_name"],
    }
    await _queue_to_registration(
        "board_invitation",
        f"revision {revision}",
        "board_invitation_to_member",
        registration,
        context,
        event=event,
        calendar=calendar_entry(event, event["sequence"] + revision, cancelled=False),
    )


async def queue_deputy_cancelled(event: dict[str, Any], registration_id: int) -> None:
    """The member takes the seat back: the deputy's calendar entry is cancelled (a higher SEQUENCE)."""
    registration = await _registration(registration_id)
    seat = await _seat(registration_id)
    context = {
        "seat": seat["seat"],
        "member_name": seat["member_name"],
    }
    revision = registration["revision"]
    await _queue_to_registration(
        "board_invitation_cancelled",
        f"revision {revision}",
        "board_invitation_cancelled_to_deputy",
        registration,
        context,
        event=event,
        calendar=calendar_entry(event, event["sequence"] + revision, cancelled=True),
    )


async def queue_agenda_changed(event: dict[str, Any], session_id: int, version: int) -> None:
    """The new agenda to everyone invited (no calendar: the date and place did not change)."""
    invitees = await BoardInvitation.select(BoardInvitation.registration).where(
        (BoardInvitation.session == session_id) & (BoardInvitation.registration.status == "invited")
    )
    for invitee in invitees:
        registration = await _registration(invitee["registration"])
        language = registration["language"]
        context = {
            "agenda": await agenda_context(event, language),
            "page_url": await member_page_url(registration["person"], event["id"]),
        }
        await _queue_to_registration(
            "board_agenda_changed",
            f"agenda {version}",
            "board_agenda_changed_to_member",
            registration,
            context,
            event=event,
        )


async def _queue_to_registration(
    kind: str,
    key: str,
    template: str,
    registration: dict[str, Any],
    context: dict[str, Any],
    *,
    event: dict[str, Any],
    calendar: ical.CalendarEntry | None = None,
) -> None:
    """An email about a board session to the person a registration is for, keyed by the registration."""
    await queue_email(
        kind,
        f"registration {registration['id']}:{key}",
        template,
        Recipient.of(registration, registration["person"]),
        {"event": event_context(event, registration["language"]), **context},
        event_id=event["id"],
        calendar=calendar,
    )


async def queue_poll(event: dict[str, Any], person_id: int) -> None:
    person = (
        await Person.select(Person.id, Person.name, Person.email, Person.language)
        .where(Person.id == person_id)
        .first()
    )
    assert person is not None
    language = person["language"]
    options = (
        await PollOption.select(PollOption.starts_at, PollOption.ends_at)
        .where(PollOption.session.event == event["id"])
        .order_by(PollOption.starts_at)
    )
    context = {
        "title": event["title"],
        "dates": [format_when(o["starts_at"], o["ends_at"], language) for o in options],
        "page_url": await member_page_url(person_id, event["id"]),
    }
    await queue_email(
        "board_poll",
        f"event {event['id']}:person {person_id}",
        "board_poll_to_member",
        Recipient.of(person, person_id),
        context,
        event_id=event["id"],
    )


async def queue_quorum_warning(event: dict[str, Any], figures: Quorum, secretary: dict[str, Any]) -> None:
    context = {
        "event": event_context(event, secretary["language"] or "nl"),
        "quorum": figures,
        "page_url": f"{_settings().base_url}/board/secretary/sessions/{event['id']}",
    }
    starts = int(event["starts_at"].timestamp())
    await queue_email(
        "board_quorum_warning",
        f"event {event['id']}:starts {starts}:account {secretary['id']}",
        "board_quorum_warning_to_secretary",
        Recipient.of(secretary, None, secretary["language"] or "nl"),
        context,
        event_id=event["id"],
    )


async def queue_action_due(action_id: int) -> None:
    row = (
        await ActionItem.select(
            ActionItem.id,
            ActionItem.description,
            ActionItem.due_on,
            ActionItem.owner,
            ActionItem.owner.name.as_alias("name"),
            ActionItem.owner.email.as_alias("email"),
            ActionItem.owner.language.as_alias("language"),
            ActionItem.session._.event._.title.as_alias("session_title"),
            ActionItem.session._.event._.id.as_alias("event_id"),
        )
        .where(ActionItem.id == action_id)
        .first()
    )
    assert row is not None
    context = {
        "description": row["description"],
        "due_on": format_date(row["due_on"], "full", locale=row["language"]),
        "session_title": row["session_title"],
    }
    await queue_email(
        "board_action_due",
        f"action {action_id}:due {row['due_on'].isoformat()}",
        "board_action_due_to_owner",
        Recipient.of(row, row["owner"]),
        context,
        event_id=row["event_id"],
    )
