from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, Integer, Serial, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from dtz_events.accounts.tables import Account
from dtz_events.events.tables import Event
from dtz_events.partners.tables import Organisation, Person


class Registration(Table):
    id: Serial
    event = ForeignKey(Event, on_delete=OnDelete.cascade, index=True)
    person = ForeignKey(Person, on_delete=OnDelete.cascade, index=True)
    organisation = ForeignKey(Organisation, on_delete=OnDelete.restrict, index=True)
    status = Varchar(length=20, index=True)
    rsvp = Varchar(length=20, default="needs_action")
    # Arrival order: the waiting list is served by (queued_at, id).
    queued_at = Timestamptz(default=TimestamptzNow())
    status_changed_at = Timestamptz(default=TimestamptzNow())
    checked_in_at = Timestamptz(null=True, default=None)
    # Shown as a QR code on the participant's page; typed or scanned at the door.
    checkin_code = Varchar(length=16, null=True, default=None)  # unique index in migration 0005
    walk_in = Boolean(default=False)
    registered_by = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    # Raised on every status change: keys the emails about that change, and (added to the event's
    # sequence) gives this attendee's calendar copy a SEQUENCE that only goes up.
    revision = Integer(default=0)


class Quota(Table):
    """Seats of an event reserved for, and limited to, one partner organisation."""

    id: Serial
    event = ForeignKey(Event, on_delete=OnDelete.cascade, index=True)
    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade, index=True)
    seats = Integer()


class LinkToken(Table):
    """A participant link (RSVP, calendar feed): a random token kept as its digest, one purpose, revocable."""

    id: Serial
    purpose = Varchar(length=20, index=True)
    digest = Varchar(length=64, unique=True)
    person = ForeignKey(Person, on_delete=OnDelete.cascade, null=True, default=None, index=True)
    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade, null=True, default=None)
    registration = ForeignKey(Registration, on_delete=OnDelete.cascade, null=True, default=None, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)
