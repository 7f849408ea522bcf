"""Promotion days record groups, not pupils: a class's level and headcount, its teacher and supervisors
(removed a set time after the day), the workshops host companies offer, and the rotation that sends each
group through a number of them in distinct rounds."""

from __future__ import annotations

from piccolo.columns import JSON, Boolean, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from dtz_events.accounts.tables import Account
from dtz_events.events.tables import Event
from dtz_events.partners.tables import Organisation, Person


class SchoolGroup(Table, tablename="school_group"):
    """One class (or part of one) of a school at a promotion day: counts only, never pupils."""

    id: Serial
    event = ForeignKey(Event, on_delete=OnDelete.cascade, index=True)
    school = ForeignKey(Organisation, on_delete=OnDelete.restrict, index=True)
    class_name = Varchar(length=100)
    level = Varchar(length=20, index=True)  # primary_7_8 | vmbo | havo_vwo | mbo
    pupil_count = Integer()
    supervisor_count = Integer(default=0)
    accessibility_needs = Text(
        default=""
    )  # about the group's day (a lift, quiet room); removed with contacts
    keep_together = Boolean(default=False)  # go round with the school's other groups that ask the same
    status = Varchar(length=20, default="registered", index=True)  # registered | cancelled
    calendar_sequence = Integer(default=0)
    schedule_digest = Varchar(length=64, null=True, default=None)  # of the schedule the teacher was sent
    registered_by = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    cancelled_at = Timestamptz(null=True, default=None)
    contacts_removed_at = Timestamptz(null=True, default=None)


class SchoolGroupContact(Table, tablename="school_group_contact"):
    """The teacher (who gets the schedule) and the supervisors of a group; deleted by the retention job."""

    id: Serial
    school_group = ForeignKey(SchoolGroup, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=20)  # teacher | supervisor
    name = Varchar(length=200)
    email = Varchar(length=254, null=True, default=None)
    phone = Varchar(length=40, null=True, default=None)
    language = Varchar(length=2, default="nl")


class Workshop(Table, tablename="workshop"):
    """What a host company or institution offers at a promotion day, for some levels, per round."""

    id: Serial
    event = ForeignKey(Event, on_delete=OnDelete.cascade, index=True)
    host = ForeignKey(Organisation, on_delete=OnDelete.restrict, index=True)
    contact = ForeignKey(Person, on_delete=OnDelete.set_null, null=True, default=None, index=True)
    title_nl = Varchar(length=200)
    title_en = Varchar(length=200)
    description_nl = Text(default="")
    description_en = Text(default="")
    capacity = Integer()  # pupils per round
    levels = JSON(default="[]")  # the suitable levels
    place = Varchar(length=200, default="")
    status = Varchar(length=20, default="offered", index=True)  # offered | withdrawn
    schedule_sequence = Integer(default=0)
    schedule_digest = Varchar(length=64, null=True, default=None)  # of the schedule the host was sent
    created_by = ForeignKey(Account, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Rotation(Table, tablename="rotation"):
    """The rotation settings of one promotion day and whether its schedule has gone out."""

    id: Serial
    event = ForeignKey(Event, on_delete=OnDelete.cascade, unique=True)
    workshops_per_group = Integer(default=3)
    generated_at = Timestamptz(null=True, default=None)
    published_at = Timestamptz(null=True, default=None)
    last_result = JSON(default="{}")  # the solver's outcome: status, reasons, time
    updated_at = Timestamptz(default=TimestamptzNow())


class RotationRound(Table, tablename="rotation_round"):
    id: Serial
    event = ForeignKey(Event, on_delete=OnDelete.cascade, index=True)
    number = Integer()
    starts_at = Timestamptz()
    ends_at = Timestamptz()


class RotationAssignment(Table, tablename="rotation_assignment"):
    """Group `school_group` is at workshop `workshop` in round `round`; a locked one survives regeneration."""

    id: Serial
    school_group = ForeignKey(SchoolGroup, on_delete=OnDelete.cascade, index=True)
    workshop = ForeignKey(Workshop, on_delete=OnDelete.cascade, index=True)
    round = Integer()
    locked = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
