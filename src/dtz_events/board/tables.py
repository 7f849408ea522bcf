from __future__ import annotations

from piccolo.columns import JSON, Boolean, Date, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from dtz_events.events.tables import Event
from dtz_events.partners.tables import Organisation, Person
from dtz_events.registrations.tables import Registration

QUORUM_RULE = "majority"
QUORUM_WARNING_HOURS = 72


class BoardMembership(Table, tablename="board_membership"):
    """One seat of the board (a municipality, the province, business, education): its member and deputy."""

    id: Serial
    seat = Varchar(length=100, unique=True)
    organisation = ForeignKey(Organisation, on_delete=OnDelete.set_null, null=True, default=None)
    member = ForeignKey(Person, on_delete=OnDelete.restrict, index=True)
    deputy = ForeignKey(Person, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    role = Varchar(length=10, default="member")  # chair or member
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class BoardSession(Table, tablename="board_session"):
    """What a board session adds to its event: the quorum rule, the agenda's version, the minutes' state."""

    id: Serial
    event = ForeignKey(Event, on_delete=OnDelete.cascade, unique=True)
    quorum_rule = Varchar(length=20, default=QUORUM_RULE)
    quorum_count = Integer(null=True, default=None)  # for the rule "count"
    quorum_warning_hours = Integer(default=QUORUM_WARNING_HOURS)
    quorum_warned_at = Timestamptz(null=True, default=None)
    invitations_sent_at = Timestamptz(null=True, default=None)
    agenda_version = Integer(default=0)
    minutes_approved_at = Timestamptz(null=True, default=None)
    minutes_approved_in = ForeignKey(Event, on_delete=OnDelete.set_null, null=True, default=None)
    poll_status = Varchar(length=10, null=True, default=None)  # open, picked


class BoardInvitation(Table, tablename="board_invitation"):
    """Which seat a registration of a board session fills, and whether as the deputy."""

    id: Serial
    session = ForeignKey(BoardSession, on_delete=OnDelete.cascade, index=True)
    membership = ForeignKey(BoardMembership, on_delete=OnDelete.cascade, index=True)
    registration = ForeignKey(Registration, on_delete=OnDelete.cascade, unique=True)
    as_deputy = Boolean(default=False)
    attended = Boolean(null=True, default=None)


class AgendaItem(Table, tablename="board_agenda_item"):
    id: Serial
    session = ForeignKey(BoardSession, on_delete=OnDelete.cascade, index=True)
    position = Integer()
    title = Varchar(length=200)
    presenter = Varchar(length=200, default="")
    minutes_allotted = Integer(default=15)
    kind = Varchar(length=20)  # decision, discussion, information
    documents = JSON(default=[])  # [{"title": ..., "url": ...}]
    minutes = Text(default="")  # Markdown, written after the session
    minutes_updated_at = Timestamptz(null=True, default=None)


class DecisionCounter(Table, tablename="board_decision_counter"):
    """The last decision number given out per year; its row is locked while a number is taken."""

    id: Serial
    year = Integer(unique=True)
    last = Integer(default=0)


class Decision(Table, tablename="board_decision"):
    id: Serial
    session = ForeignKey(BoardSession, on_delete=OnDelete.restrict, index=True)
    agenda_item = ForeignKey(AgendaItem, on_delete=OnDelete.set_null, null=True, default=None)
    year = Integer()
    number = Integer()
    code = Varchar(length=20, unique=True)  # BO-2026-014
    text = Text()
    created_at = Timestamptz(default=TimestamptzNow())


class ActionItem(Table, tablename="board_action_item"):
    id: Serial
    session = ForeignKey(BoardSession, on_delete=OnDelete.cascade, index=True)
    agenda_item = ForeignKey(AgendaItem, on_delete=OnDelete.set_null, null=True, default=None)
    decision = ForeignKey(Decision, on_delete=OnDelete.set_null, null=True, default=None)
    description = Text()
    owner = ForeignKey(Person, on_delete=OnDelete.restrict, index=True)
    due_on = Date()
    status = Varchar(length=10, default="open", index=True)  # open, done
    done_at = Timestamptz(null=True, default=None)
    reminded_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class PollOption(Table, tablename="board_poll_option"):
    """A candidate date of a board session not yet scheduled."""

    id: Serial
    session = ForeignKey(BoardSession, on_delete=OnDelete.cascade, index=True)
    starts_at = Timestamptz()
    ends_at = Timestamptz()


class PollAnswer(Table, tablename="board_poll_answer"):
    id: Serial
    option = ForeignKey(PollOption, on_delete=OnDelete.cascade, index=True)
    person = ForeignKey(Person, on_delete=OnDelete.cascade, index=True)
    answer = Varchar(length=10)  # yes, maybe, no
    # "<option>:<person>": one answer per person and date, unique inline (SQLite cannot add a composite
    # unique constraint to a table, and a migration's raw SQL runs before its tables are created).
    ballot = Varchar(length=40, unique=True)
    answered_at = Timestamptz(default=TimestamptzNow())
