from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from dtz_events.core.schemas import (
    AwareDatetime,
    Id,
    Input,
    LongText,
    Output,
    ShortText,
    Title,
)
from dtz_events.registrations.schemas import Rsvp


class SeatRole(StrEnum):
    chair = "chair"
    member = "member"


class ItemKind(StrEnum):
    decision = "decision"
    discussion = "discussion"
    information = "information"


class QuorumRule(StrEnum):
    majority = "majority"  # more than half of the seats represented
    two_thirds = "two_thirds"  # at least two thirds of the seats
    fixed = "fixed"  # at least `quorum_count` seats


class ActionStatus(StrEnum):
    open = "open"
    done = "done"


class PollChoice(StrEnum):
    yes = "yes"
    maybe = "maybe"
    no = "no"


Seat = Annotated[str, Meta(min_length=1, max_length=100, pattern=r"^(?=[\s\S]*\S)[^\x00-\x1f\x7f]*$")]
Url = Annotated[str, Meta(min_length=8, max_length=500, pattern=r"^https?://[^\s\x00-\x1f\x7f]+$")]
Minutes = Annotated[int, Meta(ge=1, le=480)]
Hours = Annotated[int, Meta(ge=0, le=24 * 30)]
Seats = Annotated[int, Meta(ge=1, le=100)]
Markdown = Annotated[str, Meta(max_length=50_000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")]


# ---------------------------------------------------------------- memberships


class MembershipCreate(Input):
    seat: Seat
    member_id: Id
    deputy_id: Id | None = None
    organisation_id: Id | None = None
    role: SeatRole = SeatRole.member


class MembershipUpdate(Input):
    member_id: Id | UnsetType = UNSET
    deputy_id: Id | UnsetType | None = UNSET
    organisation_id: Id | UnsetType | None = UNSET
    role: SeatRole | UnsetType = UNSET
    active: bool | UnsetType = UNSET


class PersonRef(Output):
    id: int
    name: str


class MembershipOut(Output):
    id: int
    seat: str
    role: SeatRole
    organisation_id: int | None
    member: PersonRef
    deputy: PersonRef | None
    active: bool


# ---------------------------------------------------------------- sessions and agenda


class SessionSettings(Input):
    quorum_rule: QuorumRule | UnsetType = UNSET
    quorum_count: Seats | UnsetType | None = UNSET
    quorum_warning_hours: Hours | UnsetType = UNSET


class Document(Input):
    title: Title
    url: Url


class AgendaItemIn(Input):
    title: Title
    kind: ItemKind
    id: Id | None = None  # an existing item to keep (with its minutes); none for a new one
    presenter: ShortText = ""
    minutes_allotted: Minutes = 15
    documents: Annotated[list[Document], Meta(max_length=20)] = msgspec.field(default_factory=list)


class AgendaIn(Input):
    items: Annotated[list[AgendaItemIn], Meta(max_length=50)]


class DocumentOut(Output):
    title: str
    url: str


class AgendaItemOut(Output):
    id: int
    position: int
    title: str
    kind: ItemKind
    presenter: str
    minutes_allotted: int
    documents: list[DocumentOut]
    minutes: str
    minutes_html: str


class Quorum(Output):
    rule: QuorumRule
    seats: int
    required: int
    represented: int
    undecided: int
    reached: bool
    at_risk: bool


class InvitationOut(Output):
    registration_id: int
    seat: str
    person: PersonRef
    as_deputy: bool
    status: str
    rsvp: Rsvp
    attended: bool | None


class DecisionOut(Output):
    id: int
    code: str
    text: str
    agenda_item_id: int | None
    created_at: datetime


class ActionOut(Output):
    id: int
    description: str
    owner: PersonRef
    due_on: date
    status: ActionStatus
    agenda_item_id: int | None
    decision_id: int | None


class PollOptionOut(Output):
    id: int
    starts_at: datetime
    ends_at: datetime
    yes: int
    maybe: int
    no: int


class SessionOut(Output):
    event_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    status: str
    quorum_rule: QuorumRule
    quorum_count: int | None
    quorum_warning_hours: int
    invitations_sent_at: datetime | None
    agenda_version: int
    minutes_approved_at: datetime | None
    agenda: list[AgendaItemOut]
    quorum: Quorum | None  # only for the secretary and organisers
    invitations: list[InvitationOut]
    decisions: list[DecisionOut]
    actions: list[ActionOut]
    poll_status: str | None
    poll: list[PollOptionOut]


# ---------------------------------------------------------------- after the session


class RsvpOnBehalf(Input):
    person_id: Id
    answer: Rsvp
    hand_over: bool = False


class AttendanceIn(Input):
    present: Annotated[list[Id], Meta(max_length=200)]  # person ids


class MinutesIn(Input):
    text: Markdown


class ApproveIn(Input):
    approved_in_event_id: Id | None = None


class DecisionIn(Input):
    text: LongText
    agenda_item_id: Id | None = None


class ActionIn(Input):
    description: LongText
    owner_id: Id
    due_on: date
    agenda_item_id: Id | None = None
    decision_id: Id | None = None


class ActionUpdate(Input):
    description: LongText | UnsetType = UNSET
    owner_id: Id | UnsetType = UNSET
    due_on: date | UnsetType = UNSET
    status: ActionStatus | UnsetType = UNSET


# ---------------------------------------------------------------- date poll


class PollOptionIn(Input):
    starts_at: AwareDatetime
    ends_at: AwareDatetime


class PollIn(Input):
    options: Annotated[list[PollOptionIn], Meta(min_length=1, max_length=10)]


class PickIn(Input):
    option_id: Id
