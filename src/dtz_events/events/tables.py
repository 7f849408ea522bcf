from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from dtz_events.accounts.tables import Account
from dtz_events.partners.tables import Programme, Theme


class Event(Table):
    id: Serial
    kind = Varchar(length=20, index=True)
    title = Varchar(length=200)
    description = Text(default="")
    venue = Varchar(length=200, default="")
    address = Varchar(length=300, default="")
    municipality = Varchar(length=100, null=True, default=None, index=True)
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz()
    capacity = Integer(null=True, default=None)
    registration_opens_at = Timestamptz(null=True, default=None)
    registration_closes_at = Timestamptz(null=True, default=None)
    visibility = Varchar(length=20)
    status = Varchar(length=20, default="draft", index=True)
    programme = ForeignKey(Programme, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    calendar_uid = Varchar(length=255, unique=True)
    sequence = Integer(default=0)
    reminder_hours = Integer(default=48)
    created_by = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    published_at = Timestamptz(null=True, default=None)
    cancelled_at = Timestamptz(null=True, default=None)


class EventTheme(Table):
    id: Serial
    event = ForeignKey(Event, on_delete=OnDelete.cascade, index=True)
    theme = ForeignKey(Theme, on_delete=OnDelete.cascade, index=True)
