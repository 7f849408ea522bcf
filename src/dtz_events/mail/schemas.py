from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from dtz_events.core.schemas import Output


class EmailKind(StrEnum):
    invitation = "invitation"
    registration_confirmed = "registration_confirmed"
    waitlisted = "waitlisted"
    promoted = "promoted"
    event_changed = "event_changed"
    event_cancelled = "event_cancelled"
    registration_cancelled = "registration_cancelled"
    reminder = "reminder"
    survey_invitation = "survey_invitation"
    survey_reminder = "survey_reminder"
    survey_followup = "survey_followup"

    @property
    def template(self) -> str:
        return f"{self.value}_to_participant"


class OutboxStatus(StrEnum):
    queued = "queued"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    held = "held"  # rendered and kept in the local outbox: no SMTP server is configured
    withdrawn = "withdrawn"  # not sent: no longer true when it could go out (a stale reminder)


# The email a registration's status calls for, when it changes.
KIND_FOR_STATUS = {
    "invited": EmailKind.invitation,
    "confirmed": EmailKind.registration_confirmed,
    "waitlisted": EmailKind.waitlisted,
    "cancelled": EmailKind.registration_cancelled,
}

# Which emails carry a calendar invitation, with which iTIP method.
CALENDAR_METHOD = {
    EmailKind.invitation: "REQUEST",
    EmailKind.registration_confirmed: "REQUEST",
    EmailKind.promoted: "REQUEST",
    EmailKind.event_changed: "REQUEST",
    EmailKind.event_cancelled: "CANCEL",
    EmailKind.registration_cancelled: "CANCEL",
}


class OutboxOut(Output):
    id: int
    kind: str
    language: str
    recipient_email: str
    recipient_name: str
    subject: str | None
    status: OutboxStatus
    attempts: int
    last_error: str | None
    event_id: int | None
    ics_method: str | None
    created_at: datetime
    sent_at: datetime | None


class OutboxCounts(Output):
    queued: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0
    held: int = 0
    withdrawn: int = 0
