"""Registrations, seats and quotas. Seats are counted under a lock on the event row, so concurrent
registrations never overbook the event or a partner's quota; the rest wait in arrival order."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from piccolo.custom_types import Combinable
from piccolo.query.functions.aggregate import Count

from dtz_events.core import ical
from dtz_events.core.auth import Principal, Role
from dtz_events.core.clock import local, local_or_none, utcnow
from dtz_events.core.db import is_postgres, write_transaction
from dtz_events.core.errors import Conflict, InvalidInput, NotFound
from dtz_events.core.schemas import Page, Pagination, page_out
from dtz_events.events.schemas import EventKind, EventStatus, Visibility
from dtz_events.events.services import can_manage, get_event_row, visible_events
from dtz_events.events.tables import Event
from dtz_events.mail.schemas import EmailKind
from dtz_events.mail.services import calendar_entry, queue_for_registrations, queue_reminders
from dtz_events.partners.tables import Organisation, Person, Programme
from dtz_events.registrations.links import LinkPurpose, create_link, resolve_link, revoke_links
from dtz_events.registrations.schemas import (
    ACTIVE_STATUSES,
    QuotaOut,
    RegistrationOut,
    RegistrationStatus,
    Rsvp,
)
from dtz_events.registrations.tables import Quota, Registration

# ---------------------------------------------------------------- seats


def new_checkin_code() -> str:
    """Eight characters without look-alikes (no 0/O, 1/I/L), easy to type at the door."""
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    return "".join(secrets.choice(alphabet) for _ in range(8))


@dataclass
class Seats:
    """Who holds the confirmed seats of one event, and what each partner's quota reserves."""

    capacity: int
    quotas: dict[int, int]
    confirmed: dict[int, int]

    def available_for(self, organisation_id: int) -> bool:
        if sum(self.confirmed.values()) >= self.capacity:
            return False
        if organisation_id in self.quotas:
            return self.confirmed.get(organisation_id, 0) < self.quotas[organisation_id]
        open_seats = self.capacity - sum(self.quotas.values())
        return self.open_taken() < open_seats

    def open_taken(self) -> int:
        return sum(n for org, n in self.confirmed.items() if org not in self.quotas)

    def needed(self) -> int:
        """The least capacity that keeps every quota's seats: all quotas plus the open pool's people."""
        return sum(self.quotas.values()) + self.open_taken()

    def take(self, organisation_id: int) -> None:
        self.confirmed[organisation_id] = self.confirmed.get(organisation_id, 0) + 1

    def release(self, organisation_id: int) -> None:
        self.confirmed[organisation_id] -= 1


async def _load_seats(event_id: int, capacity: int) -> Seats:
    """Quotas and confirmed seats per organisation, in one round trip (this is the registration hot path)."""
    rows = await Registration.raw(
        "SELECT organisation, seats AS quota, 0 AS confirmed FROM quota WHERE event = {} "
        "UNION ALL SELECT organisation, NULL AS quota, count(*) AS confirmed FROM registration "
        "WHERE event = {} AND status = 'confirmed' GROUP BY organisation",
        event_id,
        event_id,
    )
    return Seats(
        capacity=capacity,
        quotas={r["organisation"]: r["quota"] for r in rows if r["quota"] is not None},
        confirmed={r["organisation"]: r["confirmed"] for r in rows if r["quota"] is None},
    )


async def check_capacity(event_id: int, capacity: int) -> None:
    """Inside write_transaction(), before an event's capacity changes: lock the event as registering does,
    and refuse a capacity below the confirmed people, or below the quotas plus the open pool's people."""
    await _lock_event(event_id)
    seats = await _load_seats(event_id, capacity)
    confirmed = sum(seats.confirmed.values())
    if capacity < confirmed:
        raise Conflict(f"{confirmed} people are confirmed; cancel registrations first", field="capacity")
    if capacity < seats.needed():
        raise Conflict(
            f"quotas reserve {sum(seats.quotas.values())} seats and {seats.open_taken()} people are "
            "confirmed in the open pool; lower the quotas first",
            field="capacity",
        )


_LOCKED_COLUMNS = (
    Event.id,
    Event.kind,
    Event.status,
    Event.visibility,
    Event.capacity,
    Event.starts_at,
    Event.registration_opens_at,
    Event.registration_closes_at,
)


async def _lock_event(event_id: int, principal: Principal | None = None) -> dict[str, Any] | None:
    """Inside write_transaction(): the event row, locked against other writers until commit. With a
    principal, only an event that principal may see (so one query both authorises and locks)."""
    where = visible_events(principal) if principal is not None else []
    query = Event.select(*_LOCKED_COLUMNS).where(Event.id == event_id, *where)
    if is_postgres():
        query = query.lock_rows()
    return await query.first()


async def fill_from_waitlist(event_id: int) -> list[int]:
    """Promote waiting registrations, first come first served, while seats allow. Call inside a write
    transaction; returns the promoted registration ids."""
    event = await _lock_event(event_id)
    if event is None or event["capacity"] is None or event["status"] in ("cancelled", "completed"):
        return []
    seats = await _load_seats(event_id, event["capacity"])
    waiting = (
        await Registration.select(Registration.id, Registration.organisation)
        .where(
            (Registration.event == event_id) & (Registration.status == RegistrationStatus.waitlisted.value)
        )
        .order_by(Registration.queued_at)
        .order_by(Registration.id)
    )
    promoted = []
    for row in waiting:
        if sum(seats.confirmed.values()) >= seats.capacity:
            break
        if seats.available_for(row["organisation"]):
            seats.take(row["organisation"])
            promoted.append(row["id"])
    if promoted:
        now = utcnow()
        await Registration.update(
            {
                Registration.status: RegistrationStatus.confirmed.value,
                Registration.status_changed_at: now,
                Registration.revision: Registration.revision + 1,
            }
        ).where(Registration.id.is_in(promoted))
        await queue_for_registrations(promoted, EmailKind.promoted)
    return promoted


# ---------------------------------------------------------------- visibility


def _visible_registrations(principal: Principal) -> list[Combinable]:
    if principal.is_partner:  # as for events: never board sessions or drafts, even of their own people
        return [
            Registration.organisation == principal.organisation_id,
            Registration.event.kind != EventKind.board_session.value,
            Registration.event.status != EventStatus.draft.value,
        ]
    if principal.role is Role.board_secretary:
        return [Registration.event.kind == EventKind.board_session.value]
    return []


def registration_out(row: dict[str, Any], person_name: str | None = None) -> RegistrationOut:
    return RegistrationOut(
        id=row["id"],
        event_id=row["event"],
        person_id=row["person"],
        person_name=person_name if person_name is not None else row["person.name"],
        organisation_id=row["organisation"],
        status=RegistrationStatus(row["status"]),
        rsvp=Rsvp(row["rsvp"]),
        queued_at=local(row["queued_at"]),
        checked_in_at=local_or_none(row["checked_in_at"]),
    )


_OUT_COLUMNS = (
    Registration.id,
    Registration.event,
    Registration.person,
    Registration.person.name,
    Registration.organisation,
    Registration.status,
    Registration.rsvp,
    Registration.queued_at,
    Registration.checked_in_at,
)


async def get_registration(principal: Principal, registration_id: int) -> RegistrationOut:
    row = (
        await Registration.select(*_OUT_COLUMNS)
        .where(Registration.id == registration_id, *_visible_registrations(principal))
        .first()
    )
    if row is None:
        raise NotFound("registration")
    return registration_out(row)


async def list_registrations(
    principal: Principal,
    event_id: int,
    pagination: Pagination,
    *,
    status: RegistrationStatus | None = None,
) -> Page[RegistrationOut]:
    event = await get_event_row(principal, event_id)
    if event["kind"] == EventKind.board_session.value and not can_manage(principal, EventKind.board_session):
        raise NotFound("event")
    where = [Registration.event == event_id, *_visible_registrations(principal)]
    if status:
        where.append(Registration.status == status.value)
    total = await Registration.count().where(*where)
    rows = (
        await Registration.select(*_OUT_COLUMNS)
        .where(*where)
        .order_by(Registration.queued_at)
        .order_by(Registration.id)
        .limit(pagination.per_page)
        .offset(pagination.offset)
    )
    return page_out([registration_out(r) for r in rows], total, pagination)


# ---------------------------------------------------------------- registering


def _check_may_register(principal: Principal, event: dict[str, Any], now: datetime) -> None:
    kind, status = EventKind(event["kind"]), EventStatus(event["status"])
    if status in (EventStatus.cancelled, EventStatus.completed):
        raise Conflict(f"the event is {status.value}")
    if can_manage(principal, kind):
        return  # organisers (and the secretary for board sessions) may add people at any time
    if kind is EventKind.board_session or event["visibility"] == Visibility.invited.value:
        raise Conflict("this event is by invitation of the organisers only")
    if status is not EventStatus.published:
        raise Conflict("the event is not open for registration yet")
    opens = event["registration_opens_at"]
    closes = event["registration_closes_at"] or event["starts_at"]
    if opens is not None and now < opens:
        raise Conflict(f"registration opens at {local(opens).isoformat()}")
    if now >= closes:
        raise Conflict("registration is closed")


async def _people(
    principal: Principal, event_id: int, person_ids: list[int], field: str
) -> dict[int, dict[str, Any]]:
    """The people (a partner: only its own), each with their registration for this event if any."""
    placeholders = ", ".join("{}" for _ in person_ids)
    sql = (
        "SELECT p.id, p.name, p.organisation, r.id AS registration_id, r.status FROM person p "
        "LEFT JOIN registration r ON r.person = p.id AND r.event = {} "
        f"WHERE p.id IN ({placeholders})"
    )
    params: list[Any] = [event_id, *person_ids]
    if principal.is_partner:
        sql += " AND p.organisation = {}"
        params.append(principal.organisation_id)
    found = {r["id"]: r for r in await Person.raw(sql, *params)}
    for index, person_id in enumerate(person_ids):
        if person_id not in found:
            name = field if len(person_ids) == 1 and field == "person_id" else f"{field}[{index}]"
            raise InvalidInput(name, "no such person")
    return found


async def register(
    principal: Principal, event_id: int, person_ids: list[int], field: str
) -> list[RegistrationOut]:
    """Register people, in the order given: each gets a seat, a place on the waiting list, or (for board
    sessions) an invitation. All or nothing: one bad person id writes nothing."""
    if len(set(person_ids)) != len(person_ids):
        raise InvalidInput(field, "a person appears twice")
    async with write_transaction():
        event = await _lock_event(event_id, principal)  # 404 for events the caller may not see
        if event is None:
            raise NotFound("event")
        now = utcnow()  # under the lock, so that (queued_at, id) is the order in which seats were handed out
        _check_may_register(principal, event, now)
        people = await _people(principal, event_id, person_ids, field)
        existing = {p: people[p] for p in person_ids if people[p]["registration_id"] is not None}
        for index, person_id in enumerate(person_ids):
            if person_id in existing and existing[person_id]["status"] in ACTIVE_STATUSES:
                name = field if field == "person_id" else f"{field}[{index}]"
                raise Conflict("this person is already registered for this event", field=name)
        board = event["kind"] == EventKind.board_session.value
        seats = None if board else await _load_seats(event_id, event["capacity"])
        results = []
        for person_id in person_ids:
            person = people[person_id]
            organisation_id = person["organisation"]
            if seats is None:
                status = RegistrationStatus.invited
            elif seats.available_for(organisation_id):
                status = RegistrationStatus.confirmed
                seats.take(organisation_id)
            else:
                status = RegistrationStatus.waitlisted
            row = {
                "event": event_id,
                "person": person_id,
                "organisation": organisation_id,
                "status": status.value,
                "rsvp": Rsvp.needs_action.value,
                "queued_at": now,
                "status_changed_at": now,
                "checked_in_at": None,
                "registered_by": principal.account_id,
            }
            if person_id in existing:
                row["id"] = existing[person_id]["registration_id"]
                values = {getattr(Registration, k): v for k, v in row.items() if k != "id"}
                values[Registration.revision] = Registration.revision + 1
                await Registration.update(values).where(Registration.id == row["id"])
            else:
                new_row = Registration(**row, checkin_code=new_checkin_code())
                inserted = await Registration.insert(new_row).returning(Registration.id)
                row["id"] = inserted[0]["id"]
            results.append(registration_out(row, person_name=person["name"]))
        await queue_for_registrations([r.id for r in results])
    return results


async def cancel_registration(principal: Principal, registration_id: int) -> RegistrationOut:
    current = await get_registration(principal, registration_id)
    async with write_transaction():
        event = await _lock_event(current.event_id)
        if event is None:
            raise NotFound("registration")
        row = await Registration.select(Registration.status).where(Registration.id == registration_id).first()
        if row is None or row["status"] not in ACTIVE_STATUSES:
            raise Conflict("this registration is not active")
        if principal.is_partner and event["starts_at"] <= utcnow():
            raise Conflict("the event has started; ask the organisers")
        await Registration.update(
            {
                Registration.status: RegistrationStatus.cancelled.value,
                Registration.status_changed_at: utcnow(),
                Registration.revision: Registration.revision + 1,
            }
        ).where(Registration.id == registration_id)
        had_calendar_entry = row["status"] != RegistrationStatus.waitlisted.value
        await queue_for_registrations(
            [registration_id], EmailKind.registration_cancelled, with_calendar=had_calendar_entry
        )
        if row["status"] == RegistrationStatus.confirmed.value:
            await fill_from_waitlist(current.event_id)
    return await get_registration(principal, registration_id)


async def substitute(principal: Principal, registration_id: int, person_id: int) -> RegistrationOut:
    """A swap: another person of the same organisation takes over this registration's place (its seat,
    waiting position or invitation). The first is cancelled and told so; the second gets the email their
    status calls for. No seat is freed in between, so nobody on the waiting list moves."""
    current = await get_registration(principal, registration_id)  # 404 for others' registrations
    async with write_transaction():
        event = await _lock_event(current.event_id, principal)
        if event is None:
            raise NotFound("registration")
        if event["status"] in (EventStatus.cancelled.value, EventStatus.completed.value):
            raise Conflict(f"the event is {event['status']}")
        row = (
            await Registration.select(Registration.status, Registration.queued_at, Registration.organisation)
            .where(Registration.id == registration_id)
            .first()
        )
        if row is None or row["status"] not in ACTIVE_STATUSES:
            raise Conflict("this registration is not active")
        if principal.is_partner and event["starts_at"] <= utcnow():
            raise Conflict("the event has started; ask the organisers")
        person = (await _people(principal, current.event_id, [person_id], "person_id"))[person_id]
        if person["organisation"] != row["organisation"]:
            raise InvalidInput("person_id", "must belong to the same organisation")
        if person["registration_id"] is not None and person["status"] in ACTIVE_STATUSES:
            raise Conflict("this person is already registered for this event", field="person_id")
        now = utcnow()
        await Registration.update(
            {
                Registration.status: RegistrationStatus.cancelled.value,
                Registration.status_changed_at: now,
                Registration.revision: Registration.revision + 1,
            }
        ).where(Registration.id == registration_id)
        values = {
            "event": current.event_id,
            "person": person_id,
            "organisation": row["organisation"],
            "status": row["status"],
            "rsvp": Rsvp.needs_action.value,
            "queued_at": row["queued_at"],  # the place in the queue is the organisation's, not the person's
            "status_changed_at": now,
            "checked_in_at": None,
            "registered_by": principal.account_id,
        }
        if person["registration_id"] is not None:
            new_id = person["registration_id"]
            update = {getattr(Registration, k): v for k, v in values.items()}
            update[Registration.revision] = Registration.revision + 1
            await Registration.update(update).where(Registration.id == new_id)
        else:
            inserted = await Registration.insert(
                Registration(**values, checkin_code=new_checkin_code())
            ).returning(Registration.id)
            new_id = inserted[0]["id"]
        await queue_for_registrations(
            [registration_id],
            EmailKind.registration_cancelled,
            with_calendar=row["status"] != RegistrationStatus.waitlisted.value,
        )
        await queue_for_registrations([new_id])
    return await get_registration(principal, new_id)


# ---------------------------------------------------------------- quotas


async def list_quotas(principal: Principal, event_id: int) -> list[QuotaOut]:
    await get_event_row(principal, event_id)
    where: list[Combinable] = [Quota.event == event_id]
    if principal.is_partner:
        where.append(Quota.organisation == principal.organisation_id)
    quotas = await Quota.select(Quota.organisation, Quota.seats).where(*where).order_by(Quota.organisation)
    counts = {
        c["organisation"]: c["n"]
        for c in await Registration.select(Registration.organisation, Count(alias="n"))
        .where((Registration.event == event_id) & (Registration.status == RegistrationStatus.confirmed.value))
        .group_by(Registration.organisation)
    }
    return [
        QuotaOut(
            event_id=event_id,
            organisation_id=q["organisation"],
            seats=q["seats"],
            confirmed=counts.get(q["organisation"], 0),
        )
        for q in quotas
    ]


async def set_quota(principal: Principal, event_id: int, organisation_id: int, seats: int) -> QuotaOut:
    if not await Organisation.exists().where(Organisation.id == organisation_id):
        raise NotFound("organisation")
    async with write_transaction():
        await get_event_row(principal, event_id)
        event = await _lock_event(event_id)
        if event is None or event["capacity"] is None:
            raise Conflict("this event has no capacity to divide")
        if event["status"] in ("cancelled", "completed"):
            raise Conflict(f"the event is {event['status']}")
        current = await _load_seats(event_id, event["capacity"])
        others = sum(n for org, n in current.quotas.items() if org != organisation_id)
        if others + seats > event["capacity"]:
            raise InvalidInput("seats", f"quotas would exceed the capacity of {event['capacity']}")
        if seats < current.confirmed.get(organisation_id, 0):
            raise Conflict(
                f"{current.confirmed[organisation_id]} people of this partner are confirmed", field="seats"
            )
        after = Seats(event["capacity"], {**current.quotas, organisation_id: seats}, current.confirmed)
        if after.needed() > event["capacity"]:
            raise Conflict(
                f"{after.open_taken()} people are confirmed in the open pool, which would keep "
                f"{event['capacity'] - others - seats} seats",
                field="seats",
            )
        if organisation_id in current.quotas:
            await Quota.update({Quota.seats: seats}).where(
                (Quota.event == event_id) & (Quota.organisation == organisation_id)
            )
        else:
            await Quota.insert(Quota(event=event_id, organisation=organisation_id, seats=seats))
        await fill_from_waitlist(event_id)
    return next(q for q in await list_quotas(principal, event_id) if q.organisation_id == organisation_id)


async def remove_quota(principal: Principal, event_id: int, organisation_id: int) -> None:
    async with write_transaction():
        await get_event_row(principal, event_id)
        if not await Quota.exists().where(
            (Quota.event == event_id) & (Quota.organisation == organisation_id)
        ):
            raise NotFound("quota")
        await _lock_event(event_id)
        await Quota.delete().where((Quota.event == event_id) & (Quota.organisation == organisation_id))
        await fill_from_waitlist(event_id)


# ---------------------------------------------------------------- due work


async def queue_due_reminders(now: datetime) -> int:
    """Scheduler job: reminders for published events whose reminder time has come and that have not begun."""
    horizon = now + timedelta(hours=24 * 60)
    events = await Event.select(Event.id, Event.starts_at, Event.reminder_hours).where(
        (Event.status == EventStatus.published.value)
        & (Event.starts_at > now)
        & (Event.starts_at <= horizon)
        & (Event.reminder_hours > 0)
    )
    queued = 0
    for event in events:
        if event["starts_at"] - timedelta(hours=event["reminder_hours"]) <= now:
            queued += len(await queue_reminders(event["id"], event["starts_at"]))
    return queued


# ---------------------------------------------------------------- RSVP from the email's link


async def rsvp_context(token: str) -> dict[str, Any]:
    """The registration (with its check-in code), person and event behind an RSVP link; NotFound for a bad
    or revoked link."""
    link = await resolve_link(LinkPurpose.rsvp, token)
    if link is None or link["registration"] is None:
        raise NotFound("link")
    row = (
        await Registration.select(
            Registration.id,
            Registration.status,
            Registration.rsvp,
            Registration.event,
            Registration.checkin_code,
            Registration.checked_in_at,
            Registration.person.name.as_alias("person_name"),
            Registration.person.language.as_alias("language"),
        )
        .where(Registration.id == link["registration"])
        .first()
    )
    if row is None:
        raise NotFound("link")
    event = await Event.select().where(Event.id == row["event"]).first()
    assert event is not None
    return {"registration": row, "event": event}


async def answer_rsvp(token: str, answer: Rsvp) -> dict[str, Any]:
    """Record the answer. Declining keeps the seat (the person may change their mind until the event)."""
    context = await rsvp_context(token)
    registration, event = context["registration"], context["event"]
    if event["status"] != EventStatus.published.value:
        raise Conflict(f"the event is {event['status']}")
    if registration["status"] not in (RegistrationStatus.confirmed.value, RegistrationStatus.invited.value):
        raise Conflict("this registration is not active")
    async with write_transaction():
        await Registration.update({Registration.rsvp: answer.value}).where(
            Registration.id == registration["id"]
        )
        if event["kind"] == EventKind.board_session.value:
            # A board member who accepts takes the seat back from the deputy (board builds on this module).
            from dtz_events.board.services import after_rsvp

            await after_rsvp(registration["id"], answer)
    registration["rsvp"] = answer.value
    return context


# ---------------------------------------------------------------- calendar feeds

FEED_STATUSES = [RegistrationStatus.confirmed.value, RegistrationStatus.invited.value]


def _feed_url(base_url: str, token: str) -> str:
    return f"{base_url}/feeds/{token}.ics"


async def create_person_feed_link(principal: Principal, person_id: int, base_url: str) -> str:
    where: list[Combinable] = [Person.id == person_id]
    if principal.is_partner:
        where.append(Person.organisation == principal.organisation_id)
    if not await Person.exists().where(*where):
        raise NotFound("person")
    return _feed_url(base_url, await create_link(LinkPurpose.person_feed, person_id=person_id))


async def revoke_person_feed_links(principal: Principal, person_id: int) -> int:
    where: list[Combinable] = [Person.id == person_id]
    if principal.is_partner:
        where.append(Person.organisation == principal.organisation_id)
    if not await Person.exists().where(*where):
        raise NotFound("person")
    return await revoke_links(LinkPurpose.person_feed, person_id=person_id)


async def create_partner_feed_link(principal: Principal, base_url: str) -> str:
    if principal.organisation_id is None:
        raise Conflict("only partner coordinators have a partner feed")
    token = await create_link(LinkPurpose.partner_feed, organisation_id=principal.organisation_id)
    return _feed_url(base_url, token)


async def revoke_partner_feed_links(principal: Principal) -> int:
    if principal.organisation_id is None:
        raise Conflict("only partner coordinators have a partner feed")
    return await revoke_links(LinkPurpose.partner_feed, organisation_id=principal.organisation_id)


async def _feed_events(where: Combinable) -> list[dict[str, Any]]:
    event_ids = Registration.select(Registration.event).where(where, Registration.status.is_in(FEED_STATUSES))
    return (
        await Event.select()
        .where(Event.id.is_in(event_ids), Event.status != EventStatus.draft.value)
        .order_by(Event.starts_at)
    )


def _entries(events: list[dict[str, Any]]) -> list[ical.CalendarEntry]:
    return [
        calendar_entry(e, e["sequence"], cancelled=e["status"] == EventStatus.cancelled.value) for e in events
    ]


async def feed_for_token(token: str) -> bytes:
    """The calendar behind a personal or partner feed link; NotFound for a bad or revoked one."""
    token = token.removesuffix(".ics")
    link = await resolve_link(LinkPurpose.person_feed, token)
    if link is not None and link["person"] is not None:
        person = await Person.select(Person.name).where(Person.id == link["person"]).first()
        events = await _feed_events(Registration.person == link["person"])
        return ical.feed(f"Dutch TechZone – {person['name'] if person else ''}", _entries(events))
    link = await resolve_link(LinkPurpose.partner_feed, token)
    if link is not None and link["organisation"] is not None:
        organisation = (
            await Organisation.select(Organisation.name)
            .where(Organisation.id == link["organisation"])
            .first()
        )
        events = await _feed_events(Registration.organisation == link["organisation"])
        return ical.feed(f"Dutch TechZone – {organisation['name'] if organisation else ''}", _entries(events))
    raise NotFound("feed")


async def programme_feed(slug: str) -> bytes:
    programme = await Programme.select(Programme.id, Programme.name_nl).where(Programme.slug == slug).first()
    if programme is None:
        raise NotFound("programme")
    events = (
        await Event.select()
        .where(
            (Event.programme == programme["id"])
            & Event.status.is_in(
                [EventStatus.published.value, EventStatus.cancelled.value, EventStatus.completed.value]
            )
            & (Event.visibility == Visibility.public.value)
            & (Event.kind != EventKind.board_session.value)
        )
        .order_by(Event.starts_at)
    )
    return ical.feed(f"Dutch TechZone – {programme['name_nl']}", _entries(events))
