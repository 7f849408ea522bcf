"""Surveys after events (with reminders and follow-up waves), check-in, and results.

Due work comes from the database (DESIGN.md): each scheduler tick asks which surveys, reminders and waves
are due; every email has a deduplication key, so a second tick sends nothing twice."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

import msgspec
from piccolo.query.functions.aggregate import Count

from dtz_events.core.auth import Principal
from dtz_events.core.clock import local, utcnow
from dtz_events.core.db import write_transaction
from dtz_events.core.errors import Conflict, InvalidInput, NotFound
from dtz_events.events.schemas import EventKind, EventStatus
from dtz_events.events.services import managed_event_row
from dtz_events.events.tables import Event
from dtz_events.mail.schemas import EmailKind
from dtz_events.mail.services import MailSettings, queue_for_registrations
from dtz_events.partners.tables import Organisation, Person
from dtz_events.registrations.links import LinkPurpose, resolve_link
from dtz_events.registrations.services import new_checkin_code
from dtz_events.registrations.tables import Registration
from dtz_events.surveys.schemas import (
    OUTCOME_ORDER,
    CheckInOut,
    ChoiceCount,
    ContactResult,
    Label,
    NonRespondent,
    Option,
    Outcome,
    Question,
    QuestionResult,
    QuestionType,
    SurveyConfig,
    SurveyResults,
    SurveyUpdate,
)
from dtz_events.surveys.tables import ReportedContact, Survey, SurveyInvitation, SurveyResponse

# ---------------------------------------------------------------- templates per kind of event


def _q(
    qid: str, qtype: QuestionType, nl: str, en: str, required: bool = False, options: Any = ()
) -> Question:
    return Question(
        id=qid,
        type=qtype,
        label=Label(nl=nl, en=en),
        required=required,
        options=[Option(id=o[0], label=Label(nl=o[1], en=o[2])) for o in options],
    )


_OVERALL = _q(
    "overall", QuestionType.rating, "Hoe waardeer je deze bijeenkomst?", "How do you rate this event?", True
)
_NPS = _q(
    "recommend",
    QuestionType.nps,
    "Hoe waarschijnlijk is het dat je deze bijeenkomst aanbeveelt aan een collega?",
    "How likely are you to recommend this event to a colleague?",
)
_CONTACTS = _q(
    "contacts",
    QuestionType.organisations,
    "Met welke organisaties heb je gesproken, en wat is eruit gekomen?",
    "Which organisations did you talk to, and what came of it?",
)
_REMARKS = _q("remarks", QuestionType.text, "Wat kan er beter?", "What could be better?")

TEMPLATES: dict[EventKind, list[Question]] = {
    EventKind.network_meeting: [
        _OVERALL,
        _NPS,
        _q(
            "value",
            QuestionType.multiple_choice,
            "Wat leverde deze bijeenkomst je op?",
            "What did this event give you?",
            options=[
                ("contacts", "Nieuwe contacten", "New contacts"),
                ("knowledge", "Kennis en inspiratie", "Knowledge and inspiration"),
                ("project", "Een idee voor samenwerking", "An idea for working together"),
                ("nothing", "Weinig", "Little"),
            ],
        ),
        _CONTACTS,
        _REMARKS,
    ],
    EventKind.promotion_day: [
        _OVERALL,
        _q(
            "enthusiasm",
            QuestionType.single_choice,
            "Werden de leerlingen enthousiaster over techniek?",
            "Did the pupils get more excited about technology?",
            options=[
                ("much", "Veel enthousiaster", "Much more"),
                ("some", "Iets enthousiaster", "Somewhat"),
                ("no", "Niet", "Not really"),
            ],
        ),
        _NPS,
        _CONTACTS,
        _REMARKS,
    ],
    EventKind.board_session: [
        _OVERALL,
        _q(
            "preparation",
            QuestionType.rating,
            "Hoe goed waren de stukken en de agenda?",
            "How good were the papers and the agenda?",
        ),
        _REMARKS,
    ],
}


def _questions(raw: Any) -> list[Question]:
    data = msgspec.json.decode(raw) if isinstance(raw, str | bytes) else raw
    return msgspec.convert(data, list[Question])


def _encode(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def _followup_months(survey: dict[str, Any]) -> list[int]:
    months = survey["followup_months"]
    return list(msgspec.json.decode(months) if isinstance(months, str | bytes) else months or [])


def _config(survey: dict[str, Any]) -> SurveyConfig:
    return SurveyConfig(
        event_id=survey["event"],
        anonymous=survey["anonymous"],
        questions=_questions(survey["questions"]),
        send_after_hours=survey["send_after_hours"],
        remind_after_days=survey["remind_after_days"],
        max_reminders=survey["max_reminders"],
        close_after_days=survey["close_after_days"],
        followup_months=_followup_months(survey),
    )


async def _survey_for(event: dict[str, Any]) -> dict[str, Any]:
    """The event's survey, created from its kind's template the first time it is asked for."""
    row = await Survey.select().where(Survey.event == event["id"]).first()
    if row is not None:
        return row
    template = TEMPLATES[EventKind(event["kind"])]
    await Survey.insert(Survey(event=event["id"], questions=_encode(template))).on_conflict(
        action="DO NOTHING"
    )
    row = await Survey.select().where(Survey.event == event["id"]).first()
    assert row is not None
    return row


async def get_survey(principal: Principal, event_id: int) -> SurveyConfig:
    return _config(await _survey_for(await managed_event_row(principal, event_id)))


async def update_survey(principal: Principal, event_id: int, data: SurveyUpdate) -> SurveyConfig:
    survey = await _survey_for(await managed_event_row(principal, event_id))
    changes = {f: getattr(data, f) for f in data.__struct_fields__ if getattr(data, f) is not msgspec.UNSET}
    if "questions" in changes or "anonymous" in changes:
        if await SurveyInvitation.exists().where(SurveyInvitation.survey == survey["id"]):
            raise Conflict("the survey has gone out: its questions and anonymity can no longer change")
        _check_questions(changes.get("questions") or _questions(survey["questions"]))
    values: dict[Any, Any] = {}
    for field, value in changes.items():
        encoded = _encode(value) if field in ("questions", "followup_months") else value
        values[getattr(Survey, field)] = encoded
    values[Survey.updated_at] = utcnow()
    await Survey.update(values).where(Survey.id == survey["id"])
    return await get_survey(principal, event_id)


def _check_questions(questions: list[Question]) -> None:
    seen = set()
    for index, question in enumerate(questions):
        if question.id in seen:
            raise InvalidInput(f"questions[{index}].id", "two questions have this id")
        seen.add(question.id)
        choice = question.type in (QuestionType.single_choice, QuestionType.multiple_choice)
        if choice and len(question.options) < 2:
            raise InvalidInput(f"questions[{index}].options", "a choice needs at least two options")


# ---------------------------------------------------------------- check-in

# Who attends: confirmed people, and invited ones (board members are invited, never "confirmed").
ATTENDING = ["confirmed", "invited"]

CODE_LENGTH = 8


def normalise_code(code: str) -> str:
    """`dtz-abcd-2345`, `ABCD 2345` and `ABCD2345` are one code. The `DTZ` prefix (in the QR code) is cut
    only from a longer string: a code may itself start with the letters DTZ."""
    cleaned = "".join(code.split()).upper().replace("-", "")
    if len(cleaned) > CODE_LENGTH and cleaned.startswith("DTZ"):
        cleaned = cleaned[3:]
    return cleaned


async def check_in_list(principal: Principal, event_id: int) -> list[dict[str, Any]]:
    """The confirmed people of an event for the door: name, organisation, checked in or not."""
    await managed_event_row(principal, event_id)
    rows = (
        await Registration.select(
            Registration.id,
            Registration.person.name.as_alias("person_name"),
            Registration.organisation.name.as_alias("organisation_name"),
            Registration.checked_in_at,
            Registration.walk_in,
        )
        .where((Registration.event == event_id) & Registration.status.is_in(ATTENDING))
        .order_by(Registration.person.name)
        .order_by(Registration.id)
    )
    return [{**r, "checked_in_at": local(r["checked_in_at"]) if r["checked_in_at"] else None} for r in rows]


async def check_in(
    principal: Principal, event_id: int, code: str | None, registration_id: int | None
) -> CheckInOut:
    await managed_event_row(principal, event_id)
    where = [Registration.event == event_id, Registration.status.is_in(ATTENDING)]
    if code:
        where.append(Registration.checkin_code == normalise_code(code))
    elif registration_id:
        where.append(Registration.id == registration_id)
    else:
        raise InvalidInput("code", "give the code or the registration id")
    row = await Registration.select(Registration.id).where(*where).first()
    if row is None:
        raise NotFound("registration")
    now = utcnow()
    # One UPDATE decides who was first: concurrent scans of the same code record one check-in.
    updated = (
        await Registration.update({Registration.checked_in_at: now})
        .where((Registration.id == row["id"]) & Registration.checked_in_at.is_null())
        .returning(Registration.id)
    )
    return await _check_in_out(row["id"], already=not updated)


async def _check_in_out(registration_id: int, already: bool) -> CheckInOut:
    row = (
        await Registration.select(
            Registration.id, Registration.organisation, Registration.checked_in_at, Registration.person.name
        )
        .where(Registration.id == registration_id)
        .first()
    )
    assert row is not None
    return CheckInOut(
        registration_id=row["id"],
        person_name=row["person.name"],
        organisation_id=row["organisation"],
        checked_in_at=local(row["checked_in_at"]),
        already_checked_in=already,
    )


async def walk_in(principal: Principal, event_id: int, person_id: int) -> CheckInOut:
    """Someone at the door without a registration: confirmed and checked in at once. The seat count may
    pass the capacity, because the person is already in the room; the row says walk_in."""
    event = await managed_event_row(principal, event_id)
    if event["status"] not in (EventStatus.published.value, EventStatus.completed.value):
        raise Conflict(f"the event is {event['status']}")
    person = await Person.select(Person.id, Person.organisation).where(Person.id == person_id).first()
    if person is None:
        raise InvalidInput("person_id", "no such person")
    now = utcnow()
    async with write_transaction():
        existing = await Registration.select(
            Registration.id, Registration.status, Registration.checked_in_at
        ).where((Registration.event == event_id) & (Registration.person == person_id))
        values: dict[Any, Any] = {
            Registration.status: "confirmed",
            Registration.checked_in_at: now,
            Registration.walk_in: True,
            Registration.status_changed_at: now,
        }
        if existing and existing[0]["checked_in_at"] is not None and existing[0]["status"] in ATTENDING:
            return await _check_in_out(existing[0]["id"], already=True)
        if existing:
            await Registration.update({**values, Registration.revision: Registration.revision + 1}).where(
                Registration.id == existing[0]["id"]
            )
            registration_id = existing[0]["id"]
        else:
            rows = await Registration.insert(
                Registration(
                    event=event_id,
                    person=person_id,
                    organisation=person["organisation"],
                    status="confirmed",
                    checked_in_at=now,
                    walk_in=True,
                    queued_at=now,
                    status_changed_at=now,
                    registered_by=principal.account_id,
                    checkin_code=new_checkin_code(),
                )
            ).returning(Registration.id)
            registration_id = rows[0]["id"]
    return await _check_in_out(registration_id, already=False)


# ---------------------------------------------------------------- due work


async def send_due_surveys(now: datetime) -> int:
    """Wave 0: a set time after the end, to those checked in (or every confirmed person if the event used
    no check-in). Not for cancelled events; a moved event moves its survey, as the end time moves."""
    events = await Event.select(Event.id, Event.kind, Event.ends_at).where(
        Event.status.is_in([EventStatus.published.value, EventStatus.completed.value]),
        Event.ends_at <= now,
        Event.ends_at > now - timedelta(days=120),
    )
    queued = 0
    for event in events:
        survey = await _survey_for(event)
        if event["ends_at"] + timedelta(hours=survey["send_after_hours"]) > now:
            continue
        closes_at = event["ends_at"] + timedelta(days=survey["close_after_days"])
        if closes_at <= now:
            continue
        queued += await _invite(
            survey, event["id"], wave=0, closes_at=closes_at, kind=EmailKind.survey_invitation, now=now
        )
    return queued


async def _invite(
    survey: dict[str, Any], event_id: int, wave: int, closes_at: datetime, kind: EmailKind, now: datetime
) -> int:
    confirmed = Registration.select(Registration.id).where(
        (Registration.event == event_id)
        & Registration.status.is_in(ATTENDING)
        & (Registration.rsvp != "declined")
    )
    if wave == 0:
        used_check_in = await Registration.exists().where(
            (Registration.event == event_id) & Registration.checked_in_at.is_not_null()
        )
        recipients = (
            await confirmed.where(Registration.checked_in_at.is_not_null())
            if used_check_in
            else await confirmed
        )
    else:
        reporters = SurveyInvitation.select(SurveyInvitation.registration).where(
            SurveyInvitation.id.is_in(
                ReportedContact.select(ReportedContact.invitation).where(ReportedContact.event == event_id)
            )
        )
        recipients = await confirmed.where(Registration.id.is_in(reporters))
    ids = [r["id"] for r in recipients]
    already = {
        r["registration"]
        for r in await SurveyInvitation.select(SurveyInvitation.registration).where(
            (SurveyInvitation.survey == survey["id"]) & (SurveyInvitation.wave == wave)
        )
    }
    new = [i for i in ids if i not in already]
    if not new:
        return 0
    organisations = {
        r["id"]: r["organisation"]
        for r in await Registration.select(Registration.id, Registration.organisation).where(
            Registration.id.is_in(new)
        )
    }
    async with write_transaction():
        await SurveyInvitation.insert(
            *(
                SurveyInvitation(
                    survey=survey["id"],
                    registration=i,
                    organisation=organisations[i],
                    wave=wave,
                    sent_at=now,  # the tick's clock: reminders count from it
                    closes_at=closes_at,
                )
                for i in new
            )
        ).on_conflict(action="DO NOTHING")
        queued = await queue_for_registrations(new, kind, key_suffix=f"':wave {wave}'", with_calendar=False)
    return len(queued)


async def send_due_reminders(now: datetime) -> int:
    """Reminders only to those who have not answered, after the set number of days, at most max_reminders."""
    rows = await SurveyInvitation.select(
        SurveyInvitation.id,
        SurveyInvitation.registration,
        SurveyInvitation.wave,
        SurveyInvitation.sent_at,
        SurveyInvitation.last_reminded_at,
        SurveyInvitation.reminders_sent,
        SurveyInvitation.survey.remind_after_days.as_alias("remind_after_days"),
        SurveyInvitation.survey.max_reminders.as_alias("max_reminders"),
    ).where(
        SurveyInvitation.responded_at.is_null(),
        SurveyInvitation.closes_at > now,
    )
    queued = 0
    for row in rows:
        if row["reminders_sent"] >= row["max_reminders"]:
            continue
        since = row["last_reminded_at"] or row["sent_at"]
        if since + timedelta(days=row["remind_after_days"]) > now:
            continue
        number = row["reminders_sent"] + 1
        async with write_transaction():
            updated = (
                await SurveyInvitation.update(
                    {SurveyInvitation.reminders_sent: number, SurveyInvitation.last_reminded_at: now}
                )
                .where(
                    (SurveyInvitation.id == row["id"])
                    & (SurveyInvitation.reminders_sent == row["reminders_sent"])
                    & SurveyInvitation.responded_at.is_null()
                )
                .returning(SurveyInvitation.id)
            )
            if updated:
                suffix = f"':wave {row['wave']}:reminder {number}'"
                queued += len(
                    await queue_for_registrations(
                        [row["registration"]],
                        EmailKind.survey_reminder,
                        key_suffix=suffix,
                        with_calendar=False,
                    )
                )
    return queued


def _add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    for day in (moment.day, 30, 29, 28):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise ValueError(moment)


async def send_due_followups(now: datetime) -> int:
    """Waves at 3, 6 and 12 months: only to people who reported organisations, only about those."""
    surveys = await Survey.select(
        Survey.id, Survey.event, Survey.followup_months, Survey.close_after_days
    ).where(Survey.event.is_in(ReportedContact.select(ReportedContact.event)))
    queued = 0
    for survey in surveys:
        event = (
            await Event.select(Event.id, Event.ends_at, Event.status)
            .where(Event.id == survey["event"])
            .first()
        )
        if event is None or event["status"] == EventStatus.cancelled.value:
            continue
        for months in _followup_months(survey):
            due = _add_months(event["ends_at"], months)
            closes_at = due + timedelta(days=survey["close_after_days"])
            if due <= now < closes_at:
                queued += await _invite(
                    survey, event["id"], months, closes_at, EmailKind.survey_followup, now=now
                )
    return queued


# ---------------------------------------------------------------- answering


def respondent_key(invitation_id: int) -> str:
    """Finds an anonymous response again for its author (who holds the link), joins it to no one else."""
    secret = MailSettings.settings.secret_key.encode()
    return hmac.new(secret, f"survey-response:{invitation_id}".encode(), hashlib.sha256).hexdigest()


async def _invitation_for_token(token: str) -> dict[str, Any]:
    link = await resolve_link(LinkPurpose.survey, token)
    if link is None or link["registration"] is None:
        raise NotFound("link")
    invitation = (
        await SurveyInvitation.select()
        .where(SurveyInvitation.registration == link["registration"])
        .order_by(SurveyInvitation.wave, ascending=False)
        .first()
    )
    if invitation is None:
        raise NotFound("link")
    return invitation


async def survey_page(token: str) -> dict[str, Any]:
    """What a survey page shows: questions, organisations present, earlier answers, whether it is open."""
    invitation = await _invitation_for_token(token)
    survey = await Survey.select().where(Survey.id == invitation["survey"]).first()
    assert survey is not None
    event = await Event.select().where(Event.id == survey["event"]).first()
    person = (
        await Registration.select(
            Registration.person.name,
            Registration.person.language,
            Registration.organisation,
            Registration.person,
        )
        .where(Registration.id == invitation["registration"])
        .first()
    )
    assert event is not None
    assert person is not None
    questions = _questions(survey["questions"])
    response = (
        await SurveyResponse.select()
        .where(SurveyResponse.respondent_key == respondent_key(invitation["id"]))
        .first()
    )
    answers = _decoded(response["answers"]) if response else {}
    contacts = {
        c["other"]: c["outcome"]
        for c in await ReportedContact.select(ReportedContact.other, ReportedContact.outcome)
        .where(
            ReportedContact.invitation.is_in(
                SurveyInvitation.select(SurveyInvitation.id).where(
                    SurveyInvitation.registration == invitation["registration"]
                )
            )
        )
        .order_by(ReportedContact.wave)  # later waves overwrite earlier ones
        .order_by(ReportedContact.id)
    }
    if invitation["wave"] > 0:
        # A follow-up asks only about the organisations reported before, pre-filled.
        questions = [q for q in questions if q.type is QuestionType.organisations]
        present = await _organisations(list(contacts))
    else:
        present = await _present_organisations(event["id"], exclude=person["organisation"])
    meetings = await _meetings_to_report(event, invitation["wave"], person["person"])
    return {
        "invitation": invitation,
        "survey": survey,
        "event": event,
        "person_name": person["person.name"],
        "language": person["person.language"],
        "questions": questions,
        "answers": answers,
        "contacts": contacts,
        "organisations": present,
        "open": invitation["closes_at"] > utcnow(),
        "outcomes": list(Outcome),
        "meetings": meetings,
        "person_id": person["person"],
    }


async def _meetings_to_report(event: dict[str, Any], wave: int, person_id: int) -> list[dict[str, Any]]:
    """Network meetings: the person's 1:1 meetings, each asked "did it take place, what came of it"."""
    if wave > 0 or event["kind"] != EventKind.network_meeting.value:
        return []
    from dtz_events.matchmaking.services import meetings_to_report

    return await meetings_to_report(event["id"], person_id)


def parse_meeting_reports(meetings: list[dict[str, Any]], form: dict[str, list[str]]) -> dict[int, Any]:
    """Form fields `meeting.<id>` -> {meeting id: MeetingReport}; only the person's own meetings."""
    from dtz_events.matchmaking.schemas import MeetingReport

    own = {m["id"] for m in meetings}
    reports: dict[int, Any] = {}
    for field, values in form.items():
        if not field.startswith("meeting.") or not any(values):
            continue
        meeting = field.removeprefix("meeting.")
        if not (meeting.isascii() and meeting.isdigit()) or int(meeting) not in own:
            raise InvalidInput(field, "not one of your meetings")
        if values[0] not in {r.value for r in MeetingReport}:
            raise InvalidInput(field, "unknown answer")
        reports[int(meeting)] = MeetingReport(values[0])
    return reports


async def _organisations(ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    return (
        await Organisation.select(Organisation.id, Organisation.name)
        .where(Organisation.id.is_in(ids))
        .order_by(Organisation.name)
    )


async def _present_organisations(event_id: int, exclude: int) -> list[dict[str, Any]]:
    ids = {
        r["organisation"]
        for r in await Registration.select(Registration.organisation).where(
            (Registration.event == event_id) & Registration.status.is_in(ATTENDING)
        )
    }
    ids.discard(exclude)
    return await _organisations(sorted(ids))


def _decoded(value: Any) -> dict[str, Any]:
    if isinstance(value, str | bytes):
        decoded: dict[str, Any] = msgspec.json.decode(value)
        return decoded
    return dict(value or {})


def parse_answers(
    questions: list[Question], form: dict[str, list[str]], allowed_orgs: set[int]
) -> tuple[dict[str, Any], dict[int, Outcome]]:
    """Form fields -> validated answers and contacts; InvalidInput names the question."""
    answers: dict[str, Any] = {}
    contacts: dict[int, Outcome] = {}
    for question in questions:
        values = [v for v in form.get(question.id, []) if v != ""]
        if question.type is QuestionType.organisations:
            for org_id in allowed_orgs:
                outcome = (form.get(f"{question.id}.{org_id}") or [""])[0]
                if outcome:
                    if outcome not in OUTCOME_ORDER:
                        raise InvalidInput(f"{question.id}.{org_id}", "unknown outcome")
                    contacts[org_id] = Outcome(outcome)
            allowed_fields = {f"{question.id}.{org_id}" for org_id in allowed_orgs}
            for field, given in form.items():
                # An organisation that was not there (or one's own) is refused, not silently dropped.
                if field.startswith(f"{question.id}.") and field not in allowed_fields and any(given):
                    raise InvalidInput(field, "not one of the organisations at this event")
            continue
        if not values:
            if question.required:
                raise InvalidInput(question.id, "please answer this question")
            continue
        answers[question.id] = _parse_value(question, values)
    return answers, contacts


def _parse_value(question: Question, values: list[str]) -> Any:
    options = {o.id for o in question.options}
    if question.type in (QuestionType.rating, QuestionType.nps):
        low, high = (1, 5) if question.type is QuestionType.rating else (0, 10)
        # isascii(): str.isdigit() also accepts digits such as '²' that int() refuses.
        if not (values[0].isascii() and values[0].isdigit()) or not low <= int(values[0]) <= high:
            raise InvalidInput(question.id, f"choose a number from {low} to {high}")
        return int(values[0])
    if question.type is QuestionType.single_choice:
        if values[0] not in options:
            raise InvalidInput(question.id, "choose one of the options")
        return values[0]
    if question.type is QuestionType.multiple_choice:
        if not set(values) <= options:
            raise InvalidInput(question.id, "choose among the options")
        return sorted(set(values))
    text = values[0].strip()
    if len(text) > 5000:
        raise InvalidInput(question.id, "at most 5000 characters")
    return text


async def submit(token: str, form: dict[str, list[str]]) -> dict[str, Any]:
    """Save (or replace, until the survey closes) the answers behind this link."""
    page = await survey_page(token)
    if not page["open"]:
        raise Conflict("the survey is closed")
    invitation, survey = page["invitation"], page["survey"]
    allowed = {o["id"] for o in page["organisations"]}
    answers, contacts = parse_answers(page["questions"], form, allowed)
    meeting_reports = parse_meeting_reports(page["meetings"], form)
    if invitation["wave"] > 0:
        answers = {**page["answers"], **answers}
    key = respondent_key(invitation["id"])
    now = utcnow()
    # An anonymous response keeps only the day: the exact instant is also on the person's invitation
    # (responded_at) and reported contacts, and joining on it would name the respondent.
    stamp = local(now).replace(hour=0, minute=0, second=0, microsecond=0) if survey["anonymous"] else now
    async with write_transaction():
        # First, so that the row lock it takes serialises two submissions of the same link (a double click).
        await SurveyInvitation.update({SurveyInvitation.responded_at: now}).where(
            SurveyInvitation.id == invitation["id"]
        )
        existing = (
            await SurveyResponse.select(SurveyResponse.id).where(SurveyResponse.respondent_key == key).first()
        )
        if existing:
            await SurveyResponse.update(
                {SurveyResponse.answers: _encode(answers), SurveyResponse.updated_at: stamp}
            ).where(SurveyResponse.id == existing["id"])
        else:
            await SurveyResponse.insert(
                SurveyResponse(
                    survey=survey["id"],
                    invitation=None if survey["anonymous"] else invitation["id"],
                    respondent_key=key,
                    wave=invitation["wave"],
                    answers=_encode(answers),
                    submitted_at=stamp,
                    updated_at=stamp,
                )
            )
        await _save_contacts(invitation, survey["event"], contacts, page["contacts"], now)
        if meeting_reports:
            from dtz_events.matchmaking.services import save_meeting_reports

            await save_meeting_reports(survey["event"], page["person_id"], meeting_reports)
    return page


async def _save_contacts(
    invitation: dict[str, Any],
    event_id: int,
    contacts: dict[int, Outcome],
    earlier: dict[int, str],
    now: datetime,
) -> None:
    await ReportedContact.delete().where(ReportedContact.invitation == invitation["id"])
    rows = []
    for other, outcome in contacts.items():
        previous = earlier.get(other)
        # A follow-up moves an outcome up the ladder; it never silently moves it down.
        if previous and invitation["wave"] > 0 and OUTCOME_ORDER[Outcome(previous)] > OUTCOME_ORDER[outcome]:
            outcome = Outcome(previous)
        rows.append(
            ReportedContact(
                invitation=invitation["id"],
                event=event_id,
                reporter=invitation["organisation"],
                other=other,
                outcome=outcome.value,
                wave=invitation["wave"],
                reported_at=now,
                updated_at=now,
            )
        )
    if rows:
        await ReportedContact.insert(*rows)


# ---------------------------------------------------------------- results


async def results(principal: Principal, event_id: int, language: str = "nl") -> SurveyResults:
    survey = await _survey_for(await managed_event_row(principal, event_id))
    invitations = await SurveyInvitation.select(
        SurveyInvitation.id, SurveyInvitation.registration, SurveyInvitation.responded_at
    ).where((SurveyInvitation.survey == survey["id"]) & (SurveyInvitation.wave == 0))
    responded = sum(1 for i in invitations if i["responded_at"] is not None)
    non_respondents = None
    if not survey["anonymous"]:
        waiting = [i["registration"] for i in invitations if i["responded_at"] is None]
        rows = (
            await Registration.select(
                Registration.person, Registration.person.name, Registration.organisation
            )
            .where(Registration.id.is_in(waiting))
            .order_by(Registration.person.name)
            if waiting
            else []
        )
        non_respondents = [
            NonRespondent(person_id=r["person"], name=r["person.name"], organisation_id=r["organisation"])
            for r in rows
        ]
    responses = await SurveyResponse.select(SurveyResponse.answers).where(
        (SurveyResponse.survey == survey["id"]) & (SurveyResponse.wave == 0)
    )
    answers = [_decoded(r["answers"]) for r in responses]
    questions = [_question_result(q, answers, language) for q in _questions(survey["questions"])]
    return SurveyResults(
        event_id=event_id,
        anonymous=survey["anonymous"],
        invited=len(invitations),
        responded=responded,
        response_rate=round(responded / len(invitations), 4) if invitations else 0.0,
        non_respondents=non_respondents,
        questions=[q for q in questions if q.type is not QuestionType.organisations],
        contacts=await _contact_results(event_id),
    )


def _question_result(question: Question, answers: list[dict[str, Any]], language: str) -> QuestionResult:
    values = [a[question.id] for a in answers if question.id in a]
    label = getattr(question.label, language)
    result = QuestionResult(id=question.id, type=question.type, label=label, answered=len(values))
    if question.type in (QuestionType.rating, QuestionType.nps) and values:
        result.average = round(sum(values) / len(values), 2)
        counts = Counter(values)
        low, high = (1, 5) if question.type is QuestionType.rating else (0, 10)
        result.distribution = [
            ChoiceCount(option=str(n), count=counts.get(n, 0)) for n in range(low, high + 1)
        ]
        if question.type is QuestionType.nps:
            promoters = sum(1 for v in values if v >= 9)
            detractors = sum(1 for v in values if v <= 6)
            result.nps = round(100 * (promoters - detractors) / len(values), 1)
    elif question.type in (QuestionType.single_choice, QuestionType.multiple_choice):
        counts = Counter(v for value in values for v in (value if isinstance(value, list) else [value]))
        result.distribution = [ChoiceCount(option=o.id, count=counts.get(o.id, 0)) for o in question.options]
    elif question.type is QuestionType.text:
        result.texts = [v for v in values if v]
    return result


async def _contact_results(event_id: int) -> list[ContactResult]:
    rows = (
        await ReportedContact.select(ReportedContact.other, ReportedContact.outcome, Count(alias="n"))
        .where(ReportedContact.event == event_id)
        .group_by(ReportedContact.other, ReportedContact.outcome)
    )
    by_org: dict[int, dict[str, int]] = defaultdict(dict)
    for row in rows:
        by_org[row["other"]][row["outcome"]] = row["n"]
    names = {o["id"]: o["name"] for o in await _organisations(list(by_org))}
    return [
        ContactResult(organisation_id=o, organisation_name=names.get(o, ""), outcomes=by_org[o])
        for o in sorted(by_org)
    ]


async def results_csv(principal: Principal, event_id: int) -> str:
    """One row per response; names only for surveys that are not anonymous."""
    survey = await _survey_for(await managed_event_row(principal, event_id))
    questions = [q for q in _questions(survey["questions"]) if q.type is not QuestionType.organisations]
    rows = (
        await SurveyResponse.select(
            SurveyResponse.invitation, SurveyResponse.wave, SurveyResponse.answers, SurveyResponse.updated_at
        )
        .where(SurveyResponse.survey == survey["id"])
        .order_by(SurveyResponse.id)
    )
    names: dict[int, str] = {}
    if not survey["anonymous"]:
        invitation_ids = [r["invitation"] for r in rows if r["invitation"]]
        if invitation_ids:
            for inv in await SurveyInvitation.select(
                SurveyInvitation.id,
                SurveyInvitation.registration.person.name.as_alias("name"),  # type: ignore[union-attr]
            ).where(SurveyInvitation.id.is_in(invitation_ids)):
                names[inv["id"]] = inv["name"]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = ["wave", "answered_at", *([] if survey["anonymous"] else ["name"]), *(q.id for q in questions)]
    writer.writerow(header)
    for row in rows:
        answers = _decoded(row["answers"])
        cells = [row["wave"], local(row["updated_at"]).isoformat()]
        if not survey["anonymous"]:
            cells.append(_csv_safe(names.get(row["invitation"], "")))
        for q in questions:
            value = answers.get(q.id, "")
            cells.append(_csv_safe(";".join(value) if isinstance(value, list) else str(value)))
        writer.writerow(cells)
    return buffer.getvalue()


def _csv_safe(text: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
