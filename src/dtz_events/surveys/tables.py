from __future__ import annotations

from piccolo.columns import JSON, Boolean, ForeignKey, Integer, Serial, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from dtz_events.events.tables import Event
from dtz_events.partners.tables import Organisation
from dtz_events.registrations.tables import Registration


class Survey(Table):
    """The questions and timing of one event's survey (a copy of its kind's template, editable)."""

    id: Serial
    event = ForeignKey(Event, on_delete=OnDelete.cascade, unique=True)
    anonymous = Boolean(default=False)
    questions = JSON(default="[]")
    send_after_hours = Integer(default=2)
    remind_after_days = Integer(default=3)
    max_reminders = Integer(default=2)
    close_after_days = Integer(default=14)
    followup_months = JSON(default="[3, 6, 12]")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class SurveyInvitation(Table):
    """Who was asked, in which wave (0 after the event; 3, 6, 12 months later), and whether they answered."""

    id: Serial
    survey = ForeignKey(Survey, on_delete=OnDelete.cascade, index=True)
    registration = ForeignKey(Registration, on_delete=OnDelete.cascade, index=True)
    organisation = ForeignKey(Organisation, on_delete=OnDelete.cascade, index=True)
    wave = Integer(default=0)
    sent_at = Timestamptz(default=TimestamptzNow())
    closes_at = Timestamptz()
    reminders_sent = Integer(default=0)
    last_reminded_at = Timestamptz(null=True, default=None)
    responded_at = Timestamptz(null=True, default=None, index=True)


class SurveyResponse(Table):
    """What was answered. In an anonymous survey `invitation` stays empty: the row is found again only
    through `respondent_key`, a keyed hash that no query can join to a person."""

    id: Serial
    survey = ForeignKey(Survey, on_delete=OnDelete.cascade, index=True)
    invitation = ForeignKey(SurveyInvitation, on_delete=OnDelete.set_null, null=True, default=None)
    respondent_key = Varchar(length=64, unique=True)
    wave = Integer(default=0)
    answers = JSON(default="{}")
    submitted_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ReportedContact(Table):
    """An organisation a respondent talked to, and how far it got: it feeds the cooperation ledger,
    anonymous surveys included (it is about organisations, not about what a person rated or wrote)."""

    id: Serial
    invitation = ForeignKey(SurveyInvitation, on_delete=OnDelete.cascade, index=True)
    event = ForeignKey(Event, on_delete=OnDelete.cascade, index=True)
    reporter = ForeignKey(Organisation, on_delete=OnDelete.cascade, index=True)
    other = ForeignKey(Organisation, on_delete=OnDelete.cascade, index=True)
    outcome = Varchar(length=30)
    wave = Integer(default=0)
    reported_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
