from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from dtz_events.core.schemas import AwareDatetime, Input, Output, Slug

MAX_SLOTS = 48
SlotNumber = Annotated[int, Meta(ge=0, le=MAX_SLOTS - 1)]
ProfileText = Annotated[str, Meta(max_length=2000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")]
Message = Annotated[str, Meta(max_length=500, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")]
Tag = Annotated[str, Meta(min_length=1, max_length=60, pattern=r"^[^\x00-\x1f\x7f]*\S[^\x00-\x1f\x7f]*$")]
Priority = Annotated[int, Meta(ge=1, le=3)]


class RequestStatus(StrEnum):
    pending = "pending"
    accepted = "accepted"
    declined = "declined"
    expired = "expired"
    withdrawn = "withdrawn"


class MeetingStatus(StrEnum):
    unscheduled = "unscheduled"  # accepted, not (or no longer) in the schedule
    scheduled = "scheduled"
    dropped = "dropped"  # taken out by the organiser, or one side cancelled


class MeetingReport(StrEnum):
    """What one side said in the survey: it did not take place, or how far it got."""

    not_held = "not_held"
    contact = "contact"
    follow_up = "follow_up"
    joint_project = "joint_project"
    agreement = "agreement"
    hire_or_internship = "hire_or_internship"


class Break(msgspec.Struct, forbid_unknown_fields=True):
    after_slot: SlotNumber
    minutes: Annotated[int, Meta(ge=1, le=240)]


class MatchmakingSettings(Input):
    starts_at: AwareDatetime
    slot_minutes: Annotated[int, Meta(ge=5, le=120)] = 20
    slots: Annotated[int, Meta(ge=1, le=MAX_SLOTS)] = 6
    breaks: Annotated[list[Break], Meta(max_length=10)] = []
    tables: Annotated[int, Meta(ge=1, le=1000)] = 10
    max_meetings: Annotated[int, Meta(ge=1, le=MAX_SLOTS)] = 6
    request_days: Annotated[int, Meta(ge=1, le=60)] = 7
    booking_closes_at: AwareDatetime | None = None
    auto_schedule: bool = True


class SlotOut(Output):
    number: int
    starts_at: datetime
    ends_at: datetime


class MatchmakingOut(Output):
    event_id: int
    starts_at: datetime
    slot_minutes: int
    slots: list[SlotOut]
    breaks: list[Break]
    tables: int
    max_meetings: int
    request_days: int
    booking_closes_at: datetime | None
    auto_schedule: bool
    scheduled_at: datetime | None
    last_run: ScheduleRunOut | None = None


class ProfileUpdate(Input):
    offers: ProfileText | UnsetType = UNSET
    seeks: ProfileText | UnsetType = UNSET
    sectors: Annotated[list[Tag], Meta(max_length=20)] | UnsetType = UNSET
    themes: Annotated[list[Slug], Meta(max_length=20)] | UnsetType = UNSET
    available_slots: Annotated[list[SlotNumber], Meta(max_length=MAX_SLOTS)] | UnsetType | None = UNSET
    visible: bool | UnsetType = UNSET
    max_meetings: Annotated[int, Meta(ge=0, le=MAX_SLOTS)] | UnsetType | None = UNSET


class ProfileOut(Output):
    person_id: int
    name: str
    job_title: str | None
    organisation_id: int
    organisation_name: str
    helix: str
    offers: str
    seeks: str
    sectors: list[str]
    themes: list[str]


class OwnProfileOut(ProfileOut):
    event_id: int
    available_slots: list[int] | None
    visible: bool
    max_meetings: int | None


class SuggestionOut(Output):
    profile: ProfileOut
    score: float
    reasons: list[str]


class RequestCreate(Input):
    recipient_id: Annotated[int, Meta(ge=1, le=2**53)]
    message: Message = ""
    priority: Priority = 2


class RequestOut(Output):
    id: int
    event_id: int
    requester_id: int
    requester_name: str
    recipient_id: int
    recipient_name: str
    message: str
    priority: int
    status: RequestStatus
    created_at: datetime
    expires_at: datetime
    answered_at: datetime | None
    meeting_id: int | None = None


class MeetingOut(Output):
    id: int
    event_id: int
    person_a_id: int
    person_a_name: str
    person_b_id: int
    person_b_name: str
    priority: int
    status: MeetingStatus
    slot: int | None
    starts_at: datetime | None
    ends_at: datetime | None
    table_number: int | None
    locked: bool
    sequence: int
    held: bool | None


class MeetingUpdate(Input):
    """Lock a meeting where it is (or at a given slot and table) so that scheduling keeps it there."""

    locked: bool | UnsetType = UNSET
    slot: SlotNumber | UnsetType = UNSET
    table_number: Annotated[int, Meta(ge=1, le=1000)] | UnsetType = UNSET


class RunStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class RunTrigger(StrEnum):
    organiser = "organiser"
    booking_closed = "booking_closed"  # the scheduler, when the booking window closes


class ScheduleResult(Output):
    """The figures of a finished run."""

    method: str  # the solver's: optimal, feasible (time limit), greedy...
    seconds: float  # the solver's time
    accepted: int
    scheduled: int
    upper_bound: int
    moved: int
    dropped_from_schedule: int
    idle_gaps: int
    agendas_queued: int | None = None  # for a run that sent the agendas


class ScheduleRunOut(Output):
    id: int
    event_id: int
    status: RunStatus
    trigger: RunTrigger
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    status_url: str
    result: ScheduleResult | None
    error: str | None


class ParticipantLinkOut(Output):
    person_id: int
    token: str
    agenda_url: str


class LinksSentOut(Output):
    queued: int
