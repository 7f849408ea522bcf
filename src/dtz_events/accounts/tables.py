from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, Integer, Serial, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from dtz_events.partners.tables import Organisation


class Account(Table):
    """Someone who logs in: an admin, organiser, board secretary or partner coordinator."""

    id: Serial
    email = Varchar(length=254, unique=True)
    name = Varchar(length=200)
    password_hash = Varchar(length=200, null=True, default=None, secret=True)
    role = Varchar(length=30)
    organisation = ForeignKey(Organisation, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    language = Varchar(length=2, default="nl")
    active = Boolean(default=True)
    # In every login's session cookie; deactivation raises it, so no earlier cookie works again.
    session_epoch = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    last_login_at = Timestamptz(null=True, default=None)


class ApiKey(Table):
    id: Serial
    account = ForeignKey(Account, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=200)
    prefix = Varchar(length=20)
    digest = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)
