from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from dtz_events.core.schemas import Input, Output, Slug


class QuestionType(StrEnum):
    rating = "rating"  # 1-5
    nps = "nps"  # 0-10
    single_choice = "single_choice"
    multiple_choice = "multiple_choice"
    text = "text"
    organisations = "organisations"  # which organisations did you talk to, and how far did it get


class Outcome(StrEnum):
    """The ladder a contact climbs; its order is the ladder's order."""

    contact = "contact"
    follow_up = "follow_up"
    joint_project = "joint_project"
    agreement = "agreement"
    hire_or_internship = "hire_or_internship"


OUTCOME_ORDER = {outcome: rank for rank, outcome in enumerate(Outcome)}


class Label(msgspec.Struct, forbid_unknown_fields=True):
    nl: Annotated[str, Meta(min_length=1, max_length=300)]
    en: Annotated[str, Meta(min_length=1, max_length=300)]


class Option(msgspec.Struct, forbid_unknown_fields=True):
    id: Slug
    label: Label


class Question(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id: Slug
    type: QuestionType
    label: Label
    required: bool = False
    options: list[Option] = []


class SurveyConfig(Output):
    event_id: int
    anonymous: bool
    questions: list[Question]
    send_after_hours: int
    remind_after_days: int
    max_reminders: int
    close_after_days: int
    followup_months: list[int]


class SurveyUpdate(Input):
    anonymous: bool | UnsetType = UNSET
    questions: Annotated[list[Question], Meta(min_length=1, max_length=40)] | UnsetType = UNSET
    send_after_hours: Annotated[int, Meta(ge=0, le=24 * 14)] | UnsetType = UNSET
    remind_after_days: Annotated[int, Meta(ge=1, le=60)] | UnsetType = UNSET
    max_reminders: Annotated[int, Meta(ge=0, le=5)] | UnsetType = UNSET
    close_after_days: Annotated[int, Meta(ge=1, le=120)] | UnsetType = UNSET
    followup_months: Annotated[list[Annotated[int, Meta(ge=1, le=36)]], Meta(max_length=6)] | UnsetType = (
        UNSET
    )


class ContactAnswer(msgspec.Struct, forbid_unknown_fields=True):
    organisation_id: int
    outcome: Outcome


class CheckInInput(Input):
    code: Annotated[str, Meta(min_length=4, max_length=20)] | None = None
    registration_id: Annotated[int, Meta(ge=1, le=2**53)] | None = None


class CheckInOut(Output):
    registration_id: int
    person_name: str
    organisation_id: int
    checked_in_at: datetime
    already_checked_in: bool


class WalkInInput(Input):
    person_id: Annotated[int, Meta(ge=1, le=2**53)]


class ChoiceCount(Output):
    option: str
    count: int


class QuestionResult(Output):
    id: str
    type: QuestionType
    label: str
    answered: int
    average: float | None = None
    nps: float | None = None
    distribution: list[ChoiceCount] = []
    texts: list[str] = []


class ContactResult(Output):
    organisation_id: int
    organisation_name: str
    outcomes: dict[str, int]


class NonRespondent(Output):
    person_id: int
    name: str
    organisation_id: int


class SurveyResults(Output):
    event_id: int
    anonymous: bool
    invited: int
    responded: int
    response_rate: float
    non_respondents: list[NonRespondent] | None
    questions: list[QuestionResult]
    contacts: list[ContactResult]
