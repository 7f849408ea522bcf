from __future__ import annotations

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Serial, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from dtz_events.events.tables import Event
from dtz_events.partners.tables import Organisation


class CooperationLink(Table):
    """What one event contributed to the link between two organisations (`org_a` < `org_b`).

    Derived, never edited: `cooperation.services.refresh` rebuilds an event's rows from the sources
    (check-ins, held 1:1 meetings, reported contacts) whenever their fingerprint changes. The reports
    aggregate these rows; event and organisation attributes come from joins, so that editing an event's
    programme or an organisation's municipality needs no rebuild."""

    id: Serial
    org_a = ForeignKey(Organisation, on_delete=OnDelete.cascade, index=True)
    org_b = ForeignKey(Organisation, on_delete=OnDelete.cascade, index=True)
    event = ForeignKey(Event, on_delete=OnDelete.cascade, index=True)
    day = Date(index=True)  # the event's local start date
    quarter = Integer()  # year * 10 + quarter of `day`, e.g. 20261
    attended = Boolean(default=False)  # both checked in at the event
    met = Boolean(default=False)  # a 1:1 meeting between them was held there
    workshop = Boolean(default=False)  # a school group took part in the other's workshop (promotion day)
    reported_by_a = Boolean(default=False)  # org_a named org_b in a survey about the event (any wave)
    reported_by_b = Boolean(default=False)
    rank = Integer(null=True, default=None)  # highest outcome (ladder rank); 0 for a held meeting
    # Ordering key of the first report: yyyymmdd * 10 + (9 - rank reported in the first wave); the lowest
    # key over a pair's rows gives the rank it was first reported at.
    first_key = Integer(null=True, default=None)
    is_new = Boolean(default=False)  # this row is in the quarter where the pair first appeared


class CooperationRefresh(Table):
    """The fingerprint of each event's sources when its links were last derived."""

    id: Serial
    event = ForeignKey(Event, on_delete=OnDelete.cascade, unique=True)
    fingerprint = Varchar(length=200)
    refreshed_at = Timestamptz(default=TimestamptzNow())
