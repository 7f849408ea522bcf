"""Board sessions: who sits on the board, who is invited (a member, or the deputy the member hands the seat
to), the agenda, the quorum from the RSVPs, and after the session the minutes, numbered decisions and
action items. A member's invitation is a registration of the board session, so the RSVP links of the
registrations domain answer it; `after_rsvp` is the one call back from there."""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import nh3
from markdown_it import MarkdownIt
from msgspec import UNSET
from piccolo.custom_types import Combinable

from dtz_events.accounts.tables import Account
from dtz_events.board import emails
from dtz_events.board.schemas import (
    ActionIn,
    ActionOut,
    ActionStatus,
    ActionUpdate,
    AgendaIn,
    AgendaItemOut,
    ApproveIn,
    DecisionIn,
    DecisionOut,
    DocumentOut,
    InvitationOut,
    ItemKind,
    MembershipCreate,
    MembershipOut,
    MembershipUpdate,
    PersonRef,
    PollChoice,
    PollIn,
    PollOptionOut,
    Quorum,
    QuorumRule,
    SeatRole,
    SessionOut,
    SessionSettings,
)
from dtz_events.board.tables import (
    QUORUM_RULE,
    QUORUM_WARNING_HOURS,
    ActionItem,
    AgendaItem,
    BoardInvitation,
    BoardMembership,
    BoardSession,
    Decision,
    DecisionCounter,
    PollAnswer,
    PollOption,
)
from dtz_events.core.auth import STAFF, Principal
from dtz_events.core.clock import local, utcnow
from dtz_events.core.db import is_postgres, write_transaction
from dtz_events.core.errors import Conflict, InvalidInput, NotFound
from dtz_events.events.schemas import EventKind, EventStatus, EventUpdate
from dtz_events.events.services import publish_event, update_event
from dtz_events.events.tables import Event
from dtz_events.partners.tables import Organisation, Person
from dtz_events.registrations.links import LinkPurpose, resolve_link
from dtz_events.registrations.schemas import RegistrationStatus, Rsvp
from dtz_events.registrations.services import new_checkin_code
from dtz_events.registrations.tables import Registration

logger = logging.getLogger(__name__)

ACTION_REMINDER_DAYS = 3  # owners are reminded this many days before an action is due
ACTIVE = RegistrationStatus.invited.value

# ---------------------------------------------------------------- who may see the board


@dataclass(frozen=True, slots=True)
class Viewer:
    """Someone who may see board sessions: the secretary or an organiser (`manages`), or a board member or
    deputy (`person_id`), known by their board link or by an account with the same email address."""

    manages: bool
    person_id: int | None = None
    principal: Principal | None = None


async def is_board_person(person_id: int) -> bool:
    return await BoardMembership.exists().where(
        BoardMembership.active.eq(True)
        & ((BoardMembership.member == person_id) | (BoardMembership.deputy == person_id))
    )


async def viewer_for_principal(principal: Principal) -> Viewer:
    """Staff manage the board; a partner coordinator whose email is a board member's may read; anyone
    else learns nothing (404, as for a board session that does not exist)."""
    if principal.role in STAFF:
        return Viewer(manages=True, principal=principal)
    person = await Person.select(Person.id).where(Person.email == principal.email.lower()).first()
    if person is not None and await is_board_person(person["id"]):
        return Viewer(manages=False, person_id=person["id"], principal=principal)
    raise NotFound("board session")


async def viewer_for_token(token: str) -> Viewer:
    link = await resolve_link(LinkPurpose.board, token)
    if link is None or link["person"] is None or not await is_board_person(link["person"]):
        raise NotFound("link")
    return Viewer(manages=False, person_id=link["person"])


async def manager(principal: Principal) -> Viewer:
    viewer = await viewer_for_principal(principal)
    if not viewer.manages:
        raise NotFound("board session")  # members read; they never learn what the secretary can change
    return viewer


# ---------------------------------------------------------------- memberships


async def _person_refs(ids: list[int]) -> dict[int, PersonRef]:
    wanted = [i for i in set(ids) if i is not None]
    if not wanted:
        return {}
    rows = await Person.select(Person.id, Person.name).where(Person.id.is_in(wanted))
    return {r["id"]: PersonRef(id=r["id"], name=r["name"]) for r in rows}


async def list_memberships(principal: Principal) -> list[MembershipOut]:
    await viewer_for_principal(principal)
    rows = await BoardMembership.select().order_by(BoardMembership.role).order_by(BoardMembership.seat)
    people = await _person_refs([r["member"] for r in rows] + [r["deputy"] for r in rows])
    return [
        MembershipOut(
            id=r["id"],
            seat=r["seat"],
            role=SeatRole(r["role"]),
            organisation_id=r["organisation"],
            member=people[r["member"]],
            deputy=people.get(r["deputy"]) if r["deputy"] else None,
            active=r["active"],
        )
        for r in rows
    ]


async def _check_person(person_id: int | None, field: str) -> None:
    if person_id is not None and not await Person.exists().where(Person.id == person_id):
        raise InvalidInput(field, "no such person")


async def _check_organisation(organisation_id: int | None) -> None:
    if organisation_id is not None and not await Organisation.exists().where(
        Organisation.id == organisation_id
    ):
        raise InvalidInput("organisation_id", "no such organisation")


async def create_membership(principal: Principal, data: MembershipCreate) -> MembershipOut:
    await manager(principal)
    await _check_person(data.member_id, "member_id")
    await _check_person(data.deputy_id, "deputy_id")
    await _check_organisation(data.organisation_id)
    if data.deputy_id == data.member_id:
        raise InvalidInput("deputy_id", "the deputy must be someone other than the member")
    async with write_transaction():
        if await BoardMembership.exists().where(BoardMembership.seat == data.seat):
            raise Conflict("this seat exists already", field="seat")
        if data.role is SeatRole.chair:
            await _check_one_chair(None)
        row = BoardMembership(
            seat=data.seat,
            member=data.member_id,
            deputy=data.deputy_id,
            organisation=data.organisation_id,
            role=data.role.value,
        )
        await row.save()
    return next(m for m in await list_memberships(principal) if m.id == row.id)


async def _check_one_chair(except_id: int | None) -> None:
    where: list[Combinable] = [BoardMembership.role == SeatRole.chair.value, BoardMembership.active.eq(True)]
    if except_id is not None:
        where.append(BoardMembership.id != except_id)
    if await BoardMembership.exists().where(*where):
        raise Conflict("the board has a chair already", field="role")


async def update_membership(
    principal: Principal, membership_id: int, data: MembershipUpdate
) -> MembershipOut:
    await manager(principal)
    async with write_transaction():
        row = await BoardMembership.select().where(BoardMembership.id == membership_id).first()
        if row is None:
            raise NotFound("membership")
        values: dict[Any, Any] = {}
        if data.member_id is not UNSET:
            await _check_person(data.member_id, "member_id")
            values[BoardMembership.member] = data.member_id
        if data.deputy_id is not UNSET:
            await _check_person(data.deputy_id, "deputy_id")
            values[BoardMembership.deputy] = data.deputy_id
        if data.organisation_id is not UNSET:
            await _check_organisation(data.organisation_id)
            values[BoardMembership.organisation] = data.organisation_id
        if data.role is not UNSET:
            if data.role is SeatRole.chair:
                await _check_one_chair(membership_id)
            values[BoardMembership.role] = data.role.value
        if data.active is not UNSET:
            values[BoardMembership.active] = data.active
        member = values.get(BoardMembership.member, row["member"])
        if member is not None and member == values.get(BoardMembership.deputy, row["deputy"]):
            raise InvalidInput("deputy_id", "the deputy must be someone other than the member")
        if values:
            await BoardMembership.update(values).where(BoardMembership.id == membership_id)
    return next(m for m in await list_memberships(principal) if m.id == membership_id)


# ---------------------------------------------------------------- sessions


async def _event(event_id: int, viewer: Viewer, *, lock: bool = False) -> dict[str, Any]:
    """The board session's event, if the viewer may see it: staff see drafts, members see a draft only
    while its date poll is open."""
    query = Event.select().where((Event.id == event_id) & (Event.kind == EventKind.board_session.value))
    if lock and is_postgres():
        query = query.lock_rows()
    event = await query.first()
    if event is None:
        raise NotFound("board session")
    if not viewer.manages and event["status"] == EventStatus.draft.value:
        session = (
            await BoardSession.select(BoardSession.poll_status).where(BoardSession.event == event_id).first()
        )
        if session is None or session["poll_status"] != "open":
            raise NotFound("board session")
    return event


async def session_row(event_id: int) -> dict[str, Any]:
    """The session's own row, made on first use (every board session event has one)."""
    row = await BoardSession.select().where(BoardSession.event == event_id).first()
    if row is not None:
        return row
    await BoardSession.raw(
        "INSERT INTO board_session (event, quorum_rule, quorum_warning_hours, agenda_version, quorum_count,"
        " quorum_warned_at, invitations_sent_at, minutes_approved_at, minutes_approved_in, poll_status)"
        " VALUES ({}, {}, {}, 0, NULL, NULL, NULL, NULL, NULL, NULL) ON CONFLICT (event) DO NOTHING",
        event_id,
        QUORUM_RULE,
        QUORUM_WARNING_HOURS,
    )
    row = await BoardSession.select().where(BoardSession.event == event_id).first()
    assert row is not None
    return row


async def _open_session(
    event_id: int, viewer: Viewer, *, lock: bool = False
) -> tuple[dict[str, Any], dict[str, Any]]:
    event = await _event(event_id, viewer, lock=lock)
    return event, await session_row(event_id)


def _frozen(session: dict[str, Any]) -> None:
    if session["minutes_approved_at"] is not None:
        raise Conflict("the minutes of this session are approved and can no longer be changed")


async def get_session(viewer: Viewer, event_id: int) -> SessionOut:
    event, session = await _open_session(event_id, viewer)
    return await _session_out(viewer, event, session)


async def session_for_principal(principal: Principal, event_id: int) -> SessionOut:
    return await get_session(await viewer_for_principal(principal), event_id)


async def update_settings(principal: Principal, event_id: int, data: SessionSettings) -> SessionOut:
    viewer = await manager(principal)
    async with write_transaction():
        _, session = await _open_session(event_id, viewer, lock=True)
        values: dict[Any, Any] = {}
        rule = QuorumRule(session["quorum_rule"]) if data.quorum_rule is UNSET else data.quorum_rule
        count = session["quorum_count"] if data.quorum_count is UNSET else data.quorum_count
        if rule is QuorumRule.fixed and count is None:
            raise InvalidInput("quorum_count", "the rule 'fixed' needs the number of seats")
        values[BoardSession.quorum_rule] = rule.value
        values[BoardSession.quorum_count] = count
        if data.quorum_warning_hours is not UNSET:
            values[BoardSession.quorum_warning_hours] = data.quorum_warning_hours
        await BoardSession.update(values).where(BoardSession.id == session["id"])
    return await get_session(viewer, event_id)


# ---------------------------------------------------------------- quorum


def required_seats(rule: QuorumRule, seats: int, count: int | None) -> int:
    if rule is QuorumRule.majority:
        return seats // 2 + 1
    if rule is QuorumRule.two_thirds:
        return math.ceil(2 * seats / 3)
    return count or 1


async def _invitation_rows(session_id: int) -> list[dict[str, Any]]:
    return (
        await BoardInvitation.select(
            BoardInvitation.id,
            BoardInvitation.membership,
            BoardInvitation.membership.seat.as_alias("seat"),
            BoardInvitation.registration,
            BoardInvitation.as_deputy,
            BoardInvitation.attended,
            BoardInvitation.registration.status.as_alias("status"),
            BoardInvitation.registration.rsvp.as_alias("rsvp"),
            BoardInvitation.registration.person.as_alias("person"),
            BoardInvitation.registration._.person._.name.as_alias("person_name"),
        )
        .where(BoardInvitation.session == session_id)
        .order_by(BoardInvitation.id)
    )


async def quorum(session: dict[str, Any]) -> Quorum:
    """Seats represented now: a seat whose member or deputy has accepted. Undecided: seats not represented
    whose invitee has not answered (or answered maybe), and seats not invited yet."""
    seats = {
        r["id"]
        for r in await BoardMembership.select(BoardMembership.id).where(BoardMembership.active.eq(True))
    }
    answers: dict[int, list[str]] = {}
    for row in await _invitation_rows(session["id"]):
        if row["membership"] in seats and row["status"] == ACTIVE:
            answers.setdefault(row["membership"], []).append(row["rsvp"])
    represented = {seat for seat, given in answers.items() if Rsvp.accepted.value in given}
    maybe = (Rsvp.needs_action.value, Rsvp.tentative.value)
    undecided = {
        seat for seat in seats - represented if seat not in answers or any(a in maybe for a in answers[seat])
    }
    rule = QuorumRule(session["quorum_rule"])
    required = required_seats(rule, len(seats), session["quorum_count"])
    reached = len(represented) >= required
    return Quorum(
        rule=rule,
        seats=len(seats),
        required=required,
        represented=len(represented),
        undecided=len(undecided),
        reached=reached,
        at_risk=not reached,
    )


async def quorum_for_principal(principal: Principal, event_id: int) -> Quorum:
    viewer = await manager(principal)
    _, session = await _open_session(event_id, viewer)
    return await quorum(session)


# ---------------------------------------------------------------- invitations


async def _register(event_id: int, person_id: int) -> tuple[int, int]:
    """The person's registration of the session, invited (afresh if it was cancelled or declined by the
    organisers; kept, answer and all, if it is active); returns its id and revision."""
    person = await Person.select(Person.organisation).where(Person.id == person_id).first()
    assert person is not None
    now = utcnow()
    existing = (
        await Registration.select(Registration.id, Registration.status, Registration.revision)
        .where((Registration.event == event_id) & (Registration.person == person_id))
        .first()
    )
    if existing is not None and existing["status"] == ACTIVE:
        return existing["id"], existing["revision"]
    if existing is not None:
        await Registration.update(
            {
                Registration.status: ACTIVE,
                Registration.rsvp: Rsvp.needs_action.value,
                Registration.status_changed_at: now,
                Registration.revision: Registration.revision + 1,
            }
        ).where(Registration.id == existing["id"])
        registration_id = existing["id"]
    else:
        inserted = await Registration.insert(
            Registration(
                event=event_id,
                person=person_id,
                organisation=person["organisation"],
                status=ACTIVE,
                rsvp=Rsvp.needs_action.value,
                queued_at=now,
                status_changed_at=now,
                checkin_code=new_checkin_code(),
            )
        ).returning(Registration.id)
        registration_id = inserted[0]["id"]
    row = await Registration.select(Registration.revision).where(Registration.id == registration_id).first()
    assert row is not None
    return registration_id, row["revision"]


async def send_invitations(principal: Principal, event_id: int) -> SessionOut:
    """Invite every seat's member who is not invited yet (publishing a draft session first). Calling it
    again after a seat is added invites only the new member."""
    viewer = await manager(principal)
    async with write_transaction():
        event, session = await _open_session(event_id, viewer, lock=True)
        if event["status"] == EventStatus.draft.value:
            await publish_event(principal, event_id)
            event = await _event(event_id, viewer)
        if event["status"] != EventStatus.published.value:
            raise Conflict(f"the session is {event['status']}")
        if event["starts_at"] <= utcnow():
            raise Conflict("the session has begun")
        invited = {
            r["membership"]
            for r in await BoardInvitation.select(BoardInvitation.membership).where(
                (BoardInvitation.session == session["id"]) & BoardInvitation.as_deputy.eq(False)
            )
        }
        memberships = await BoardMembership.select().where(BoardMembership.active.eq(True))
        for membership in memberships:
            if membership["id"] in invited:
                continue
            registration_id, revision = await _register(event_id, membership["member"])
            await BoardInvitation.insert(
                BoardInvitation(
                    session=session["id"], membership=membership["id"], registration=registration_id
                )
            )
            await emails.queue_invitation(event, registration_id, revision)
        await BoardSession.update({BoardSession.invitations_sent_at: utcnow()}).where(
            BoardSession.id == session["id"]
        )
    return await get_session(viewer, event_id)


async def _invitation_of(registration_id: int) -> dict[str, Any] | None:
    return (
        await BoardInvitation.select(
            BoardInvitation.id,
            BoardInvitation.session,
            BoardInvitation.membership,
            BoardInvitation.as_deputy,
            BoardInvitation.membership.deputy.as_alias("deputy"),
            BoardInvitation.registration.event.as_alias("event"),
        )
        .where(BoardInvitation.registration == registration_id)
        .first()
    )


async def _hand_over(invitation: dict[str, Any]) -> None:
    """The member declined and hands the seat to the deputy, who gets an invitation of their own."""
    if invitation["as_deputy"]:
        raise Conflict("only the member of a seat can hand it over", field="hand_over")
    if invitation["deputy"] is None:
        raise Conflict("this seat has no deputy", field="hand_over")
    event_id = invitation["event"]
    current = (
        await BoardInvitation.select(
            BoardInvitation.registration, BoardInvitation.registration.status.as_alias("status")
        )
        .where(
            (BoardInvitation.session == invitation["session"])
            & (BoardInvitation.membership == invitation["membership"])
            & BoardInvitation.as_deputy.eq(True)
            & (BoardInvitation.registration.person == invitation["deputy"])
        )
        .first()
    )
    if current is not None and current["status"] == ACTIVE:
        return  # handed over already
    registration_id, revision = await _register(event_id, invitation["deputy"])
    if current is None:
        await BoardInvitation.insert(
            BoardInvitation(
                session=invitation["session"],
                membership=invitation["membership"],
                registration=registration_id,
                as_deputy=True,
            )
        )
    event = await Event.select().where(Event.id == event_id).first()
    assert event is not None
    await emails.queue_invitation(event, registration_id, revision)


async def _take_back(invitation: dict[str, Any]) -> None:
    """The member accepts after all: the deputy's invitation is cancelled (a CANCEL to their calendar)."""
    if invitation["as_deputy"]:
        return
    deputies = await BoardInvitation.select(BoardInvitation.registration).where(
        (BoardInvitation.session == invitation["session"])
        & (BoardInvitation.membership == invitation["membership"])
        & BoardInvitation.as_deputy.eq(True)
        & (BoardInvitation.registration.status == ACTIVE)
    )
    if not deputies:
        return
    event = await Event.select().where(Event.id == invitation["event"]).first()
    assert event is not None
    for deputy in deputies:
        await Registration.update(
            {
                Registration.status: RegistrationStatus.cancelled.value,
                Registration.status_changed_at: utcnow(),
                Registration.revision: Registration.revision + 1,
            }
        ).where(Registration.id == deputy["registration"])
        await emails.queue_deputy_cancelled(event, deputy["registration"])


async def after_rsvp(registration_id: int, answer: Rsvp) -> None:
    """Called by the registrations domain, in its transaction, after an RSVP to a board session: a member
    who accepts takes the seat back from the deputy."""
    invitation = await _invitation_of(registration_id)
    if invitation is not None and answer is Rsvp.accepted:
        await _take_back(invitation)


async def _answer(event_id: int, registration_id: int, answer: Rsvp, hand_over: bool) -> None:
    """Inside write_transaction(): record the answer, hand the seat over if asked, take it back on yes."""
    if hand_over and answer is not Rsvp.declined:
        raise InvalidInput("hand_over", "only a member who declines can hand the seat over")
    await Registration.update({Registration.rsvp: answer.value}).where(Registration.id == registration_id)
    invitation = await _invitation_of(registration_id)
    if invitation is None:
        raise NotFound("invitation")
    if hand_over:
        await _hand_over(invitation)
    await after_rsvp(registration_id, answer)


async def _own_registration(session_id: int, person_id: int) -> int:
    row = (
        await BoardInvitation.select(BoardInvitation.registration)
        .where(
            (BoardInvitation.session == session_id)
            & (BoardInvitation.registration.person == person_id)
            & (BoardInvitation.registration.status == ACTIVE)
        )
        .first()
    )
    if row is None:
        raise Conflict("you are not invited to this session")
    return int(row["registration"])


def _check_answerable(event: dict[str, Any]) -> None:
    if event["status"] != EventStatus.published.value:
        raise Conflict(f"the session is {event['status']}")
    if event["starts_at"] <= utcnow():
        raise Conflict("the session has begun")


async def answer_as_member(viewer: Viewer, event_id: int, answer: Rsvp, hand_over: bool) -> None:
    assert viewer.person_id is not None
    async with write_transaction():
        event, session = await _open_session(event_id, viewer, lock=True)
        _check_answerable(event)
        registration_id = await _own_registration(session["id"], viewer.person_id)
        await _answer(event_id, registration_id, answer, hand_over)


async def answer_on_behalf(
    principal: Principal, event_id: int, person_id: int, answer: Rsvp, hand_over: bool
) -> SessionOut:
    """The secretary records an answer a member gave by phone or in the hallway."""
    viewer = await manager(principal)
    async with write_transaction():
        event, session = await _open_session(event_id, viewer, lock=True)
        _check_answerable(event)
        try:
            registration_id = await _own_registration(session["id"], person_id)
        except Conflict:
            raise InvalidInput("person_id", "this person is not invited to this session") from None
        await _answer(event_id, registration_id, answer, hand_over)
    return await get_session(viewer, event_id)


# ---------------------------------------------------------------- agenda


def _agenda_signature(items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            i["title"],
            i["kind"],
            i["presenter"],
            i["minutes_allotted"],
            tuple((d["title"], d["url"]) for d in i["documents"]),
        )
        for i in items
    ]


async def _agenda_rows(session_id: int) -> list[dict[str, Any]]:
    rows = await AgendaItem.select().where(AgendaItem.session == session_id).order_by(AgendaItem.position)
    for row in rows:
        row["documents"] = _documents(row["documents"])
    return rows


def _documents(value: Any) -> list[dict[str, str]]:
    if isinstance(value, str):
        value = json.loads(value or "[]")
    return [{"title": str(d["title"]), "url": str(d["url"])} for d in value or []]


async def set_agenda(principal: Principal, event_id: int, data: AgendaIn) -> SessionOut:
    """Replace the agenda: items with an id are kept (with their minutes), new ones added, missing ones
    removed. Once the invitations are out, a changed agenda goes to every invitee as a change notice."""
    viewer = await manager(principal)
    async with write_transaction():
        event, session = await _open_session(event_id, viewer, lock=True)
        _frozen(session)
        if event["status"] == EventStatus.cancelled.value:
            raise Conflict("the session is cancelled")
        before = await _agenda_rows(session["id"])
        known = {r["id"]: r for r in before}
        kept: set[int] = set()
        for index, item in enumerate(data.items):
            if item.id is not None:
                if item.id not in known:
                    raise InvalidInput(f"items[{index}].id", "no such agenda item in this session")
                if item.id in kept:
                    raise InvalidInput(f"items[{index}].id", "this item appears twice")
                kept.add(item.id)
        for row in before:
            if row["id"] not in kept and row["minutes"].strip():
                raise Conflict(f"agenda item {row['id']} has minutes; keep it on the agenda", field="items")
        removed = [r["id"] for r in before if r["id"] not in kept]
        if removed:
            await AgendaItem.delete().where(AgendaItem.id.is_in(removed))
        for index, item in enumerate(data.items):
            values: dict[str, Any] = {
                "position": index + 1,
                "title": item.title,
                "kind": item.kind.value,
                "presenter": item.presenter,
                "minutes_allotted": item.minutes_allotted,
                "documents": json.dumps([{"title": d.title, "url": d.url} for d in item.documents]),
            }
            if item.id is not None:
                await AgendaItem.update({getattr(AgendaItem, k): v for k, v in values.items()}).where(
                    AgendaItem.id == item.id
                )
            else:
                await AgendaItem.insert(AgendaItem(session=session["id"], **values))
        after = await _agenda_rows(session["id"])
        changed = _agenda_signature(before) != _agenda_signature(after)
        if changed:
            version = session["agenda_version"] + 1
            await BoardSession.update({BoardSession.agenda_version: version}).where(
                BoardSession.id == session["id"]
            )
            if (
                session["invitations_sent_at"] is not None
                and event["status"] == EventStatus.published.value
                and event["starts_at"] > utcnow()
            ):
                await emails.queue_agenda_changed(event, session["id"], version)
    return await get_session(viewer, event_id)


# ---------------------------------------------------------------- minutes

_MARKDOWN = MarkdownIt("commonmark", {"html": False})


def render_markdown(text: str) -> str:
    """Minutes as HTML that is safe to show: raw HTML is not passed through by the parser (so `<script>`
    stays text), and nh3 keeps only harmless tags and attributes as a second line of defence."""
    return nh3.clean(_MARKDOWN.render(text or ""))


async def set_minutes(principal: Principal, event_id: int, item_id: int, text: str) -> AgendaItemOut:
    viewer = await manager(principal)
    async with write_transaction():
        _, session = await _open_session(event_id, viewer, lock=True)
        _frozen(session)
        rows = (
            await AgendaItem.update({AgendaItem.minutes: text, AgendaItem.minutes_updated_at: utcnow()})
            .where((AgendaItem.id == item_id) & (AgendaItem.session == session["id"]))
            .returning(AgendaItem.id)
        )
        if not rows:
            raise NotFound("agenda item")
    item = next(i for i in await _agenda_rows(session["id"]) if i["id"] == item_id)
    return _item_out(item)


async def set_attendance(principal: Principal, event_id: int, present: list[int]) -> SessionOut:
    viewer = await manager(principal)
    async with write_transaction():
        event, session = await _open_session(event_id, viewer, lock=True)
        _frozen(session)
        if event["starts_at"] > utcnow():
            raise Conflict("attendance is recorded once the session has begun")
        invitations = {r["person"]: r for r in await _invitation_rows(session["id"]) if r["status"] == ACTIVE}
        for index, person_id in enumerate(present):
            if person_id not in invitations:
                raise InvalidInput(f"present[{index}]", "this person is not invited to this session")
        for person_id, row in invitations.items():
            await BoardInvitation.update({BoardInvitation.attended: person_id in present}).where(
                BoardInvitation.id == row["id"]
            )
    return await get_session(viewer, event_id)


async def approve_minutes(principal: Principal, event_id: int, data: ApproveIn) -> SessionOut:
    """The minutes are approved (in the next session) and from then on frozen."""
    viewer = await manager(principal)
    async with write_transaction():
        event, session = await _open_session(event_id, viewer, lock=True)
        _frozen(session)
        if event["starts_at"] > utcnow():
            raise Conflict("the session has not taken place yet")
        if data.approved_in_event_id is not None:
            later = (
                await Event.select(Event.starts_at)
                .where(
                    (Event.id == data.approved_in_event_id) & (Event.kind == EventKind.board_session.value)
                )
                .first()
            )
            if later is None or later["starts_at"] <= event["starts_at"]:
                raise InvalidInput("approved_in_event_id", "must be a later board session")
        await BoardSession.update(
            {
                BoardSession.minutes_approved_at: utcnow(),
                BoardSession.minutes_approved_in: data.approved_in_event_id,
            }
        ).where(BoardSession.id == session["id"])
    return await get_session(viewer, event_id)


# ---------------------------------------------------------------- decisions


def decision_code(year: int, number: int) -> str:
    return f"BO-{year}-{number:03d}"


async def _next_number(year: int) -> int:
    """Inside write_transaction(): the year's counter row is created once, then incremented; the UPDATE
    holds its row lock until commit, so concurrent decisions queue, and a rolled-back one leaves no gap."""
    await DecisionCounter.raw(
        "INSERT INTO board_decision_counter (year, last) VALUES ({}, 0) ON CONFLICT (year) DO NOTHING", year
    )
    rows = await DecisionCounter.raw(
        "UPDATE board_decision_counter SET last = last + 1 WHERE year = {} RETURNING last", year
    )
    return int(rows[0]["last"])


async def create_decision(principal: Principal, event_id: int, data: DecisionIn) -> DecisionOut:
    viewer = await manager(principal)
    async with write_transaction():
        event, session = await _open_session(event_id, viewer)
        _frozen(session)
        await _check_item(session["id"], data.agenda_item_id, "agenda_item_id")
        year = local(event["starts_at"]).year
        number = await _next_number(year)
        code = decision_code(year, number)
        inserted = await Decision.insert(
            Decision(
                session=session["id"],
                agenda_item=data.agenda_item_id,
                year=year,
                number=number,
                code=code,
                text=data.text,
            )
        ).returning(Decision.id, Decision.created_at)
    return DecisionOut(
        id=inserted[0]["id"],
        code=code,
        text=data.text,
        agenda_item_id=data.agenda_item_id,
        created_at=local(inserted[0]["created_at"]),
    )


async def _check_item(session_id: int, item_id: int | None, field: str) -> None:
    if item_id is not None and not await AgendaItem.exists().where(
        (AgendaItem.id == item_id) & (AgendaItem.session == session_id)
    ):
        raise InvalidInput(field, "no such agenda item in this session")


async def list_decisions(principal: Principal, year: int | None) -> list[DecisionOut]:
    viewer = await viewer_for_principal(principal)
    query = Decision.select().order_by(Decision.year).order_by(Decision.number)
    if year is not None:
        query = query.where(Decision.year == year)
    if not viewer.manages:
        query = query.where(Decision.session._.event._.status != EventStatus.draft.value)
    return [_decision_out(r) for r in await query]


def _decision_out(row: dict[str, Any]) -> DecisionOut:
    return DecisionOut(
        id=row["id"],
        code=row["code"],
        text=row["text"],
        agenda_item_id=row["agenda_item"],
        created_at=local(row["created_at"]),
    )


# ---------------------------------------------------------------- action items


async def create_action(principal: Principal, event_id: int, data: ActionIn) -> ActionOut:
    viewer = await manager(principal)
    async with write_transaction():
        _, session = await _open_session(event_id, viewer)
        _frozen(session)
        await _check_person(data.owner_id, "owner_id")
        await _check_item(session["id"], data.agenda_item_id, "agenda_item_id")
        if data.decision_id is not None and not await Decision.exists().where(
            (Decision.id == data.decision_id) & (Decision.session == session["id"])
        ):
            raise InvalidInput("decision_id", "no such decision in this session")
        row = ActionItem(
            session=session["id"],
            agenda_item=data.agenda_item_id,
            decision=data.decision_id,
            description=data.description,
            owner=data.owner_id,
            due_on=data.due_on,
        )
        await row.save()
    return (await _action_outs([ActionItem.id == row.id]))[0]


async def update_action(principal: Principal, action_id: int, data: ActionUpdate) -> ActionOut:
    await manager(principal)
    async with write_transaction():
        row = await ActionItem.select().where(ActionItem.id == action_id).first()
        if row is None:
            raise NotFound("action item")
        values: dict[Any, Any] = {}
        if data.description is not UNSET:
            values[ActionItem.description] = data.description
        if data.owner_id is not UNSET:
            await _check_person(data.owner_id, "owner_id")
            values[ActionItem.owner] = data.owner_id
            values[ActionItem.reminded_at] = None
        if data.due_on is not UNSET and data.due_on != row["due_on"]:
            values[ActionItem.due_on] = data.due_on
            values[ActionItem.reminded_at] = None  # a new due date earns a new reminder
        if data.status is not UNSET:
            values[ActionItem.status] = data.status.value
            values[ActionItem.done_at] = utcnow() if data.status is ActionStatus.done else None
        if values:
            await ActionItem.update(values).where(ActionItem.id == action_id)
    return (await _action_outs([ActionItem.id == action_id]))[0]


async def _action_outs(where: list[Combinable]) -> list[ActionOut]:
    rows = (
        await ActionItem.select(*ActionItem.all_columns(), ActionItem.owner.name.as_alias("owner_name"))
        .where(*where)
        .order_by(ActionItem.due_on)
        .order_by(ActionItem.id)
    )
    return [
        ActionOut(
            id=r["id"],
            description=r["description"],
            owner=PersonRef(id=r["owner"], name=r["owner_name"]),
            due_on=r["due_on"],
            status=ActionStatus(r["status"]),
            agenda_item_id=r["agenda_item"],
            decision_id=r["decision"],
        )
        for r in rows
    ]


# ---------------------------------------------------------------- date poll


async def open_poll(principal: Principal, event_id: int, data: PollIn) -> SessionOut:
    """Candidate dates for a session not scheduled yet (a draft); every seat's member is asked."""
    viewer = await manager(principal)
    now = utcnow()
    for index, option in enumerate(data.options):
        if option.ends_at <= option.starts_at:
            raise InvalidInput(f"options[{index}].ends_at", "must be after starts_at")
        if option.starts_at <= now:
            raise InvalidInput(f"options[{index}].starts_at", "must be in the future")
    async with write_transaction():
        event, session = await _open_session(event_id, viewer, lock=True)
        if event["status"] != EventStatus.draft.value:
            raise Conflict("a date poll is for a session that is not scheduled yet (a draft)")
        if session["poll_status"] is not None:
            raise Conflict("this session has a date poll already")
        await PollOption.insert(
            *(
                PollOption(session=session["id"], starts_at=o.starts_at, ends_at=o.ends_at)
                for o in data.options
            )
        )
        await BoardSession.update({BoardSession.poll_status: "open"}).where(BoardSession.id == session["id"])
        members = await BoardMembership.select(BoardMembership.member).where(BoardMembership.active.eq(True))
        for member in members:
            await emails.queue_poll(event, member["member"])
    return await get_session(viewer, event_id)


async def answer_poll(viewer: Viewer, event_id: int, answers: dict[int, PollChoice]) -> None:
    assert viewer.person_id is not None
    async with write_transaction():
        _, session = await _open_session(event_id, viewer, lock=True)
        if session["poll_status"] != "open":
            raise Conflict("the date poll is closed")
        if not await BoardMembership.exists().where(
            BoardMembership.active.eq(True) & (BoardMembership.member == viewer.person_id)
        ):
            raise Conflict("the members of the board answer the date poll")
        options = {
            o["id"] for o in await PollOption.select(PollOption.id).where(PollOption.session == session["id"])
        }
        for option_id, choice in answers.items():
            if option_id not in options:
                raise InvalidInput(f"option_{option_id}", "no such date in this poll")
            await PollAnswer.delete().where(
                (PollAnswer.option == option_id) & (PollAnswer.person == viewer.person_id)
            )
            await PollAnswer.insert(
                PollAnswer(
                    option=option_id,
                    person=viewer.person_id,
                    answer=choice.value,
                    ballot=f"{option_id}:{viewer.person_id}",
                )
            )


async def pick_date(principal: Principal, event_id: int, option_id: int) -> SessionOut:
    """The secretary picks a date: the session moves there, is published and the invitations go out."""
    viewer = await manager(principal)
    async with write_transaction():
        _, session = await _open_session(event_id, viewer, lock=True)
        if session["poll_status"] != "open":
            raise Conflict("this session has no open date poll")
        option = (
            await PollOption.select()
            .where((PollOption.id == option_id) & (PollOption.session == session["id"]))
            .first()
        )
        if option is None:
            raise InvalidInput("option_id", "no such date in this poll")
        await update_event(
            principal, event_id, EventUpdate(starts_at=option["starts_at"], ends_at=option["ends_at"])
        )
        await BoardSession.update({BoardSession.poll_status: "picked"}).where(
            BoardSession.id == session["id"]
        )
        await send_invitations(principal, event_id)
    return await get_session(viewer, event_id)


async def _poll_out(session_id: int) -> list[PollOptionOut]:
    options = await PollOption.select().where(PollOption.session == session_id).order_by(PollOption.starts_at)
    counts: dict[int, dict[str, int]] = {o["id"]: {"yes": 0, "maybe": 0, "no": 0} for o in options}
    if options:
        for answer in await PollAnswer.select(PollAnswer.option, PollAnswer.answer).where(
            PollAnswer.option.is_in(list(counts))
        ):
            counts[answer["option"]][answer["answer"]] += 1
    return [
        PollOptionOut(
            id=o["id"], starts_at=local(o["starts_at"]), ends_at=local(o["ends_at"]), **counts[o["id"]]
        )
        for o in options
    ]


async def own_poll_answers(session_id: int, person_id: int) -> dict[int, str]:
    rows = await PollAnswer.select(PollAnswer.option, PollAnswer.answer).where(
        (PollAnswer.person == person_id) & (PollAnswer.option.session == session_id)
    )
    return {r["option"]: r["answer"] for r in rows}


# ---------------------------------------------------------------- output


def _item_out(row: dict[str, Any]) -> AgendaItemOut:
    return AgendaItemOut(
        id=row["id"],
        position=row["position"],
        title=row["title"],
        kind=ItemKind(row["kind"]),
        presenter=row["presenter"],
        minutes_allotted=row["minutes_allotted"],
        documents=[DocumentOut(title=d["title"], url=d["url"]) for d in row["documents"]],
        minutes=row["minutes"],
        minutes_html=render_markdown(row["minutes"]),
    )


async def _session_out(viewer: Viewer, event: dict[str, Any], session: dict[str, Any]) -> SessionOut:
    invitations = await _invitation_rows(session["id"])
    decisions = await Decision.select().where(Decision.session == session["id"]).order_by(Decision.number)
    return SessionOut(
        event_id=event["id"],
        title=event["title"],
        starts_at=local(event["starts_at"]),
        ends_at=local(event["ends_at"]),
        status=event["status"],
        quorum_rule=QuorumRule(session["quorum_rule"]),
        quorum_count=session["quorum_count"],
        quorum_warning_hours=session["quorum_warning_hours"],
        invitations_sent_at=session["invitations_sent_at"] and local(session["invitations_sent_at"]),
        agenda_version=session["agenda_version"],
        minutes_approved_at=session["minutes_approved_at"] and local(session["minutes_approved_at"]),
        agenda=[_item_out(r) for r in await _agenda_rows(session["id"])],
        quorum=await quorum(session) if viewer.manages else None,
        invitations=[
            InvitationOut(
                registration_id=r["registration"],
                seat=r["seat"],
                person=PersonRef(id=r["person"], name=r["person_name"]),
                as_deputy=r["as_deputy"],
                status=r["status"],
                rsvp=Rsvp(r["rsvp"]),
                attended=r["attended"],
            )
            for r in invitations
        ],
        decisions=[_decision_out(d) for d in decisions],
        actions=await _action_outs([ActionItem.session == session["id"]]),
        poll_status=session["poll_status"],
        poll=await _poll_out(session["id"]),
    )


async def list_sessions(viewer: Viewer) -> list[dict[str, Any]]:
    """Board sessions, newest first, for the overview pages (with the quorum for managers)."""
    where: list[Combinable] = [Event.kind == EventKind.board_session.value]
    if not viewer.manages:  # members: no drafts, but a session still being planned with a date poll
        polling = BoardSession.select(BoardSession.event).where(BoardSession.poll_status == "open")
        where.append((Event.status != EventStatus.draft.value) | Event.id.is_in(polling))
    events = await Event.select().where(*where).order_by(Event.starts_at, ascending=False).limit(100)
    ids = [e["id"] for e in events]
    sessions = {
        r["event"]: r for r in await BoardSession.select().where(BoardSession.event.is_in(ids or [0]))
    }
    out = []
    for event in events:
        session = sessions.get(event["id"]) or await session_row(event["id"])
        out.append(
            {"event": event, "session": session, "quorum": await quorum(session) if viewer.manages else None}
        )
    return out


# ---------------------------------------------------------------- due work (scheduler)


async def warn_quorum_at_risk(now: datetime) -> int:
    """Scheduler job: for a published session within its warning time whose quorum is not reached, the
    board secretaries get one email (the mark on the session and the dedup key make it once)."""
    rows = await BoardSession.select(
        *BoardSession.all_columns(),
        BoardSession.event.starts_at.as_alias("starts_at"),
    ).where(
        (BoardSession.event.status == EventStatus.published.value)
        & (BoardSession.event.starts_at > now)
        & BoardSession.quorum_warned_at.is_null()
        & BoardSession.invitations_sent_at.is_not_null()
    )
    warned = 0
    for row in rows:
        if row["starts_at"] - timedelta(hours=row["quorum_warning_hours"]) > now:
            continue
        if not (await quorum(row)).at_risk:
            continue  # fine for now; a later tick warns if answers change
        async with write_transaction():
            # Claimed by the mark, so that two schedulers (or two ticks) warn once.
            claimed = (
                await BoardSession.update({BoardSession.quorum_warned_at: now})
                .where((BoardSession.id == row["id"]) & BoardSession.quorum_warned_at.is_null())
                .returning(BoardSession.id)
            )
            if not claimed:
                continue
            figures = await quorum(row)
            event = await Event.select().where(Event.id == row["event"]).first()
            assert event is not None
            secretaries = await Account.select(
                Account.id, Account.email, Account.name, Account.language
            ).where((Account.role == "board_secretary") & Account.active.eq(True))
            if not secretaries:
                logger.warning(
                    "board session %s is at risk, but there is no board secretary to warn", event["id"]
                )
            for secretary in secretaries:
                await emails.queue_quorum_warning(event, figures, secretary)
            warned += 1
    return warned


async def remind_due_actions(now: datetime) -> int:
    """Scheduler job: the owner of an open action item due within ACTION_REMINDER_DAYS gets one reminder
    (per due date: moving the date earns a new one)."""
    horizon: date = local(now).date() + timedelta(days=ACTION_REMINDER_DAYS)
    due = await ActionItem.select(ActionItem.id).where(
        (ActionItem.status == ActionStatus.open.value)
        & ActionItem.reminded_at.is_null()
        & (ActionItem.due_on <= horizon)
    )
    sent = 0
    for row in due:
        async with write_transaction():
            claimed = (
                await ActionItem.update({ActionItem.reminded_at: now})
                .where((ActionItem.id == row["id"]) & ActionItem.reminded_at.is_null())
                .returning(ActionItem.id)
            )
            if claimed:
                await emails.queue_action_due(row["id"])
                sent += 1
    return sent


# ---------------------------------------------------------------- for the members' pages


async def seat_of(person_id: int) -> dict[str, Any] | None:
    """The seat a person holds (as member) or stands in for (as deputy), if any."""
    row = (
        await BoardMembership.select(
            BoardMembership.seat,
            BoardMembership.member,
            BoardMembership.member._.name.as_alias("member_name"),
            BoardMembership.deputy._.name.as_alias("deputy_name"),
        )
        .where(
            BoardMembership.active.eq(True)
            & ((BoardMembership.member == person_id) | (BoardMembership.deputy == person_id))
        )
        .order_by(BoardMembership.id)
        .first()
    )
    if row is None:
        return None
    return {**row, "is_member": row["member"] == person_id}


async def own_poll_answers_for_event(event_id: int, person_id: int) -> dict[int, str]:
    session = await BoardSession.select(BoardSession.id).where(BoardSession.event == event_id).first()
    return {} if session is None else await own_poll_answers(session["id"], person_id)
