from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from msgspec import Meta

from dtz_events.core.schemas import Id, Input, Output


class RegistrationStatus(StrEnum):
    invited = "invited"
    confirmed = "confirmed"
    waitlisted = "waitlisted"
    declined = "declined"
    cancelled = "cancelled"


class Rsvp(StrEnum):
    needs_action = "needs_action"
    accepted = "accepted"
    tentative = "tentative"
    declined = "declined"


ACTIVE_STATUSES = frozenset(
    {RegistrationStatus.invited, RegistrationStatus.confirmed, RegistrationStatus.waitlisted}
)


class RegistrationCreate(Input):
    person_id: Id


class BulkRegistrationCreate(Input):
    person_ids: Annotated[list[Id], Meta(min_length=1, max_length=500)]


class RegistrationOut(Output):
    id: int
    event_id: int
    person_id: int
    person_name: str
    organisation_id: int
    status: RegistrationStatus
    rsvp: Rsvp
    queued_at: datetime
    checked_in_at: datetime | None


class QuotaSet(Input):
    seats: Annotated[int, Meta(ge=0, le=100_000)]


class QuotaOut(Output):
    event_id: int
    organisation_id: int
    seats: int
    confirmed: int


class FeedLinkOut(Output):
    url: str


class RevokedOut(Output):
    revoked: int
