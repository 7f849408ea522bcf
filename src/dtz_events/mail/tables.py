from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from dtz_events.events.tables import Event
from dtz_events.partners.tables import Person
from dtz_events.registrations.tables import Registration


class OutboxMessage(Table, tablename="outbox"):
    """One email. Written in the transaction of the change that causes it; rendered on the first attempt
    (so a fan-out to thousands costs the request one INSERT ... SELECT); sent by a worker that claims it."""

    id: Serial
    dedup_key = Varchar(length=200, unique=True)
    kind = Varchar(length=40, index=True)
    language = Varchar(length=2, default="nl")
    recipient_email = Varchar(length=254)
    recipient_name = Varchar(length=200, default="")
    person = ForeignKey(Person, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    event = ForeignKey(Event, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    registration = ForeignKey(Registration, on_delete=OnDelete.set_null, null=True, default=None)
    sequence = Integer(default=0)
    subject = Text(null=True, default=None)
    text_body = Text(null=True, default=None)
    html_body = Text(null=True, default=None)
    ics = Text(null=True, default=None)
    ics_method = Varchar(length=10, null=True, default=None)
    status = Varchar(length=10, default="queued", index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow(), index=True)
    claimed_at = Timestamptz(null=True, default=None)
    claim_token = Varchar(length=32, null=True, default=None)
    dispatched_at = Timestamptz(null=True, default=None)
    last_error = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)
