from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from msgspec import UNSET, Meta, UnsetType

from dtz_events.core.schemas import AwareDatetime, Input, LongText, Output, ShortText, Slug, Title


class EventKind(StrEnum):
    promotion_day = "promotion_day"
    network_meeting = "network_meeting"
    board_session = "board_session"


class EventStatus(StrEnum):
    draft = "draft"
    published = "published"
    cancelled = "cancelled"
    completed = "completed"


class Visibility(StrEnum):
    public = "public"
    partners = "partners"
    invited = "invited"


Capacity = Annotated[int, Meta(ge=1, le=100_000)]
ReminderHours = Annotated[int, Meta(ge=0, le=24 * 60)]


class EventCreate(Input):
    kind: EventKind
    title: Title
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    description: LongText = ""
    venue: ShortText = ""
    address: ShortText = ""
    municipality: ShortText | None = None
    capacity: Capacity | None = None
    registration_opens_at: AwareDatetime | None = None
    registration_closes_at: AwareDatetime | None = None
    visibility: Visibility | None = None
    programme: Slug | None = None
    themes: list[Slug] = []
    reminder_hours: ReminderHours = 48


class EventUpdate(Input):
    title: Title | UnsetType = UNSET
    starts_at: AwareDatetime | UnsetType = UNSET
    ends_at: AwareDatetime | UnsetType = UNSET
    description: LongText | UnsetType = UNSET
    venue: ShortText | UnsetType = UNSET
    address: ShortText | UnsetType = UNSET
    municipality: ShortText | UnsetType | None = UNSET
    capacity: Capacity | UnsetType | None = UNSET
    registration_opens_at: AwareDatetime | UnsetType | None = UNSET
    registration_closes_at: AwareDatetime | UnsetType | None = UNSET
    visibility: Visibility | UnsetType = UNSET
    programme: Slug | UnsetType | None = UNSET
    themes: list[Slug] | UnsetType = UNSET
    reminder_hours: ReminderHours | UnsetType = UNSET


class SeatCounts(Output):
    confirmed: int = 0
    waitlisted: int = 0
    invited: int = 0


class EventOut(Output):
    id: int
    kind: EventKind
    title: str
    description: str
    venue: str
    address: str
    municipality: str | None
    starts_at: datetime
    ends_at: datetime
    capacity: int | None
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    visibility: Visibility
    status: EventStatus
    programme: str | None
    themes: list[str]
    calendar_uid: str
    sequence: int
    reminder_hours: int
    seats: SeatCounts
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    cancelled_at: datetime | None
