"""The board's emails, rendered here and queued in the outbox in the transaction of the change: the
invitation (with the agenda in its body and a calendar REQUEST), the deputy's CANCEL, the agenda change
notice, the date poll, the quorum warning and the action reminder."""

from __future__ import annotations

import json
from datetime import timedelta
from email.utils import parseaddr
from typing import Any

from babel.dates import format_date, format_time

from dtz_events.board.schemas import Quorum
from dtz_events.board.tables import ActionItem, AgendaItem, BoardInvitation, PollOption
from dtz_events.core import ical
from dtz_events.core.clock import local
from dtz_events.core.templating import format_when, render_email
from dtz_events.mail.services import (
    MailSettings,
    calendar_entry,
    event_context,
    queue_rendered,
)
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


def _base_context(person: dict[str, Any]) -> dict[str, Any]:
    settings = _settings()
    return {
        "person": {"name": person["name"]},
        "organiser_email": parseaddr(settings.mail_from)[1],
        "base_url": settings.base_url,
    }


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


def _calendar(event: dict[str, Any], sequence: int, method: ical.Method, registration: dict[str, Any]) -> str:
    settings = _settings()
    return ical.invitation(
        calendar_entry(event, sequence, cancelled=method is ical.Method.cancel),
        method,
        organizer=ical.Party(email=settings.rsvp_address, name="Dutch TechZone"),
        attendee=ical.Party(email=registration["email"], name=registration["name"]),
    ).decode()


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
        **_base_context(registration),
        "event": event_context(event, language),
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
        "has_calendar": True,
    }
    email = render_email("board_invitation_to_member", language, context)
    sequence = event["sequence"] + revision
    await queue_rendered(
        dedup_key=f"board_invitation:registration {registration_id}:revision {revision}",
        kind="board_invitation",
        recipient_email=registration["email"],
        recipient_name=registration["name"],
        language=language,
        email=email,
        person_id=registration["person"],
        event_id=event["id"],
        ics=_calendar(event, sequence, ical.Method.request, registration),
        ics_method=ical.Method.request.value,
        sequence=sequence,
    )


async def queue_deputy_cancelled(event: dict[str, Any], registration_id: int) -> None:
    """The member takes the seat back: the deputy's calendar entry is cancelled (a higher SEQUENCE)."""
    registration = await _registration(registration_id)
    seat = await _seat(registration_id)
    language = registration["language"]
    context = {
        **_base_context(registration),
        "event": event_context(event, language),
        "seat": seat["seat"],
        "member_name": seat["member_name"],
        "has_calendar": True,
    }
    email = render_email("board_invitation_cancelled_to_deputy", language, context)
    revision = registration["revision"]
    sequence = event["sequence"] + revision
    await queue_rendered(
        dedup_key=f"board_invitation_cancelled:registration {registration_id}:revision {revision}",
        kind="board_invitation_cancelled",
        recipient_email=registration["email"],
        recipient_name=registration["name"],
        language=language,
        email=email,
        person_id=registration["person"],
        event_id=event["id"],
        ics=_calendar(event, sequence, ical.Method.cancel, registration),
        ics_method=ical.Method.cancel.value,
        sequence=sequence,
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
            **_base_context(registration),
            "event": event_context(event, language),
            "agenda": await agenda_context(event, language),
            "page_url": await member_page_url(registration["person"], event["id"]),
        }
        await queue_rendered(
            dedup_key=f"board_agenda_changed:registration {registration['id']}:agenda {version}",
            kind="board_agenda_changed",
            recipient_email=registration["email"],
            recipient_name=registration["name"],
            language=language,
            email=render_email("board_agenda_changed_to_member", language, context),
            person_id=registration["person"],
            event_id=event["id"],
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
    dates = [format_when(o["starts_at"], o["ends_at"], language) for o in options]
    context = {
        **_base_context(person),
        "title": event["title"],
        "dates": dates,
        "page_url": await member_page_url(person_id, event["id"]),
    }
    await queue_rendered(
        dedup_key=f"board_poll:event {event['id']}:person {person_id}",
        kind="board_poll",
        recipient_email=person["email"],
        recipient_name=person["name"],
        language=language,
        email=render_email("board_poll_to_member", language, context),
        person_id=person_id,
        event_id=event["id"],
    )


async def queue_quorum_warning(event: dict[str, Any], figures: Quorum, secretary: dict[str, Any]) -> None:
    language = secretary["language"] or "nl"
    context = {
        **_base_context(secretary),
        "event": event_context(event, language),
        "quorum": figures,
        "page_url": f"{_settings().base_url}/board/secretary/sessions/{event['id']}",
    }
    starts = int(event["starts_at"].timestamp())
    await queue_rendered(
        dedup_key=f"board_quorum_warning:event {event['id']}:starts {starts}:account {secretary['id']}",
        kind="board_quorum_warning",
        recipient_email=secretary["email"],
        recipient_name=secretary["name"],
        language=language,
        email=render_email("board_quorum_warning_to_secretary", language, context),
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
    language = row["language"]
    context = {
        **_base_context(row),
        "description": row["description"],
        "due_on": format_date(row["due_on"], "full", locale=language),
        "session_title": row["session_title"],
    }
    await queue_rendered(
        dedup_key=f"board_action_due:action {action_id}:due {row['due_on'].isoformat()}",
        kind="board_action_due",
        recipient_email=row["email"],
        recipient_name=row["name"],
        language=language,
        email=render_email("board_action_due_to_owner", language, context),
        person_id=row["owner"],
        event_id=row["event_id"],
    )
