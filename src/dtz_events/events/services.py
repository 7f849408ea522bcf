"""Events of the three kinds: rules per kind, the life cycle, and who may see which event."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from msgspec import UNSET
from piccolo.custom_types import Combinable
from piccolo.query.functions.aggregate import Count

from dtz_events.core.auth import Principal, Role
from dtz_events.core.clock import LOCAL_TZ, local, local_or_none, utcnow
from dtz_events.core.db import write_transaction
from dtz_events.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from dtz_events.core.schemas import Page, Pagination, page_out
from dtz_events.core.templating import RenderedEmail, render_email
from dtz_events.events.schemas import (
    EventCreate,
    EventKind,
    EventOut,
    EventStatus,
    EventUpdate,
    SeatCounts,
    Visibility,
)
from dtz_events.events.tables import Event, EventTheme
from dtz_events.mail.schemas import EmailKind
from dtz_events.mail.services import queue_for_event
from dtz_events.partners.services import tag_ids
from dtz_events.partners.tables import Programme, Theme
from dtz_events.registrations.tables import Registration

# A change to any of these moves or renames the calendar entry: SEQUENCE goes up and attendees are told.
MATERIAL_FIELDS = ("title", "starts_at", "ends_at", "venue", "address", "description")
BOARD_ROLES = frozenset({Role.admin, Role.organiser, Role.board_secretary})
# Who hears of a published event's publication, change or cancellation: everyone whose registration stands
# (the waiting list without a calendar entry to update).
TOLD_OF_EVENT = ["confirmed", "invited", "waitlisted"]


# ---------------------------------------------------------------- who sees what


def visible_events(principal: Principal | None) -> list[Combinable]:
    """Conditions that limit a listing to the events the caller may know about."""
    open_to_all = (Event.status == EventStatus.published.value) & (
        Event.visibility == Visibility.public.value
    )
    not_board = Event.kind != EventKind.board_session.value
    if principal is None:
        return [open_to_all & not_board]
    if principal.is_organiser:
        return []
    if principal.role is Role.board_secretary:
        return [(Event.kind == EventKind.board_session.value) | (Event.status != EventStatus.draft.value)]
    shown_to_partners = (
        (Event.status != EventStatus.draft.value)
        & not_board
        & Event.visibility.is_in([Visibility.public.value, Visibility.partners.value])
    )
    own_registrations = Event.id.is_in(
        Registration.select(Registration.event).where(Registration.organisation == principal.organisation_id)
    )
    return [shown_to_partners | ((Event.status != EventStatus.draft.value) & not_board & own_registrations)]


def can_manage(principal: Principal, kind: EventKind) -> bool:
    if principal.is_organiser:
        return True
    return principal.role is Role.board_secretary and kind is EventKind.board_session


async def get_event_row(principal: Principal | None, event_id: int) -> dict[str, Any]:
    row = await Event.select().where(Event.id == event_id, *visible_events(principal)).first()
    if row is None:
        raise NotFound("event")
    return row


async def managed_event_row(principal: Principal, event_id: int) -> dict[str, Any]:
    row = await get_event_row(principal, event_id)
    if not can_manage(principal, EventKind(row["kind"])):
        raise Forbidden("your role may only manage board sessions")  # the event is visible: no 404
    return row


# ---------------------------------------------------------------- output


async def seat_counts(event_ids: list[int]) -> dict[int, SeatCounts]:
    counts: dict[int, SeatCounts] = {i: SeatCounts() for i in event_ids}
    if not event_ids:
        return counts
    rows = (
        await Registration.select(Registration.event, Registration.status, Count(alias="n"))
        .where(
            Registration.event.is_in(event_ids),
            Registration.status.is_in(["confirmed", "waitlisted", "invited"]),
        )
        .group_by(Registration.event, Registration.status)
    )
    for row in rows:
        setattr(counts[row["event"]], row["status"], row["n"])
    return counts


async def event_outs(rows: list[dict[str, Any]]) -> list[EventOut]:
    ids = [r["id"] for r in rows]
    themes: dict[int, list[str]] = {i: [] for i in ids}
    programmes: dict[int, str] = {}
    if ids:
        for t in await EventTheme.select(EventTheme.event, EventTheme.theme.slug.as_alias("slug")).where(
            EventTheme.event.is_in(ids)
        ):
            themes[t["event"]].append(t["slug"])
        programme_ids = list({r["programme"] for r in rows if r["programme"]})
        if programme_ids:
            slugs = {
                p["id"]: p["slug"]
                for p in await Programme.select(Programme.id, Programme.slug).where(
                    Programme.id.is_in(programme_ids)
                )
            }
            programmes = {r["id"]: slugs[r["programme"]] for r in rows if r["programme"]}
    counts = await seat_counts(ids)
    return [
        EventOut(
            id=r["id"],
            kind=EventKind(r["kind"]),
            title=r["title"],
            description=r["description"],
            venue=r["venue"],
            address=r["address"],
            municipality=r["municipality"],
            starts_at=local(r["starts_at"]),
            ends_at=local(r["ends_at"]),
            capacity=r["capacity"],
            registration_opens_at=local_or_none(r["registration_opens_at"]),
            registration_closes_at=local_or_none(r["registration_closes_at"]),
            visibility=Visibility(r["visibility"]),
            status=EventStatus(r["status"]),
            programme=programmes.get(r["id"]),
            themes=sorted(themes[r["id"]]),
            calendar_uid=r["calendar_uid"],
            sequence=r["sequence"],
            reminder_hours=r["reminder_hours"],
            seats=counts[r["id"]],
            created_at=local(r["created_at"]),
            updated_at=local(r["updated_at"]),
            published_at=local_or_none(r["published_at"]),
            cancelled_at=local_or_none(r["cancelled_at"]),
        )
        for r in rows
    ]


async def get_event(principal: Principal | None, event_id: int) -> EventOut:
    return (await event_outs([await get_event_row(principal, event_id)]))[0]


async def list_events(
    principal: Principal | None,
    pagination: Pagination,
    *,
    kind: EventKind | None = None,
    status: EventStatus | None = None,
    starts_from: date | None = None,
    starts_until: date | None = None,
    municipality: str | None = None,
    programme: str | None = None,
    theme: str | None = None,
) -> Page[EventOut]:
    where = visible_events(principal)
    if kind:
        where.append(Event.kind == kind.value)
    if status:
        where.append(Event.status == status.value)
    if starts_from:
        where.append(Event.starts_at >= datetime.combine(starts_from, time(), LOCAL_TZ))
    if starts_until:
        where.append(Event.starts_at < datetime.combine(starts_until + timedelta(days=1), time(), LOCAL_TZ))
    if starts_from and starts_until and starts_until < starts_from:
        raise InvalidInput("until", "must not be before 'from'")
    if municipality:
        where.append(Event.municipality.ilike(municipality))
    if programme:
        where.append(Event.programme.slug == programme)
    if theme:
        where.append(
            Event.id.is_in(EventTheme.select(EventTheme.event).where(EventTheme.theme.slug == theme))
        )
    total = await Event.count().where(*where)
    rows = (
        await Event.select()
        .where(*where)
        .order_by(Event.starts_at)
        .order_by(Event.id)
        .limit(pagination.per_page)
        .offset(pagination.offset)
    )
    return page_out(await event_outs(rows), total, pagination)


# ---------------------------------------------------------------- rules per kind


def _check_rules(values: dict[str, Any], kind: EventKind) -> None:
    """The rules an event must satisfy after a create or an update; names the offending field."""
    if values["ends_at"] <= values["starts_at"]:
        raise InvalidInput("ends_at", "must be after starts_at")
    if values["ends_at"] - values["starts_at"] > timedelta(days=14):
        raise InvalidInput("ends_at", "an event lasts at most 14 days")
    if kind is EventKind.board_session:
        if values["visibility"] != Visibility.invited.value:
            raise InvalidInput("visibility", "board sessions are invited-only")
        if values["capacity"] is not None:
            raise InvalidInput("capacity", "board sessions have no capacity: members are invited")
        for field in ("registration_opens_at", "registration_closes_at"):
            if values[field] is not None:
                raise InvalidInput(field, "board sessions have no registration window")
        return
    if values["capacity"] is None:
        raise InvalidInput("capacity", f"a {kind.value.replace('_', ' ')} needs a capacity")
    opens, closes = values["registration_opens_at"], values["registration_closes_at"]
    if closes is not None and closes > values["starts_at"]:
        raise InvalidInput("registration_closes_at", "must not be after starts_at")
    if opens is not None and opens >= (closes or values["starts_at"]):
        raise InvalidInput("registration_opens_at", "must be before the registration closes")


def _default_visibility(kind: EventKind) -> Visibility:
    return Visibility.invited if kind is EventKind.board_session else Visibility.partners


async def _programme_id(slug: str | None) -> int | None:
    """An event has one programme: an unknown slug is `programme`'s fault (not `programme[0]`'s)."""
    if slug is None:
        return None
    row = await Programme.select(Programme.id).where(Programme.slug == slug).first()
    if row is None:
        raise InvalidInput("programme", f"unknown programme '{slug}'")
    return int(row["id"])


async def _check_may_manage(principal: Principal, kind: EventKind) -> None:
    if not can_manage(principal, kind):
        raise InvalidInput("kind", "your role may only manage board sessions")


# ---------------------------------------------------------------- life cycle


async def create_event(principal: Principal, data: EventCreate, host: str) -> EventOut:
    await _check_may_manage(principal, data.kind)
    values: dict[str, Any] = {
        "kind": data.kind.value,
        "title": data.title,
        "description": data.description,
        "venue": data.venue,
        "address": data.address,
        "municipality": data.municipality,
        "starts_at": data.starts_at,
        "ends_at": data.ends_at,
        "capacity": data.capacity,
        "registration_opens_at": data.registration_opens_at,
        "registration_closes_at": data.registration_closes_at,
        "visibility": (data.visibility or _default_visibility(data.kind)).value,
        "reminder_hours": data.reminder_hours,
    }
    _check_rules(values, data.kind)
    programme_id = await _programme_id(data.programme)
    theme_ids = await tag_ids(Theme, data.themes, "themes")
    event = Event(
        **values,
        programme=programme_id,
        status=EventStatus.draft.value,
        calendar_uid=f"pending-{uuid.uuid4()}",
        created_by=principal.account_id,
    )
    async with write_transaction():
        await event.save()
        await Event.update({Event.calendar_uid: f"event-{event.id}@{host}"}).where(Event.id == event.id)
        if theme_ids:
            await EventTheme.insert(*(EventTheme(event=event.id, theme=t) for t in theme_ids))
    return await get_event(principal, event.id)


async def update_event(principal: Principal, event_id: int, data: EventUpdate) -> EventOut:
    from dtz_events.registrations.services import check_capacity, fill_from_waitlist

    async with write_transaction():
        row = await managed_event_row(principal, event_id)
        status = EventStatus(row["status"])
        if status in (EventStatus.cancelled, EventStatus.completed):
            raise Conflict(f"a {status.value} event cannot be changed")
        changes = {f: getattr(data, f) for f in data.__struct_fields__ if getattr(data, f) is not UNSET}
        programme = changes.pop("programme", UNSET)
        themes = changes.pop("themes", UNSET)
        if "visibility" in changes:
            changes["visibility"] = changes["visibility"].value
        merged = {**row, **changes}
        _check_rules(merged, EventKind(row["kind"]))
        if "capacity" in changes and changes["capacity"] is not None:
            await check_capacity(event_id, changes["capacity"])
        material = status is EventStatus.published and any(
            f in changes and changes[f] != row[f] for f in MATERIAL_FIELDS
        )
        values: dict[Any, Any] = {getattr(Event, f): v for f, v in changes.items()}
        if programme is not UNSET:
            values[Event.programme] = await _programme_id(programme)
        values[Event.updated_at] = utcnow()
        if material:
            values[Event.sequence] = Event.sequence + 1
        await Event.update(values).where(Event.id == event_id)
        if themes is not UNSET:
            theme_ids = await tag_ids(Theme, themes, "themes")
            await EventTheme.delete().where(EventTheme.event == event_id)
            if theme_ids:
                await EventTheme.insert(*(EventTheme(event=event_id, theme=t) for t in theme_ids))
        if material:
            await queue_for_event(event_id, EmailKind.event_changed, TOLD_OF_EVENT)
        if "capacity" in changes:
            await fill_from_waitlist(event_id)
    return await get_event(principal, event_id)


async def _transition(
    principal: Principal, event_id: int, allowed_from: set[EventStatus], to: EventStatus, **extra: Any
) -> EventOut:
    async with write_transaction():
        row = await managed_event_row(principal, event_id)
        current = EventStatus(row["status"])
        if current not in allowed_from:
            raise Conflict(f"a {current.value} event cannot become {to.value}")
        if to is EventStatus.completed and row["starts_at"] > utcnow():
            raise Conflict("an event can be completed only once it has started")
        values: dict[Any, Any] = {Event.status: to.value, Event.updated_at: utcnow()}
        values.update({getattr(Event, k): v for k, v in extra.items()})
        if to is EventStatus.cancelled and current is EventStatus.published:
            values[Event.sequence] = Event.sequence + 1
        await Event.update(values).where(Event.id == event_id)
        if to is EventStatus.published:
            await queue_for_event(event_id, None, TOLD_OF_EVENT)
        elif to is EventStatus.cancelled and current is EventStatus.published:
            await queue_for_event(event_id, EmailKind.event_cancelled, TOLD_OF_EVENT)
    return await get_event(principal, event_id)


async def publish_event(principal: Principal, event_id: int) -> EventOut:
    return await _transition(
        principal, event_id, {EventStatus.draft}, EventStatus.published, published_at=utcnow()
    )


async def cancel_event(principal: Principal, event_id: int) -> EventOut:
    return await _transition(
        principal,
        event_id,
        {EventStatus.draft, EventStatus.published},
        EventStatus.cancelled,
        cancelled_at=utcnow(),
    )


async def complete_event(principal: Principal, event_id: int) -> EventOut:
    return await _transition(principal, event_id, {EventStatus.published}, EventStatus.completed)


# ---------------------------------------------------------------- the organiser's preview


async def invitation_preview(
    principal: Principal, event_id: int, language: str, kind: EmailKind = EmailKind.invitation
) -> RenderedEmail:
    """The email a participant gets, rendered with the real template for a sample recipient; the RSVP
    links point nowhere (`#`), as they are made per recipient when the email is sent."""
    from email.utils import parseaddr

    from dtz_events.mail.services import MailSettings, event_context

    event = await managed_event_row(principal, event_id)
    settings = MailSettings.settings
    sample = {"nl": "Voorbeeld Deelnemer", "en": "Sample Participant"}.get(language, "Voorbeeld Deelnemer")
    context = {
        "person": {"name": sample},
        "event": event_context(event, language),
        "rsvp": {answer: "#" for answer in ("accepted", "tentative", "declined")},
        "ticket_url": "#",
        "survey": None,
        "has_calendar": True,
        "organiser_email": parseaddr(settings.mail_from)[1],
        "base_url": settings.base_url,
        "reminder_hours": event["reminder_hours"],
    }
    return render_email(kind.template, language, context)
