"""Emails a domain renders itself (board, matchmaking, promotion days): the one way they are rendered,
given their calendar invitation and queued with `mail.services.queue_rendered`. The domain says who gets
what (`Recipient`, kind, key, template, context) and, for an invitation, its `ical.CalendarEntry`; the rest
is the same for every domain: the sender's context, the ORGANIZER, METHOD (CANCEL for a cancelled entry,
else REQUEST), SEQUENCE (the entry's) and the deduplication key `<kind>:<key>`."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from dtz_events.core import ical
from dtz_events.core.templating import render_email
from dtz_events.mail.services import MailSettings, queue_rendered


@dataclass(frozen=True, slots=True)
class Recipient:
    email: str
    name: str
    language: str
    person_id: int | None = None

    @classmethod
    def of(cls, row: dict[str, Any], person_id: int | None, language: str | None = None) -> Recipient:
        """From a row with `email`, `name` and `language` (the latter replaced by `language` if given)."""
        return cls(row["email"], row["name"], row["language"] if language is None else language, person_id)


def base_context(name: str) -> dict[str, Any]:
    """What every such email shows besides its own content: whom it greets and how to reach the organiser."""
    settings = MailSettings.settings
    return {
        "person": {"name": name},
        "organiser_email": parseaddr(settings.mail_from)[1],
        "base_url": settings.base_url,
    }


def invitation(entry: ical.CalendarEntry, recipient: Recipient) -> str:
    """The entry as an iMIP invitation to the recipient alone: CANCEL if the entry is cancelled, else
    REQUEST, from the cooperation's RSVP mailbox."""
    return ical.invitation(
        entry,
        _method(entry),
        organizer=ical.Party(email=MailSettings.settings.rsvp_address, name="Dutch TechZone"),
        attendee=ical.Party(email=recipient.email, name=recipient.name),
    ).decode()


def _method(entry: ical.CalendarEntry) -> ical.Method:
    return ical.Method.cancel if entry.cancelled else ical.Method.request


async def queue_email(
    kind: str,
    key: str,
    template: str,
    to: Recipient,
    context: dict[str, Any],
    *,
    event_id: int | None,
    calendar: ical.CalendarEntry | None = None,
) -> int | None:
    """Renders `template` for `to` (the base context, `has_calendar`, then `context`, which may override
    either) and queues it under `<kind>:<key>`, with `calendar` as its invitation. In the caller's
    transaction; returns the outbox row's id, or None if that key was queued before."""
    full = {**base_context(to.name), "has_calendar": calendar is not None, **context}
    return await queue_rendered(
        dedup_key=f"{kind}:{key}",
        kind=kind,
        recipient_email=to.email,
        recipient_name=to.name,
        language=to.language,
        email=render_email(template, to.language, full),
        person_id=to.person_id,
        event_id=event_id,
        ics=None if calendar is None else invitation(calendar, to),
        ics_method=None if calendar is None else _method(calendar).value,
        sequence=0 if calendar is None else calendar.sequence,
    )
