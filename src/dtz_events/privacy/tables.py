from __future__ import annotations

from piccolo.columns import JSON, ForeignKey, Integer, Serial, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from dtz_events.accounts.tables import Account


class AuditEntry(Table):
    """One change made through the API or the pages by someone logged in (and every personal-data export):
    who, when, what (method, route, the ids in the path) and how it ended."""

    id: Serial
    at = Timestamptz(default=TimestamptzNow(), index=True)
    account = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    # Kept as text too, so the entry still says who it was after the account is gone.
    account_email = Varchar(length=254, default="")
    role = Varchar(length=30, default="")
    method = Varchar(length=10)
    route = Varchar(length=300, index=True)
    path = Varchar(length=500)
    target_ids = JSON(default="{}")
    status = Integer()
    outcome = Varchar(length=10)  # done, refused (4xx), error (5xx)
    request_id = Varchar(length=128, null=True, default=None)
