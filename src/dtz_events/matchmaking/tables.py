from __future__ import annotations

from piccolo.columns import JSON, Boolean, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from dtz_events.events.tables import Event
from dtz_events.partners.tables import Person


class Matchmaking(Table, tablename="matchmaking"):
    """The matchmaking window of one network meeting: slots of `slot_minutes` from `starts_at`, with breaks
    after some slots, `tables` tables, and the booking window after which the schedule is made."""

    id: Serial
    event = ForeignKey(Event, on_delete=OnDelete.cascade, unique=True)
    starts_at = Timestamptz()
    slot_minutes = Integer(default=20)
    slots = Integer(default=6)
    # [{"after_slot": 2, "minutes": 15}]: a break after the third slot (slot numbers from 0).
    breaks = JSON(default="[]")
    tables = Integer(default=10)
    max_meetings = Integer(default=6)  # per participant
    request_days = Integer(default=7)  # an unanswered request expires after this many days
    booking_closes_at = Timestamptz(null=True, default=None)
    auto_schedule = Boolean(default=True)
    scheduled_at = Timestamptz(null=True, default=None)  # when a schedule run last placed the meetings
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class MatchmakingProfile(Table, tablename="matchmaking_profile"):
    """What a participant offers and looks for at one event, and when they are free for meetings."""

    id: Serial
    event = ForeignKey(Event, on_delete=OnDelete.cascade, index=True)
    person = ForeignKey(Person, on_delete=OnDelete.cascade, index=True)
    offers = Text(default="")
    seeks = Text(default="")
    sectors = JSON(default="[]")
    themes = JSON(default="[]")  # theme slugs
    available_slots = JSON(null=True, default=None)  # slot numbers; null: the whole window
    visible = Boolean(default=True)
    max_meetings = Integer(null=True, default=None)  # below the event's limit, if the person wants
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class MeetingRequest(Table, tablename="meeting_request"):
    id: Serial
    event = ForeignKey(Event, on_delete=OnDelete.cascade, index=True)
    requester = ForeignKey(Person, on_delete=OnDelete.cascade, index=True)
    recipient = ForeignKey(Person, on_delete=OnDelete.cascade, index=True)
    message = Text(default="")
    priority = Integer(default=2)  # 1 nice to meet, 2 want to meet, 3 must meet
    status = Varchar(length=20, default="pending", index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(index=True)
    answered_at = Timestamptz(null=True, default=None)


class Meeting(Table, tablename="meeting"):
    """An accepted request: unscheduled until the schedule gives it a slot and a table; each scheduled
    meeting is its own calendar invitation (UID meeting-<id>@host, `sequence` raised on every change)."""

    id: Serial
    event = ForeignKey(Event, on_delete=OnDelete.cascade, index=True)
    request = ForeignKey(MeetingRequest, on_delete=OnDelete.cascade, unique=True)
    person_a = ForeignKey(Person, on_delete=OnDelete.cascade, index=True)  # the requester
    person_b = ForeignKey(Person, on_delete=OnDelete.cascade, index=True)
    priority = Integer(default=2)
    status = Varchar(length=20, default="unscheduled", index=True)  # unscheduled, scheduled, dropped
    slot = Integer(null=True, default=None)
    starts_at = Timestamptz(null=True, default=None)
    ends_at = Timestamptz(null=True, default=None)
    table_number = Integer(null=True, default=None)
    locked = Boolean(default=False)
    sequence = Integer(default=0)
    invited = Boolean(default=False)  # a calendar invitation went out (so a drop sends a CANCEL)
    held = Boolean(null=True, default=None)  # from the survey: null unknown
    outcome = Varchar(length=30, null=True, default=None)  # the highest outcome either side reported
    report_a = Varchar(length=30, null=True, default=None)  # "not_held" or an outcome, from person_a
    report_b = Varchar(length=30, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class MatchmakingRun(Table, tablename="matchmaking_run"):
    """One scheduling run: asked for by an organiser (or by the scheduler when booking closes), done by the
    `matchmaking.schedule` actor. At most one per event is queued or running (checked under the event's
    matchmaking lock). `claim_token` names the attempt that may apply the result."""

    id: Serial
    event = ForeignKey(Event, on_delete=OnDelete.cascade, index=True)
    status = Varchar(length=20, default="queued", index=True)  # queued, running, done, failed
    trigger = Varchar(length=20, default="organiser")  # organiser, booking_closed
    send_agendas = Boolean(default=False)  # afterwards, in the same transaction
    requested_at = Timestamptz(default=TimestamptzNow())
    dispatched_at = Timestamptz(default=TimestamptzNow())
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
    attempts = Integer(default=0)
    claim_token = Varchar(length=32, null=True, default=None)
    result = JSON(null=True, default=None)  # the run's figures (schemas.ScheduleResult)
    error = Text(null=True, default=None)
