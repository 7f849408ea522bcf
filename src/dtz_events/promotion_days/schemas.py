"""Request and response bodies of promotion days. A group is described by counts and its adults' contact
details: there is no field for a pupil, and unknown fields are refused."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from msgspec import UNSET, Meta, UnsetType

from dtz_events.core.schemas import (
    ANY_TEXT,
    NOT_BLANK_TEXT,
    AwareDatetime,
    EmailText,
    Id,
    Input,
    Language,
    LongText,
    Name,
    Output,
    ShortText,
    Title,
)


class Level(StrEnum):
    primary_7_8 = "primary_7_8"  # groep 7/8 of a primary school
    vmbo = "vmbo"
    havo_vwo = "havo_vwo"
    mbo = "mbo"


class GroupStatus(StrEnum):
    registered = "registered"
    cancelled = "cancelled"


class WorkshopStatus(StrEnum):
    offered = "offered"
    withdrawn = "withdrawn"


ClassName = Annotated[str, Meta(min_length=1, max_length=100, pattern=NOT_BLANK_TEXT)]
PupilCount = Annotated[int, Meta(ge=1, le=200)]
Phone = Annotated[str, Meta(min_length=6, max_length=40, pattern=r"^\+?[0-9 ()-]{6,40}$")]
Needs = Annotated[str, Meta(max_length=1000, pattern=ANY_TEXT)]
WorkshopCapacity = Annotated[int, Meta(ge=1, le=1000)]
Levels = Annotated[list[Level], Meta(min_length=1, max_length=4)]


class TeacherIn(Input):
    """The teacher who receives the group's schedule and calendar invitation."""

    name: Name
    email: EmailText
    phone: Phone | None = None
    language: Language = "nl"


class SupervisorIn(Input):
    """An adult who comes along with the group."""

    name: Name
    phone: Phone | None = None
    email: EmailText | None = None


class SchoolGroupCreate(Input):
    class_name: ClassName
    level: Level
    pupil_count: PupilCount
    teacher: TeacherIn
    supervisors: Annotated[list[SupervisorIn], Meta(max_length=10)] = []
    accessibility_needs: Needs = ""
    keep_together: bool = False
    school_id: Id | None = None  # organisers name the school; a school's coordinator registers its own


class SchoolGroupUpdate(Input):
    class_name: ClassName | UnsetType = UNSET
    level: Level | UnsetType = UNSET
    pupil_count: PupilCount | UnsetType = UNSET
    teacher: TeacherIn | UnsetType = UNSET
    supervisors: Annotated[list[SupervisorIn], Meta(max_length=10)] | UnsetType = UNSET
    accessibility_needs: Needs | UnsetType = UNSET
    keep_together: bool | UnsetType = UNSET


class ContactOut(Output):
    name: str
    email: str | None
    phone: str | None
    language: str


class VisitOut(Output):
    """A group's round: where it is and when."""

    round: int
    starts_at: datetime
    ends_at: datetime
    workshop_id: int
    title_nl: str
    title_en: str
    host_id: int
    host_name: str
    place: str
    locked: bool


class SchoolGroupOut(Output):
    id: int
    event_id: int
    school_id: int
    school_name: str
    class_name: str
    level: Level
    pupil_count: int
    supervisor_count: int
    accessibility_needs: str
    keep_together: bool
    status: GroupStatus
    teacher: ContactOut | None
    supervisors: list[ContactOut]
    contacts_removed_at: datetime | None
    schedule: list[VisitOut]  # once the rotation is published (organisers: always)
    created_at: datetime


class WorkshopCreate(Input):
    title_nl: Title
    title_en: Title
    capacity: WorkshopCapacity
    levels: Levels
    description_nl: LongText = ""
    description_en: LongText = ""
    place: ShortText = ""
    contact_person_id: Id | None = None  # who receives the host's schedule: a person of the host
    host_id: Id | None = None  # organisers name the host; a host's coordinator offers its own


class WorkshopUpdate(Input):
    title_nl: Title | UnsetType = UNSET
    title_en: Title | UnsetType = UNSET
    capacity: WorkshopCapacity | UnsetType = UNSET
    levels: Levels | UnsetType = UNSET
    description_nl: LongText | UnsetType = UNSET
    description_en: LongText | UnsetType = UNSET
    place: ShortText | UnsetType = UNSET
    contact_person_id: Id | UnsetType | None = UNSET


class HostVisitOut(Output):
    """Who comes to a workshop in a round."""

    round: int
    starts_at: datetime
    ends_at: datetime
    group_id: int
    school_name: str
    class_name: str
    level: Level
    pupil_count: int
    supervisor_count: int


class WorkshopOut(Output):
    id: int
    event_id: int
    host_id: int
    host_name: str
    contact_person_id: int | None
    title_nl: str
    title_en: str
    description_nl: str
    description_en: str
    capacity: int
    levels: list[Level]
    place: str
    status: WorkshopStatus
    visits: list[HostVisitOut]  # once the rotation is published (organisers: always)


class RoundIn(Input):
    starts_at: AwareDatetime
    ends_at: AwareDatetime


class RotationSettings(Input):
    workshops_per_group: Annotated[int, Meta(ge=1, le=12)]
    rounds: Annotated[list[RoundIn], Meta(min_length=1, max_length=12)]


class LockInput(Input):
    group_id: Id
    round: Annotated[int, Meta(ge=1, le=12)]
    workshop_id: Id


class RoundOut(Output):
    number: int
    starts_at: datetime
    ends_at: datetime


class AssignmentOut(Output):
    group_id: int
    workshop_id: int
    round: int
    locked: bool


class ShortGroup(Output):
    group_id: int
    missing: int


class SolverOutcome(Output):
    status: str  # complete | partial | infeasible
    proven: bool
    reasons: list[str]
    short_groups: list[ShortGroup]
    moves: int
    spread: int
    seconds: float


class WorkshopLoad(Output):
    workshop_id: int
    round: int
    pupils: int
    capacity: int


class RotationOut(Output):
    event_id: int
    workshops_per_group: int
    rounds: list[RoundOut]
    generated_at: datetime | None
    published_at: datetime | None
    complete: bool  # every registered group has all its visits
    outcome: SolverOutcome | None
    assignments: list[AssignmentOut]
    load: list[WorkshopLoad]
    emails_queued: int = 0


class ReachedCount(Output):
    key: str
    pupils: int
    groups: int


class PupilsReached(Output):
    """Pupils reached at a promotion day, by school, level, municipality of the school and host."""

    event_id: int
    pupils: int
    groups: int
    by_school: list[ReachedCount]
    by_level: list[ReachedCount]
    by_municipality: list[ReachedCount]
    by_host: list[ReachedCount]
