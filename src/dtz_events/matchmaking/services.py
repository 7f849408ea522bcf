"""Matchmaking at network meetings: profiles, 1:1 meeting requests, the schedule and its invitations.

Who takes part: a person with a confirmed registration for the event. Participants act through their
matchmaking link (a random token for one purpose, stored as its digest: `LinkPurpose.matchmaking`); an
organiser, or the partner coordinator of the person's own organisation, can make that link for them and so
act for them. A participant sees the visible profiles of the other participants of the same event and only
the requests they sent or received."""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import msgspec
from piccolo.custom_types import Combinable

from dtz_events.core.auth import Principal
from dtz_events.core.clock import local, local_or_none, utcnow
from dtz_events.core.db import after_commit, is_postgres, write_transaction
from dtz_events.core.dispatch import dispatch, handler
from dtz_events.core.errors import Conflict, InvalidInput, NotFound
from dtz_events.events.schemas import EventKind, EventStatus
from dtz_events.events.services import managed_event_row
from dtz_events.events.tables import Event
from dtz_events.matchmaking import solver
from dtz_events.matchmaking.emails import queue_agenda, queue_meeting_change, queue_request_email
from dtz_events.matchmaking.schemas import (
    Break,
    MatchmakingOut,
    MatchmakingSettings,
    MeetingOut,
    MeetingReport,
    MeetingStatus,
    MeetingUpdate,
    OwnProfileOut,
    ProfileOut,
    ProfileUpdate,
    RequestCreate,
    RequestOut,
    RequestStatus,
    RunStatus,
    RunTrigger,
    ScheduleResult,
    ScheduleRunOut,
    SlotOut,
    SuggestionOut,
)
from dtz_events.matchmaking.tables import (
    Matchmaking,
    MatchmakingProfile,
    MatchmakingRun,
    Meeting,
    MeetingRequest,
)
from dtz_events.partners.tables import Organisation, Person, Theme
from dtz_events.registrations.links import LinkPurpose, create_link, resolve_link
from dtz_events.registrations.schemas import RegistrationStatus
from dtz_events.registrations.tables import Registration

logger = logging.getLogger(__name__)

SOLVER_SECONDS = 20.0
SOLVER_WORKERS = 2
SCHEDULE_ACTOR = "matchmaking.schedule"
SCHEDULE_QUEUE = "matchmaking"  # its own queue: a 20-second solve never holds up the mail
ACTIVE_RUNS = (RunStatus.queued.value, RunStatus.running.value)
# A run queued this long without starting is dispatched again (its message may be lost); one running this
# long is taken to be dead (its worker was killed) and is claimed again, at most MAX_ATTEMPTS times in all.
REDISPATCH_AFTER = timedelta(minutes=2)
RUNNING_STALE_AFTER = timedelta(minutes=10)
MAX_ATTEMPTS = 3
OPEN_REQUESTS = (RequestStatus.pending.value, RequestStatus.accepted.value)
LIVE_MEETINGS = (MeetingStatus.unscheduled.value, MeetingStatus.scheduled.value)


@dataclass(frozen=True, slots=True)
class Participant:
    """A person taking part in one event's matchmaking, as they act (themselves, or through a coordinator)."""

    person_id: int
    event_id: int
    organisation_id: int
    name: str
    language: str


# ---------------------------------------------------------------- the window and its slots


def _breaks(row: dict[str, Any]) -> list[Break]:
    raw = row["breaks"]
    data = msgspec.json.decode(raw) if isinstance(raw, str | bytes) else raw
    return msgspec.convert(data or [], list[Break])


def slot_times(row: dict[str, Any]) -> list[tuple[datetime, datetime]]:
    """Start and end of every slot: consecutive, with the breaks in between."""
    pause = {b.after_slot: b.minutes for b in _breaks(row)}
    length = timedelta(minutes=row["slot_minutes"])
    times, start = [], row["starts_at"]
    for number in range(row["slots"]):
        times.append((start, start + length))
        start = start + length + timedelta(minutes=pause.get(number, 0))
    return times


def _settings_out(row: dict[str, Any], last_run: ScheduleRunOut | None = None) -> MatchmakingOut:
    return MatchmakingOut(
        event_id=row["event"],
        starts_at=local(row["starts_at"]),
        slot_minutes=row["slot_minutes"],
        slots=[
            SlotOut(number=n, starts_at=local(s), ends_at=local(e))
            for n, (s, e) in enumerate(slot_times(row))
        ],
        breaks=_breaks(row),
        tables=row["tables"],
        max_meetings=row["max_meetings"],
        request_days=row["request_days"],
        booking_closes_at=local_or_none(row["booking_closes_at"]),
        auto_schedule=row["auto_schedule"],
        scheduled_at=local_or_none(row["scheduled_at"]),
        last_run=last_run,
    )


async def _matchmaking(event_id: int) -> dict[str, Any]:
    row = await Matchmaking.select().where(Matchmaking.event == event_id).first()
    if row is None:
        raise NotFound("matchmaking")
    return row


async def _network_event(principal: Principal, event_id: int) -> dict[str, Any]:
    event = await managed_event_row(principal, event_id)
    if event["kind"] != EventKind.network_meeting.value:
        raise NotFound("matchmaking")  # only network meetings have it
    return event


async def get_settings(principal: Principal, event_id: int) -> MatchmakingOut:
    await _network_event(principal, event_id)
    return _settings_out(await _matchmaking(event_id), await _last_run(event_id))


async def set_settings(principal: Principal, event_id: int, data: MatchmakingSettings) -> MatchmakingOut:
    event = await _network_event(principal, event_id)
    for index, pause in enumerate(data.breaks):
        if pause.after_slot >= data.slots - 1:
            raise InvalidInput(f"breaks[{index}].after_slot", "must be before the last slot")
    values: dict[str, Any] = {
        "starts_at": data.starts_at,
        "slot_minutes": data.slot_minutes,
        "slots": data.slots,
        "breaks": msgspec.json.encode(data.breaks).decode(),
        "tables": data.tables,
        "max_meetings": data.max_meetings,
        "request_days": data.request_days,
        "booking_closes_at": data.booking_closes_at,
        "auto_schedule": data.auto_schedule,
    }
    end = slot_times(values)[-1][1]
    if data.starts_at < event["starts_at"] or end > event["ends_at"]:
        raise InvalidInput("starts_at", "the matchmaking window must lie within the event")
    if data.booking_closes_at is not None and data.booking_closes_at > data.starts_at:
        raise InvalidInput("booking_closes_at", "must be before the first meeting")
    async with write_transaction():
        existing = await Matchmaking.select(Matchmaking.id).where(Matchmaking.event == event_id).first()
        if existing is None:
            await Matchmaking.insert(Matchmaking(event=event_id, **values))
        else:
            if await Meeting.exists().where(
                (Meeting.event == event_id) & (Meeting.status == MeetingStatus.scheduled.value)
            ):
                current = await _matchmaking(event_id)
                if current["slots"] > data.slots or current["tables"] > data.tables:
                    raise Conflict(
                        "meetings are scheduled: drop or reschedule before removing slots or tables"
                    )
            await Matchmaking.update(
                {getattr(Matchmaking, k): v for k, v in values.items()} | {Matchmaking.updated_at: utcnow()}
            ).where(Matchmaking.id == existing["id"])
    return _settings_out(await _matchmaking(event_id), await _last_run(event_id))


# ---------------------------------------------------------------- who is acting


async def _participant(event_id: int, person_id: int) -> Participant | None:
    row = (
        await Registration.select(
            Registration.person.name.as_alias("name"),
            Registration.person.language.as_alias("language"),
            Registration.person.organisation.as_alias("organisation"),
            Registration.event.kind.as_alias("kind"),
        )
        .where(
            (Registration.event == event_id)
            & (Registration.person == person_id)
            & (Registration.status == RegistrationStatus.confirmed.value)
        )
        .first()
    )
    if row is None or row["kind"] != EventKind.network_meeting.value:
        return None
    return Participant(
        person_id=person_id,
        event_id=event_id,
        organisation_id=row["organisation"],
        name=row["name"],
        language=row["language"],
    )


async def participant_for_token(token: str) -> Participant:
    """The participant behind a matchmaking link; NotFound for a bad, revoked or no longer valid one."""
    link = await resolve_link(LinkPurpose.matchmaking, token)
    if link is None or link["registration"] is None or link["person"] is None:
        raise NotFound("link")
    event = (
        await Registration.select(Registration.event).where(Registration.id == link["registration"]).first()
    )
    participant = await _participant(event["event"], link["person"]) if event else None
    if participant is None:
        raise NotFound("link")
    return participant


async def participant_link(principal: Principal, event_id: int, person_id: int) -> tuple[Participant, str]:
    """A matchmaking link for a participant, made by an organiser or by the coordinator of the person's own
    organisation (who then acts for them). Others' people: 404."""
    participant = await _participant(event_id, person_id)
    if participant is None or (
        principal.is_partner and participant.organisation_id != principal.organisation_id
    ):
        raise NotFound("participant")
    return participant, await _link_for(participant)


async def _link_for(participant: Participant) -> str:
    registration = (
        await Registration.select(Registration.id)
        .where((Registration.event == participant.event_id) & (Registration.person == participant.person_id))
        .first()
    )
    assert registration is not None
    return await create_link(
        LinkPurpose.matchmaking, person_id=participant.person_id, registration_id=registration["id"]
    )


# ---------------------------------------------------------------- profiles


def _json_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(msgspec.json.decode(value) if isinstance(value, str | bytes) else value)


_PROFILE_ORGANISATION: Any = MatchmakingProfile.person.organisation
PROFILE_COLUMNS: list[Any] = [
    MatchmakingProfile.person,
    MatchmakingProfile.offers,
    MatchmakingProfile.seeks,
    MatchmakingProfile.sectors,
    MatchmakingProfile.themes,
    MatchmakingProfile.person.name.as_alias("name"),
    MatchmakingProfile.person.job_title.as_alias("job_title"),
    MatchmakingProfile.person.organisation.as_alias("organisation_id"),
    _PROFILE_ORGANISATION.name.as_alias("organisation_name"),
    _PROFILE_ORGANISATION.helix.as_alias("helix"),
]


def _profile_out(row: dict[str, Any]) -> ProfileOut:
    return ProfileOut(
        person_id=row["person"],
        name=row["name"],
        job_title=row["job_title"],
        organisation_id=row["organisation_id"],
        organisation_name=row["organisation_name"],
        helix=row["helix"],
        offers=row["offers"],
        seeks=row["seeks"],
        sectors=_json_list(row["sectors"]),
        themes=_json_list(row["themes"]),
    )


async def _own_profile_row(participant: Participant) -> dict[str, Any] | None:
    return (
        await MatchmakingProfile.select(
            *PROFILE_COLUMNS,
            MatchmakingProfile.available_slots,
            MatchmakingProfile.visible,
            MatchmakingProfile.max_meetings,
        )
        .where(
            (MatchmakingProfile.event == participant.event_id)
            & (MatchmakingProfile.person == participant.person_id)
        )
        .first()
    )


async def get_own_profile(participant: Participant) -> OwnProfileOut:
    row = await _own_profile_row(participant)
    if row is None:
        organisation = (
            await Organisation.select().where(Organisation.id == participant.organisation_id).first()
        )
        person = await Person.select(Person.job_title).where(Person.id == participant.person_id).first()
        assert organisation is not None
        assert person is not None
        row = {
            "person": participant.person_id,
            "name": participant.name,
            "job_title": person["job_title"],
            "organisation_id": organisation["id"],
            "organisation_name": organisation["name"],
            "helix": organisation["helix"],
            "offers": "",
            "seeks": "",
            "sectors": [],
            "themes": [],
            "available_slots": None,
            "visible": False,  # nobody sees a participant who has not filled in a profile
            "max_meetings": None,
        }
    base = _profile_out(row)
    slots = row["available_slots"]
    return OwnProfileOut(
        **{f: getattr(base, f) for f in base.__struct_fields__},
        event_id=participant.event_id,
        available_slots=None if slots is None else _json_list(slots),
        visible=row["visible"],
        max_meetings=row["max_meetings"],
    )


async def update_own_profile(participant: Participant, data: ProfileUpdate) -> OwnProfileOut:
    settings = await _matchmaking(participant.event_id)
    values: dict[str, Any] = {}
    for field in ("offers", "seeks", "visible", "max_meetings"):
        value = getattr(data, field)
        if value is not msgspec.UNSET:
            values[field] = value.strip() if isinstance(value, str) else value
    if data.sectors is not msgspec.UNSET:
        values["sectors"] = msgspec.json.encode(sorted({s.strip() for s in data.sectors})).decode()
    if data.themes is not msgspec.UNSET:
        known = {
            t["slug"] for t in await Theme.select(Theme.slug).where(Theme.slug.is_in(data.themes or [""]))
        }
        for index, slug in enumerate(data.themes):
            if slug not in known:
                raise InvalidInput(f"themes[{index}]", "unknown theme")
        values["themes"] = msgspec.json.encode(sorted(set(data.themes))).decode()
    if data.available_slots is not msgspec.UNSET:
        if data.available_slots is not None:
            for index, slot in enumerate(data.available_slots):
                if slot >= settings["slots"]:
                    raise InvalidInput(f"available_slots[{index}]", f"there are {settings['slots']} slots")
            values["available_slots"] = msgspec.json.encode(sorted(set(data.available_slots))).decode()
        else:
            values["available_slots"] = None
    async with write_transaction():
        existing = await _own_profile_row(participant)
        if existing is None:
            await MatchmakingProfile.insert(
                MatchmakingProfile(event=participant.event_id, person=participant.person_id, **values)
            )
        elif values:
            await MatchmakingProfile.update(
                {getattr(MatchmakingProfile, k): v for k, v in values.items()}
                | {MatchmakingProfile.updated_at: utcnow()}
            ).where(
                (MatchmakingProfile.event == participant.event_id)
                & (MatchmakingProfile.person == participant.person_id)
            )
    return await get_own_profile(participant)


def _confirmed_people(event_id: int) -> Any:
    return Registration.select(Registration.person).where(
        (Registration.event == event_id) & (Registration.status == RegistrationStatus.confirmed.value)
    )


def _visible_profiles(participant: Participant) -> list[Combinable]:
    """The profiles a participant may see: visible ones of the other confirmed participants of the event."""
    return [
        MatchmakingProfile.event == participant.event_id,
        MatchmakingProfile.visible.eq(True),
        MatchmakingProfile.person != participant.person_id,
        MatchmakingProfile.person.is_in(_confirmed_people(participant.event_id)),
    ]


async def list_profiles(participant: Participant) -> list[ProfileOut]:
    await _matchmaking(participant.event_id)
    rows = (
        await MatchmakingProfile.select(*PROFILE_COLUMNS)
        .where(*_visible_profiles(participant))
        .order_by(MatchmakingProfile.person.name)
    )
    return [_profile_out(r) for r in rows]


async def get_profile(participant: Participant, person_id: int) -> ProfileOut:
    row = (
        await MatchmakingProfile.select(*PROFILE_COLUMNS)
        .where(*_visible_profiles(participant), MatchmakingProfile.person == person_id)
        .first()
    )
    if row is None:
        raise NotFound("profile")
    return _profile_out(row)


def _words(text: str) -> set[str]:
    return {w for w in "".join(c.lower() if c.isalnum() else " " for c in text).split() if len(w) > 3}


async def _working_together(organisation_id: int) -> set[int]:
    """Organisations the ledger already links to this one."""
    from dtz_events.cooperation.tables import CooperationLink

    rows = await CooperationLink.select(CooperationLink.org_a, CooperationLink.org_b).where(
        (CooperationLink.org_a == organisation_id) | (CooperationLink.org_b == organisation_id)
    )
    return {r["org_a"] if r["org_b"] == organisation_id else r["org_b"] for r in rows}


async def suggestions(participant: Participant, limit: int = 10) -> list[SuggestionOut]:
    """Whom to meet: what one offers matches what the other seeks (both ways), shared themes and sectors,
    another helix, and organisations that the ledger does not link yet. People already asked are left out."""
    own = await _own_profile_row(participant)
    if own is None:
        raise Conflict("fill in your profile first")
    others = await MatchmakingProfile.select(*PROFILE_COLUMNS).where(*_visible_profiles(participant))
    asked = await MeetingRequest.select(MeetingRequest.requester, MeetingRequest.recipient).where(
        (MeetingRequest.event == participant.event_id)
        & MeetingRequest.status.is_in(list(OPEN_REQUESTS))
        & (
            (MeetingRequest.requester == participant.person_id)
            | (MeetingRequest.recipient == participant.person_id)
        )
    )
    skip = {r["requester"] for r in asked} | {r["recipient"] for r in asked}
    known = await _working_together(participant.organisation_id)
    offers, seeks = _words(own["offers"]), _words(own["seeks"])
    themes, sectors = set(_json_list(own["themes"])), set(_json_list(own["sectors"]))
    scored = []
    for other in others:
        if other["person"] in skip or other["organisation_id"] == participant.organisation_id:
            continue
        reasons, score = [], 0.0
        they_offer = len(seeks & _words(other["offers"]))
        they_seek = len(offers & _words(other["seeks"]))
        if they_offer:
            score += 2.0 * they_offer
            reasons.append("offers what you look for")
        if they_seek:
            score += 2.0 * they_seek
            reasons.append("looks for what you offer")
        shared = len(themes & set(_json_list(other["themes"]))) + len(
            sectors & set(_json_list(other["sectors"]))
        )
        if shared:
            score += shared
            reasons.append("shares themes or sectors")
        if other["helix"] != own["helix"]:
            score += 1.5
            reasons.append("from another helix")
        if other["organisation_id"] not in known:
            score += 1.0
            reasons.append("organisations do not work together yet")
        scored.append(SuggestionOut(profile=_profile_out(other), score=score, reasons=reasons))
    scored.sort(key=lambda s: (-s.score, s.profile.name))
    return scored[:limit]


# ---------------------------------------------------------------- requests


REQUEST_COLUMNS: list[Any] = [
    MeetingRequest.all_columns(),
    MeetingRequest.requester.name.as_alias("requester_name"),
    MeetingRequest.recipient.name.as_alias("recipient_name"),
]


def _request_out(row: dict[str, Any], meeting_id: int | None = None) -> RequestOut:
    return RequestOut(
        id=row["id"],
        event_id=row["event"],
        requester_id=row["requester"],
        requester_name=row["requester_name"],
        recipient_id=row["recipient"],
        recipient_name=row["recipient_name"],
        message=row["message"],
        priority=row["priority"],
        status=RequestStatus(row["status"]),
        created_at=local(row["created_at"]),
        expires_at=local(row["expires_at"]),
        answered_at=local_or_none(row["answered_at"]),
        meeting_id=meeting_id,
    )


async def _requests(where: list[Combinable]) -> list[RequestOut]:
    rows = await MeetingRequest.select(*REQUEST_COLUMNS).where(*where).order_by(MeetingRequest.id)
    ids = [r["id"] for r in rows]
    meetings = (
        {
            m["request"]: m["id"]
            for m in await Meeting.select(Meeting.id, Meeting.request).where(Meeting.request.is_in(ids))
        }
        if ids
        else {}
    )
    return [_request_out(r, meetings.get(r["id"])) for r in rows]


def _own_requests(participant: Participant) -> list[Combinable]:
    return [
        MeetingRequest.event == participant.event_id,
        (MeetingRequest.requester == participant.person_id)
        | (MeetingRequest.recipient == participant.person_id),
    ]


async def list_requests(participant: Participant) -> list[RequestOut]:
    return await _requests(_own_requests(participant))


def _booking_open(settings: dict[str, Any], now: datetime) -> bool:
    closes = settings["booking_closes_at"] or settings["starts_at"]
    return bool(now < closes)


def booking_open(settings: dict[str, Any]) -> bool:
    return _booking_open(settings, utcnow())


async def _meeting_count(event_id: int, person_id: int) -> int:
    return int(
        await Meeting.count().where(
            (Meeting.event == event_id)
            & Meeting.status.is_in(list(LIVE_MEETINGS))
            & ((Meeting.person_a == person_id) | (Meeting.person_b == person_id))
        )
    )


async def _limit(settings: dict[str, Any], event_id: int, person_id: int) -> int:
    row = (
        await MatchmakingProfile.select(MatchmakingProfile.max_meetings)
        .where((MatchmakingProfile.event == event_id) & (MatchmakingProfile.person == person_id))
        .first()
    )
    own = row["max_meetings"] if row else None
    most = int(settings["max_meetings"])
    return most if own is None else min(int(own), most)


async def create_request(participant: Participant, data: RequestCreate) -> RequestOut:
    settings = await _matchmaking(participant.event_id)
    now = utcnow()
    if not _booking_open(settings, now):
        raise Conflict("booking is closed for this event")
    if data.recipient_id == participant.person_id:
        raise InvalidInput("recipient_id", "you cannot ask yourself")
    visible = await MatchmakingProfile.exists().where(
        *_visible_profiles(participant), MatchmakingProfile.person == data.recipient_id
    )
    if not visible:
        raise InvalidInput("recipient_id", "not a participant you can ask")
    recipient = await _participant(participant.event_id, data.recipient_id)
    assert recipient is not None
    async with write_transaction():
        await _lock_matchmaking(participant.event_id)
        pair = (
            (MeetingRequest.requester == participant.person_id)
            & (MeetingRequest.recipient == data.recipient_id)
        ) | (
            (MeetingRequest.requester == data.recipient_id)
            & (MeetingRequest.recipient == participant.person_id)
        )
        if await MeetingRequest.exists().where(
            (MeetingRequest.event == participant.event_id)
            & MeetingRequest.status.is_in(list(OPEN_REQUESTS))
            & pair
        ):
            raise Conflict("there is already a request between you", field="recipient_id")
        limit = await _limit(settings, participant.event_id, participant.person_id)
        outstanding = await MeetingRequest.count().where(
            (MeetingRequest.event == participant.event_id)
            & (MeetingRequest.requester == participant.person_id)
            & (MeetingRequest.status == RequestStatus.pending.value)
        )
        if outstanding + await _meeting_count(participant.event_id, participant.person_id) >= 2 * limit:
            raise Conflict(f"you have enough open requests and meetings (limit {limit} meetings)")
        rows = await MeetingRequest.insert(
            MeetingRequest(
                event=participant.event_id,
                requester=participant.person_id,
                recipient=data.recipient_id,
                message=data.message.strip(),
                priority=data.priority,
                status=RequestStatus.pending.value,
                created_at=now,
                expires_at=min(
                    now + timedelta(days=settings["request_days"]),
                    settings["booking_closes_at"] or settings["starts_at"],
                ),
            )
        ).returning(MeetingRequest.id)
        request_id = rows[0]["id"]
        await queue_request_email(request_id, recipient, participant, await _link_for(recipient))
    [out] = await _requests([MeetingRequest.id == request_id])
    return out


async def _lock_matchmaking(event_id: int) -> None:
    """Serialises changes to one event's requests and meetings (limits are counted under this lock)."""
    if is_postgres():
        await Matchmaking.raw("SELECT id FROM matchmaking WHERE event = {} FOR UPDATE", event_id)


async def _own_request(participant: Participant, request_id: int) -> dict[str, Any]:
    row = (
        await MeetingRequest.select()
        .where(MeetingRequest.id == request_id, *_own_requests(participant))
        .first()
    )
    if row is None:
        raise NotFound("request")
    return row


async def answer_request(participant: Participant, request_id: int, accept: bool) -> RequestOut:
    settings = await _matchmaking(participant.event_id)
    now = utcnow()
    async with write_transaction():
        await _lock_matchmaking(participant.event_id)
        row = await _own_request(participant, request_id)
        if row["recipient"] != participant.person_id:
            raise Conflict("only the person asked can answer")
        if row["status"] != RequestStatus.pending.value or row["expires_at"] <= now:
            raise Conflict(f"this request is {'expired' if row['status'] == 'pending' else row['status']}")
        if accept:
            if not _booking_open(settings, now):
                raise Conflict("booking is closed for this event")
            for person in (row["requester"], row["recipient"]):
                if await _meeting_count(participant.event_id, person) >= await _limit(
                    settings, participant.event_id, person
                ):
                    who = "you have" if person == participant.person_id else "the other person has"
                    raise Conflict(f"{who} reached the most meetings allowed")
            await Meeting.insert(
                Meeting(
                    event=participant.event_id,
                    request=request_id,
                    person_a=row["requester"],
                    person_b=row["recipient"],
                    priority=row["priority"],
                    status=MeetingStatus.unscheduled.value,
                )
            )
        status = RequestStatus.accepted if accept else RequestStatus.declined
        await MeetingRequest.update(
            {MeetingRequest.status: status.value, MeetingRequest.answered_at: now}
        ).where(MeetingRequest.id == request_id)
    [out] = await _requests([MeetingRequest.id == request_id])
    return out


async def withdraw_request(participant: Participant, request_id: int) -> RequestOut:
    async with write_transaction():
        row = await _own_request(participant, request_id)
        if row["requester"] != participant.person_id:
            raise Conflict("only the person who asked can withdraw")
        if row["status"] != RequestStatus.pending.value:
            raise Conflict(f"this request is {row['status']}")
        await MeetingRequest.update(
            {MeetingRequest.status: RequestStatus.withdrawn.value, MeetingRequest.answered_at: utcnow()}
        ).where(MeetingRequest.id == request_id)
    [out] = await _requests([MeetingRequest.id == request_id])
    return out


async def expire_requests(now: datetime) -> int:
    """Scheduler job: unanswered requests past their time expire."""
    rows = (
        await MeetingRequest.update({MeetingRequest.status: RequestStatus.expired.value})
        .where((MeetingRequest.status == RequestStatus.pending.value) & (MeetingRequest.expires_at <= now))
        .returning(MeetingRequest.id)
    )
    return len(rows)


# ---------------------------------------------------------------- meetings


MEETING_COLUMNS: list[Any] = [
    Meeting.all_columns(),
    Meeting.person_a.name.as_alias("person_a_name"),
    Meeting.person_b.name.as_alias("person_b_name"),
]


def meeting_out(row: dict[str, Any]) -> MeetingOut:
    return MeetingOut(
        id=row["id"],
        event_id=row["event"],
        person_a_id=row["person_a"],
        person_a_name=row["person_a_name"],
        person_b_id=row["person_b"],
        person_b_name=row["person_b_name"],
        priority=row["priority"],
        status=MeetingStatus(row["status"]),
        slot=row["slot"],
        starts_at=local_or_none(row["starts_at"]),
        ends_at=local_or_none(row["ends_at"]),
        table_number=row["table_number"],
        locked=row["locked"],
        sequence=row["sequence"],
        held=row["held"],
    )


async def participant_meetings(participant: Participant) -> list[MeetingOut]:
    rows = (
        await Meeting.select(*MEETING_COLUMNS)
        .where(
            (Meeting.event == participant.event_id)
            & ((Meeting.person_a == participant.person_id) | (Meeting.person_b == participant.person_id))
        )
        .order_by(Meeting.starts_at)
        .order_by(Meeting.id)
    )
    return [meeting_out(r) for r in rows]


async def list_meetings(principal: Principal, event_id: int) -> list[MeetingOut]:
    """All of an event's meetings for organisers; a partner coordinator sees those of its own people."""
    if principal.is_partner:
        from dtz_events.events.services import get_event_row

        await get_event_row(principal, event_id)
        own = Person.select(Person.id).where(Person.organisation == principal.organisation_id)
        where: list[Combinable] = [
            Meeting.event == event_id,
            Meeting.person_a.is_in(own) | Meeting.person_b.is_in(own),
        ]
    else:
        await _network_event(principal, event_id)
        where = [Meeting.event == event_id]
    rows = (
        await Meeting.select(*MEETING_COLUMNS).where(*where).order_by(Meeting.starts_at).order_by(Meeting.id)
    )
    return [meeting_out(r) for r in rows]


async def _managed_meeting(principal: Principal, meeting_id: int) -> dict[str, Any]:
    row = await Meeting.select().where(Meeting.id == meeting_id).first()
    if row is None:
        raise NotFound("meeting")
    await _network_event(principal, row["event"])
    return row


async def _meeting_row(meeting_id: int) -> MeetingOut:
    row = await Meeting.select(*MEETING_COLUMNS).where(Meeting.id == meeting_id).first()
    assert row is not None
    return meeting_out(row)


async def drop_meeting(principal: Principal, meeting_id: int) -> MeetingOut:
    """Take a meeting out: both people get a CANCEL if they had been invited to it."""
    await _managed_meeting(principal, meeting_id)
    async with write_transaction():
        row = await Meeting.select().where(Meeting.id == meeting_id).first()
        assert row is not None
        await _lock_matchmaking(row["event"])
        if row["status"] == MeetingStatus.dropped.value:
            return await _meeting_row(meeting_id)
        await _unschedule(row, MeetingStatus.dropped)
    return await _meeting_row(meeting_id)


async def _unschedule(row: dict[str, Any], status: MeetingStatus) -> None:
    sequence = row["sequence"] + 1 if row["invited"] else row["sequence"]
    await Meeting.update(
        {
            Meeting.status: status.value,
            Meeting.slot: None,
            Meeting.starts_at: None,
            Meeting.ends_at: None,
            Meeting.table_number: None,
            Meeting.locked: False,
            Meeting.sequence: sequence,
            Meeting.updated_at: utcnow(),
        }
    ).where(Meeting.id == row["id"])
    if row["invited"] and row["starts_at"] is not None:
        # The CANCEL names the time and table it cancels.
        await queue_meeting_change({**row, "sequence": sequence}, cancelled=True)


async def _place(
    row: dict[str, Any],
    slot: int,
    table: int,
    times: list[tuple[datetime, datetime]],
    locked: bool | None = None,
) -> None:
    """Put a meeting at a slot and table; if that changed anything, both people get a (new) invitation."""
    starts_at, ends_at = times[slot]
    changed = (
        row["status"] != MeetingStatus.scheduled.value or row["slot"] != slot or row["table_number"] != table
    )
    sequence = row["sequence"] + 1 if changed and row["invited"] else row["sequence"]
    values: dict[Any, Any] = {
        Meeting.status: MeetingStatus.scheduled.value,
        Meeting.slot: slot,
        Meeting.starts_at: starts_at,
        Meeting.ends_at: ends_at,
        Meeting.table_number: table,
        Meeting.sequence: sequence,
        Meeting.updated_at: utcnow(),
    }
    if locked is not None:
        values[Meeting.locked] = locked
    if changed or row["starts_at"] != starts_at:
        values[Meeting.invited] = True
    await Meeting.update(values).where(Meeting.id == row["id"])
    if changed or row["starts_at"] != starts_at:
        new = {**row, "slot": slot, "table_number": table, "starts_at": starts_at, "ends_at": ends_at}
        await queue_meeting_change({**new, "sequence": sequence}, cancelled=False)


async def update_meeting(principal: Principal, meeting_id: int, data: MeetingUpdate) -> MeetingOut:
    """Lock or unlock a meeting, or move it by hand (then it is locked there)."""
    current = await _managed_meeting(principal, meeting_id)
    settings = await _matchmaking(current["event"])
    async with write_transaction():
        await _lock_matchmaking(current["event"])
        row = await Meeting.select().where(Meeting.id == meeting_id).first()
        assert row is not None
        if row["status"] == MeetingStatus.dropped.value:
            raise Conflict("the meeting was dropped")
        move = data.slot is not msgspec.UNSET or data.table_number is not msgspec.UNSET
        if move:
            slot = data.slot if data.slot is not msgspec.UNSET else row["slot"]
            table = data.table_number if data.table_number is not msgspec.UNSET else row["table_number"]
            if slot is None or table is None:
                raise InvalidInput("slot", "give both slot and table_number for an unscheduled meeting")
            await _check_free(settings, row, slot, table)
            locked = True if data.locked is msgspec.UNSET else data.locked
            await _place(row, slot, table, slot_times(settings), locked=locked)
        elif data.locked is not msgspec.UNSET:
            if data.locked and row["status"] != MeetingStatus.scheduled.value:
                raise Conflict("only a scheduled meeting can be locked where it is", field="locked")
            await Meeting.update({Meeting.locked: data.locked, Meeting.updated_at: utcnow()}).where(
                Meeting.id == meeting_id
            )
    return await _meeting_row(meeting_id)


async def _check_free(settings: dict[str, Any], row: dict[str, Any], slot: int, table: int) -> None:
    if slot >= settings["slots"]:
        raise InvalidInput("slot", f"there are {settings['slots']} slots")
    if table > settings["tables"]:
        raise InvalidInput("table_number", f"there are {settings['tables']} tables")
    others = await Meeting.select(Meeting.table_number, Meeting.person_a, Meeting.person_b).where(
        (Meeting.event == row["event"])
        & (Meeting.status == MeetingStatus.scheduled.value)
        & (Meeting.slot == slot)
        & (Meeting.id != row["id"])
    )
    if any(o["table_number"] == table for o in others):
        raise Conflict("that table is taken in that slot", field="table_number")
    pair = {row["person_a"], row["person_b"]}
    if any({o["person_a"], o["person_b"]} & pair for o in others):
        raise Conflict("one of them has another meeting in that slot", field="slot")
    availability = await _availability(row["event"], settings["slots"])
    for person in pair:
        if slot not in availability.get(person, frozenset(range(settings["slots"]))):
            raise Conflict("one of them is not available in that slot", field="slot")


async def _availability(event_id: int, slots: int) -> dict[int, frozenset[int]]:
    rows = await MatchmakingProfile.select(
        MatchmakingProfile.person, MatchmakingProfile.available_slots
    ).where(MatchmakingProfile.event == event_id)
    return {
        r["person"]: frozenset(s for s in _json_list(r["available_slots"]) if s < slots)
        for r in rows
        if r["available_slots"] is not None
    }


# ---------------------------------------------------------------- the schedule: runs


def run_url(event_id: int, run_id: int) -> str:
    return f"/api/events/{event_id}/matchmaking/runs/{run_id}"


def _run_out(row: dict[str, Any]) -> ScheduleRunOut:
    raw = row["result"]
    figures = msgspec.json.decode(raw) if isinstance(raw, str | bytes) else raw
    return ScheduleRunOut(
        id=row["id"],
        event_id=row["event"],
        status=RunStatus(row["status"]),
        trigger=RunTrigger(row["trigger"]),
        requested_at=local(row["requested_at"]),
        started_at=local_or_none(row["started_at"]),
        finished_at=local_or_none(row["finished_at"]),
        status_url=run_url(row["event"], row["id"]),
        result=None if figures is None else msgspec.convert(figures, ScheduleResult),
        error=row["error"],
    )


async def _last_run(event_id: int) -> ScheduleRunOut | None:
    row = (
        await MatchmakingRun.select()
        .where(MatchmakingRun.event == event_id)
        .order_by(MatchmakingRun.id, ascending=False)
        .first()
    )
    return None if row is None else _run_out(row)


async def request_schedule(principal: Principal, event_id: int) -> ScheduleRunOut:
    """An organiser asks for a schedule: a run is queued for a worker (the solver takes up to SOLVER_SECONDS,
    too long for a request). Conflict while another run of the event is queued or running."""
    await _network_event(principal, event_id)
    await _matchmaking(event_id)
    return _run_out(await queue_run(event_id, RunTrigger.organiser))


async def get_run(principal: Principal, event_id: int, run_id: int) -> ScheduleRunOut:
    await _network_event(principal, event_id)
    row = (
        await MatchmakingRun.select()
        .where((MatchmakingRun.id == run_id) & (MatchmakingRun.event == event_id))
        .first()
    )
    if row is None:
        raise NotFound("run")
    return _run_out(row)


async def queue_run(
    event_id: int, trigger: RunTrigger, *, send_agendas: bool = False, now: datetime | None = None
) -> dict[str, Any]:
    """Record a run and hand it to a worker after the commit (the row as recorded: a worker may have
    started on it by the time the caller looks again); Conflict if one is queued or running."""
    async with write_transaction():
        await _lock_matchmaking(event_id)
        active = (
            await MatchmakingRun.select(MatchmakingRun.id, MatchmakingRun.status)
            .where((MatchmakingRun.event == event_id) & MatchmakingRun.status.is_in(list(ACTIVE_RUNS)))
            .first()
        )
        if active is not None:
            raise Conflict(
                f"a schedule run is already {active['status']}: see {run_url(event_id, active['id'])}"
            )
        rows = await MatchmakingRun.insert(
            MatchmakingRun(
                event=event_id,
                status=RunStatus.queued.value,
                trigger=trigger.value,
                send_agendas=send_agendas,
                requested_at=now or utcnow(),
                dispatched_at=utcnow(),
            )
        ).returning(*MatchmakingRun.all_columns())
        run: dict[str, Any] = rows[0]
        after_commit(lambda: dispatch(SCHEDULE_ACTOR, run["id"]))
    return run


@handler(SCHEDULE_ACTOR, queue_name=SCHEDULE_QUEUE)
async def perform_run(run_id: int) -> None:
    """The worker's part: claim the run, solve in a thread, apply. Safe under redelivery: a run that is done
    or failed, or that another attempt claimed less than RUNNING_STALE_AFTER ago, is left alone."""
    token = secrets.token_hex(8)
    run = await _claim_run(run_id, token)
    if run is None:
        return
    try:
        await run_schedule(run["event"], run_id=run_id, claim_token=token, send_agendas=run["send_agendas"])
    except Exception as exc:
        logger.exception("matchmaking run %s failed", run_id)
        error = f"the schedule could not be made ({type(exc).__name__}); the worker's log has the details"
        await MatchmakingRun.update(
            {
                MatchmakingRun.status: RunStatus.failed.value,
                MatchmakingRun.finished_at: utcnow(),
                MatchmakingRun.error: error,
            }
        ).where(
            (MatchmakingRun.id == run_id)
            & (MatchmakingRun.claim_token == token)
            & (MatchmakingRun.status == RunStatus.running.value)
        )


async def _claim_run(run_id: int, token: str) -> dict[str, Any] | None:
    """Queued -> running, atomically; or a running one whose attempt went silent (its worker was killed)."""
    now = utcnow()
    rows = (
        await MatchmakingRun.update(
            {
                MatchmakingRun.status: RunStatus.running.value,
                MatchmakingRun.started_at: now,
                MatchmakingRun.attempts: MatchmakingRun.attempts + 1,
                MatchmakingRun.claim_token: token,
            }
        )
        .where(
            (MatchmakingRun.id == run_id)
            & (
                (MatchmakingRun.status == RunStatus.queued.value)
                | (
                    (MatchmakingRun.status == RunStatus.running.value)
                    & (MatchmakingRun.started_at < now - RUNNING_STALE_AFTER)
                    & (MatchmakingRun.attempts < MAX_ATTEMPTS)
                )
            )
        )
        .returning(MatchmakingRun.id, MatchmakingRun.event, MatchmakingRun.send_agendas)
    )
    return rows[0] if rows else None


async def _still_claimed(run_id: int, claim_token: str) -> bool:
    """Inside the applying transaction: is this attempt still the one that owns the run? (Locks the row on
    PostgreSQL, so that no other attempt can claim it before this one commits.)"""
    if is_postgres():
        await MatchmakingRun.raw("SELECT id FROM matchmaking_run WHERE id = {} FOR UPDATE", run_id)
    row = (
        await MatchmakingRun.select(MatchmakingRun.status, MatchmakingRun.claim_token)
        .where(MatchmakingRun.id == run_id)
        .first()
    )
    return row is not None and row["status"] == RunStatus.running.value and row["claim_token"] == claim_token


async def _sweep_runs() -> int:
    """Runs whose message was lost are dispatched again; runs whose worker died are claimed again by the
    next attempt, or fail after MAX_ATTEMPTS. By the real clock: these times are the workers'."""
    now = utcnow()
    lost = (
        await MatchmakingRun.update({MatchmakingRun.dispatched_at: now})
        .where(
            (MatchmakingRun.status == RunStatus.queued.value)
            & (MatchmakingRun.dispatched_at < now - REDISPATCH_AFTER)
        )
        .returning(MatchmakingRun.id)
    )
    stale = MatchmakingRun.started_at < now - RUNNING_STALE_AFTER
    await MatchmakingRun.update(
        {
            MatchmakingRun.status: RunStatus.failed.value,
            MatchmakingRun.finished_at: now,
            MatchmakingRun.error: f"gave up after {MAX_ATTEMPTS} attempts: the worker stopped during the run",
        }
    ).where(
        (MatchmakingRun.status == RunStatus.running.value) & stale & (MatchmakingRun.attempts >= MAX_ATTEMPTS)
    )
    dead = (
        await MatchmakingRun.update({MatchmakingRun.dispatched_at: now})
        .where(
            (MatchmakingRun.status == RunStatus.running.value)
            & stale
            & (MatchmakingRun.dispatched_at < now - REDISPATCH_AFTER)
        )
        .returning(MatchmakingRun.id)
    )
    for row in [*lost, *dead]:
        dispatch(SCHEDULE_ACTOR, row["id"])
    return len(lost) + len(dead)


# ---------------------------------------------------------------- the schedule: one run


async def _instance(event_id: int, settings: dict[str, Any]) -> tuple[solver.Instance, list[dict[str, Any]]]:
    rows = await Meeting.select().where(
        (Meeting.event == event_id) & Meeting.status.is_in(list(LIVE_MEETINGS))
    )
    # Meetings of people who are no longer confirmed participants are not placed.
    confirmed = {r["person"] for r in await _confirmed_people(event_id)}
    rows = [r for r in rows if r["person_a"] in confirmed and r["person_b"] in confirmed]
    limits = {}
    profiles = await MatchmakingProfile.select(
        MatchmakingProfile.person, MatchmakingProfile.max_meetings
    ).where(MatchmakingProfile.event == event_id)
    for p in profiles:
        own = p["max_meetings"]
        limits[p["person"]] = settings["max_meetings"] if own is None else min(own, settings["max_meetings"])
    for r in rows:
        for person in (r["person_a"], r["person_b"]):
            limits.setdefault(person, settings["max_meetings"])
    scheduled = [r for r in rows if r["status"] == MeetingStatus.scheduled.value and r["slot"] is not None]
    instance = solver.Instance(
        slots=settings["slots"],
        tables=(settings["tables"],) * settings["slots"],
        requests=tuple(solver.Request(r["id"], r["person_a"], r["person_b"], r["priority"]) for r in rows),
        available=await _availability(event_id, settings["slots"]),
        limits=limits,
        locked={
            r["id"]: solver.Placement(r["slot"], r["table_number"])
            for r in scheduled
            if r["locked"] and r["table_number"] is not None and r["table_number"] <= settings["tables"]
        },
        previous={r["id"]: solver.Placement(r["slot"], r["table_number"] or 1) for r in scheduled},
    )
    # A locked meeting that no longer fits its own rules (a person's availability changed) is unlocked.
    bad = {rid for rid in instance.locked if solver.violations(instance, {rid: instance.locked[rid]})}
    if bad:
        instance = solver.Instance(
            slots=instance.slots,
            tables=instance.tables,
            requests=instance.requests,
            available=instance.available,
            limits=instance.limits,
            locked={k: v for k, v in instance.locked.items() if k not in bad},
            previous=instance.previous,
        )
    return instance, rows


async def run_schedule(
    event_id: int,
    seconds: float = SOLVER_SECONDS,
    *,
    run_id: int | None = None,
    claim_token: str | None = None,
    send_agendas: bool = False,
) -> ScheduleResult | None:
    """Schedule every accepted meeting of the event; changed meetings get their invitations, meetings that
    no longer fit get a CANCEL. The solver runs in a thread, outside the transaction; the result is applied
    to the meetings that are unchanged since. For a run (`run_id`), the run is marked done in the same
    transaction, and nothing is applied (None) if another attempt has taken the run over meanwhile."""
    settings = await _matchmaking(event_id)
    instance, rows = await _instance(event_id, settings)
    result = await asyncio.to_thread(solver.solve, instance, seconds, SOLVER_WORKERS)
    times = slot_times(settings)
    moved = unplaced = 0
    async with write_transaction():
        await _lock_matchmaking(event_id)
        if run_id is not None and not await _still_claimed(run_id, claim_token or ""):
            logger.info("matchmaking run %s was taken over by another attempt", run_id)
            return None
        await _drop_meetings_of_those_gone(event_id)
        before = {r["id"]: r for r in rows}
        now_rows = await Meeting.select().where(Meeting.id.is_in(list(before) or [0]))
        for row in now_rows:
            old = before[row["id"]]
            if (row["status"], row["slot"], row["table_number"], row["sequence"]) != (
                old["status"],
                old["slot"],
                old["table_number"],
                old["sequence"],
            ):
                continue  # changed while the solver ran: left as it is now
            place = result.placements.get(row["id"])
            if place is None:
                if row["status"] == MeetingStatus.scheduled.value:
                    unplaced += 1
                    await _unschedule(row, MeetingStatus.unscheduled)
                continue
            if row["status"] == MeetingStatus.scheduled.value and row["slot"] != place.slot:
                moved += 1
            await _place(row, place.slot, place.table, times)
        figures = ScheduleResult(
            method=result.method,
            seconds=round(result.seconds, 3),
            accepted=len(instance.requests),
            scheduled=len(result.placements),
            upper_bound=solver.upper_bound(instance).meetings,
            moved=moved,
            dropped_from_schedule=unplaced,
            idle_gaps=solver.idle_gaps(instance, result.placements),
            agendas_queued=await send_agendas_for(event_id) if send_agendas else None,
        )
        finished = utcnow()
        await Matchmaking.update({Matchmaking.scheduled_at: finished}).where(Matchmaking.event == event_id)
        if run_id is not None:
            await MatchmakingRun.update(
                {
                    MatchmakingRun.status: RunStatus.done.value,
                    MatchmakingRun.finished_at: finished,
                    MatchmakingRun.result: msgspec.json.encode(figures).decode(),
                }
            ).where(MatchmakingRun.id == run_id)
    return figures


async def _drop_meetings_of_those_gone(event_id: int) -> None:
    """A person whose registration is no longer confirmed has no meetings: both sides get a CANCEL."""
    confirmed = {r["person"] for r in await _confirmed_people(event_id)}
    live = await Meeting.select().where(
        (Meeting.event == event_id) & Meeting.status.is_in(list(LIVE_MEETINGS))
    )
    for row in live:
        if row["person_a"] not in confirmed or row["person_b"] not in confirmed:
            await _unschedule(row, MeetingStatus.dropped)


async def schedule_due(now: datetime) -> int:
    """Scheduler job: when an event's booking window closes, a run is queued that schedules its meetings and
    then sends every participant their agenda (once: a run asked for at or after the close counts, a manual
    one before it does not). Also sweeps runs whose message was lost or whose worker died."""
    rows = await Matchmaking.select(
        Matchmaking.event, Matchmaking.scheduled_at, Matchmaking.booking_closes_at
    ).where(
        Matchmaking.auto_schedule.eq(True)
        & Matchmaking.booking_closes_at.is_not_null()
        & (Matchmaking.booking_closes_at <= now)
        & Matchmaking.event.is_in(Event.select(Event.id).where(Event.status == EventStatus.published.value))
    )
    due = [r for r in rows if r["scheduled_at"] is None or r["scheduled_at"] < r["booking_closes_at"]]
    queued = 0
    for row in due:
        if await MatchmakingRun.exists().where(
            (MatchmakingRun.event == row["event"]) & (MatchmakingRun.requested_at >= row["booking_closes_at"])
        ):
            continue  # asked for already (and perhaps failed: then the organiser runs it again)
        try:
            await queue_run(row["event"], RunTrigger.booking_closed, send_agendas=True, now=now)
        except Conflict:
            continue  # a run asked for before the close is still under way: the next tick looks again
        queued += 1
    await _sweep_runs()
    return queued


# ---------------------------------------------------------------- agendas


async def send_agendas(principal: Principal, event_id: int) -> int:
    await _network_event(principal, event_id)
    await _matchmaking(event_id)
    return await send_agendas_for(event_id)


async def send_agendas_for(event_id: int) -> int:
    """Every confirmed participant gets an email listing their meetings (with tables), and their link."""
    people = await Registration.select(Registration.person).where(
        (Registration.event == event_id) & (Registration.status == RegistrationStatus.confirmed.value)
    )
    queued = 0
    async with write_transaction():
        for row in people:
            participant = await _participant(event_id, row["person"])
            if participant is None:
                continue
            meetings = [
                m for m in await participant_meetings(participant) if m.status is MeetingStatus.scheduled
            ]
            if await queue_agenda(participant, meetings, await _link_for(participant)):
                queued += 1
    return queued


async def agenda(token: str) -> dict[str, Any]:
    """What the personal agenda page shows."""
    participant = await participant_for_token(token)
    event = await Event.select().where(Event.id == participant.event_id).first()
    settings = await Matchmaking.select().where(Matchmaking.event == participant.event_id).first()
    meetings = await participant_meetings(participant)
    others = {m.person_b_id if m.person_a_id == participant.person_id else m.person_a_id for m in meetings}
    organisations = {
        r["id"]: r["organisation.name"]
        for r in await Person.select(Person.id, Person.organisation.name).where(
            Person.id.is_in(list(others) or [0])
        )
    }
    requests = await list_requests(participant)
    return {
        "participant": participant,
        "event": event,
        "settings": settings,
        "meetings": meetings,
        "organisations": organisations,
        "requests": requests,
    }


# ---------------------------------------------------------------- after the event (the survey)


async def meetings_to_report(event_id: int, person_id: int) -> list[dict[str, Any]]:
    """The scheduled meetings of a person at an event, with the other side and what this person reported."""
    rows = (
        await Meeting.select(
            *MEETING_COLUMNS,
            cast(Any, Meeting.person_a.organisation).name.as_alias("org_a"),
            cast(Any, Meeting.person_b.organisation).name.as_alias("org_b"),
        )
        .where(
            (Meeting.event == event_id)
            & (Meeting.status == MeetingStatus.scheduled.value)
            & ((Meeting.person_a == person_id) | (Meeting.person_b == person_id))
        )
        .order_by(Meeting.starts_at)
    )
    out = []
    for r in rows:
        mine_is_a = r["person_a"] == person_id
        out.append(
            {
                "id": r["id"],
                "other_name": r["person_b_name"] if mine_is_a else r["person_a_name"],
                "other_organisation": r["org_b"] if mine_is_a else r["org_a"],
                "starts_at": r["starts_at"],
                "table_number": r["table_number"],
                "report": r["report_a"] if mine_is_a else r["report_b"],
            }
        )
    return out


OUTCOME_RANK = {r.value: n for n, r in enumerate(MeetingReport)}


async def save_meeting_reports(event_id: int, person_id: int, reports: dict[int, MeetingReport]) -> None:
    """Record what a person said about their meetings; `held` is True when either side says it took place,
    False when the only answers say it did not; `outcome` is the highest outcome either side reported."""
    if not reports:
        return
    rows = await Meeting.select().where(
        (Meeting.event == event_id)
        & Meeting.id.is_in(list(reports))
        & ((Meeting.person_a == person_id) | (Meeting.person_b == person_id))
    )
    for row in rows:
        column = "report_a" if row["person_a"] == person_id else "report_b"
        both = {
            **{"report_a": row["report_a"], "report_b": row["report_b"]},
            column: reports[row["id"]].value,
        }
        given = [v for v in both.values() if v]
        held_reports = [v for v in given if v != MeetingReport.not_held.value]
        held = True if held_reports else (False if given else None)
        outcome = max(held_reports, key=lambda v: OUTCOME_RANK[v]) if held_reports else None
        await Meeting.update(
            {
                getattr(Meeting, column): reports[row["id"]].value,
                Meeting.held: held,
                Meeting.outcome: outcome,
                Meeting.updated_at: utcnow(),
            }
        ).where(Meeting.id == row["id"])
