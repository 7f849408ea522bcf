"""Participant pages behind the links in emails: the survey (answer, change until it closes) and the ticket
page with the QR code of the check-in code. A bad link shows a page that says so, never an error."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import segno
from babel.dates import format_date, format_time
from litestar import Controller, Request, get, post
from litestar.params import PathParameter
from litestar.response import Template
from litestar.status_codes import HTTP_200_OK, HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT
from markupsafe import Markup

from dtz_events.core.auth import PUBLIC, roles
from dtz_events.core.clock import local
from dtz_events.core.errors import Conflict, InvalidInput, NotFound
from dtz_events.core.i18n import gettext, pick_language
from dtz_events.events.schemas import EventKind, EventStatus
from dtz_events.mail.services import MailSettings
from dtz_events.pages.controllers import ANSWER_LABELS, event_context, invalid_link
from dtz_events.pages.matchmaking import meeting_questions
from dtz_events.registrations import services as registrations
from dtz_events.registrations.schemas import RegistrationStatus, Rsvp
from dtz_events.surveys import services as surveys
from dtz_events.surveys.schemas import Outcome, Question, QuestionType

# No max_length here: a mangled or overlong token is an invalid link (a page), not a 400 in JSON.
LinkToken = Annotated[str, PathParameter(description="The link's token")]

OUTCOME_LABELS = {
    Outcome.contact: "Contact made",
    Outcome.follow_up: "Follow-up planned",
    Outcome.joint_project: "Joint project or proposal",
    Outcome.agreement: "Agreement",
    Outcome.hire_or_internship: "Hire or internship",
}

STATUS_LABELS = {
    RegistrationStatus.confirmed: "Confirmed",
    RegistrationStatus.invited: "Invited, not confirmed yet",
    RegistrationStatus.waitlisted: "On the waiting list",
    RegistrationStatus.declined: "Declined",
    RegistrationStatus.cancelled: "Cancelled",
}

# Why there is no code to show, by registration status.
NO_CODE_REASONS = {
    RegistrationStatus.invited: "Your registration is not confirmed yet, so there is no check-in code. "
    "Answer the invitation first; the code follows when your seat is confirmed.",
    RegistrationStatus.waitlisted: "You are on the waiting list. When a seat becomes available you will "
    "get an email, and your check-in code appears here.",
    RegistrationStatus.declined: "You declined this event, so there is no check-in code.",
    RegistrationStatus.cancelled: "Your registration is cancelled, so the check-in code is no longer valid.",
}

SERVICE_MESSAGES = {
    QuestionType.rating: "Choose a number from 1 to 5.",
    QuestionType.nps: "Choose a number from 0 to 10.",
    QuestionType.single_choice: "Choose one of the options.",
    QuestionType.multiple_choice: "Choose among the options.",
    QuestionType.text: "Use at most 5000 characters.",
    QuestionType.organisations: "Choose one of the outcomes.",
}


def _date(moment: datetime, lang: str) -> str:
    return format_date(local(moment), "long", locale=lang)


# ---------------------------------------------------------------- survey


@dataclass(frozen=True, slots=True)
class FieldProblem:
    key: str  # the form field: a question id, or `<question id>.<organisation id>`
    anchor: str  # the element the error summary links to
    label: str
    message: str


def _question_view(question: Question, lang: str) -> dict[str, Any]:
    return {
        "id": question.id,
        "type": question.type.value,
        "label": getattr(question.label, lang),
        "required": question.required,
        "options": [{"id": o.id, "label": getattr(o.label, lang)} for o in question.options],
    }


def _stored_values(page: dict[str, Any]) -> dict[str, list[str]]:
    """Earlier answers as form values, so the form opens pre-filled."""
    values: dict[str, list[str]] = {}
    for qid, answer in page["answers"].items():
        values[qid] = [str(a) for a in answer] if isinstance(answer, list) else [str(answer)]
    for question in page["questions"]:
        if question.type is QuestionType.organisations:
            for org_id, outcome in page["contacts"].items():
                values[f"{question.id}.{org_id}"] = [outcome]
    for meeting in page.get("meetings", []):  # network meetings: what the person said about each 1:1
        if meeting["report"]:
            values[f"meeting.{meeting['id']}"] = [meeting["report"]]
    return values


def _problem(question: Question, error: InvalidInput, lang: str) -> FieldProblem:
    key = error.errors[0].field if error.errors else question.id
    label = getattr(question.label, lang)
    if question.type is QuestionType.organisations:
        org_id = key.rsplit(".", 1)[-1]
        return FieldProblem(
            key, f"q-{question.id}-{org_id}", label, gettext(lang, SERVICE_MESSAGES[question.type])
        )
    if error.errors and error.errors[0].message == "please answer this question":
        message = "Please answer this question."
    else:
        message = SERVICE_MESSAGES[question.type]
    anchor = f"q-{question.id}" if question.type is QuestionType.text else f"q-{question.id}-0"
    return FieldProblem(key, anchor, label, gettext(lang, message))


def _check_form(page: dict[str, Any], form: dict[str, list[str]], lang: str) -> list[FieldProblem]:
    """Every question's problem at once (the service stops at the first)."""
    allowed = {o["id"] for o in page["organisations"]}
    problems = []
    for question in page["questions"]:
        try:
            surveys.parse_answers([question], form, allowed)
        except InvalidInput as error:
            problems.append(_problem(question, error, lang))
    return problems


def _survey_context(token: str, page: dict[str, Any], lang: str) -> dict[str, Any]:
    event = page["event"]
    return {
        **event_context(event, lang),
        "token": token,
        "person_name": page["person_name"],
        "closes_on": _date(page["invitation"]["closes_at"], lang),
        "followup": page["invitation"]["wave"] > 0,
        "answered": page["invitation"]["responded_at"] is not None,
        "anonymous": bool(page["survey"]["anonymous"]),
        "organiser_email": MailSettings.settings.rsvp_address,
    }


def _survey_form(
    token: str,
    page: dict[str, Any],
    lang: str,
    values: dict[str, list[str]],
    problems: list[FieldProblem] | None = None,
) -> Template:
    problems = problems or []
    outcomes = [("", gettext(lang, "No contact"))] + [
        (o.value, gettext(lang, OUTCOME_LABELS[o])) for o in Outcome
    ]
    context = {
        **_survey_context(token, page, lang),
        "questions": [_question_view(q, lang) for q in page["questions"]],
        "organisations": page["organisations"],
        "outcomes": outcomes,
        "values": values,
        "errors": {p.key: p.message for p in problems},
        "error_list": problems,
        **meeting_questions(page.get("meetings", []), lang),
    }
    status = HTTP_400_BAD_REQUEST if problems else HTTP_200_OK
    return Template("survey.html.j2", context=context, status_code=status)


def _survey_closed(token: str, page: dict[str, Any], lang: str, status: int = HTTP_200_OK) -> Template:
    return Template("survey_closed.html.j2", context=_survey_context(token, page, lang), status_code=status)


async def _form_values(request: Request[Any, Any, Any]) -> dict[str, list[str]]:
    form = await request.form()
    values: dict[str, list[str]] = {}
    for key in form:
        values[key] = [v for v in form.getall(key) if isinstance(v, str)]
    return values


class SurveyPages(Controller):
    path = "/survey"
    include_in_schema = False

    @get("/{token:str}", opt=roles(PUBLIC))
    async def show(self, request: Request[Any, Any, Any], token: LinkToken) -> Template:
        try:
            page = await surveys.survey_page(token)
        except NotFound:
            return invalid_link(request)
        lang = pick_language(page["language"])
        if not page["open"]:
            return _survey_closed(token, page, lang)
        return _survey_form(token, page, lang, _stored_values(page))

    @post("/{token:str}", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def answer(self, request: Request[Any, Any, Any], token: LinkToken) -> Template:
        try:
            page = await surveys.survey_page(token)
        except NotFound:
            return invalid_link(request)
        lang = pick_language(page["language"])
        if not page["open"]:
            return _survey_closed(token, page, lang, HTTP_409_CONFLICT)
        form = await _form_values(request)
        problems = _check_form(page, form, lang)
        if problems:
            return _survey_form(token, page, lang, form, problems)
        try:
            await surveys.submit(token, form)
        except NotFound:
            return invalid_link(request)
        except Conflict:  # closed between showing and saving
            return _survey_closed(token, page, lang, HTTP_409_CONFLICT)
        except InvalidInput as error:  # the questions changed in between; show the form again
            question = next(
                (q for q in page["questions"] if error.errors and q.id in error.errors[0].field), None
            )
            problems = [_problem(question, error, lang)] if question else []
            return _survey_form(token, page, lang, form, problems)
        context = _survey_context(token, page, lang)
        return Template("survey_done.html.j2", context=context)


# ---------------------------------------------------------------- ticket


def qr_svg(text: str) -> Markup:
    """The QR code as inline SVG: black on white, scaled by CSS. segno writes only numbers and paths."""
    code = segno.make(text, error="m", micro=False)
    svg = code.svg_inline(scale=1, border=4, omitsize=True, dark="#000", light="#fff")
    return Markup(svg)  # noqa: S704 - segno's own markup; the code is our alphabet only


def display_code(code: str) -> str:
    """`ABCD2345` -> `ABCD-2345`, easier to read out and type (the dash is ignored at check-in)."""
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


class TicketPages(Controller):
    path = "/ticket"
    include_in_schema = False

    @get("/{token:str}", opt=roles(PUBLIC))
    async def show(self, request: Request[Any, Any, Any], token: LinkToken) -> Template:
        try:
            context = await registrations.rsvp_context(token)
        except NotFound:
            return invalid_link(request)
        registration, event = context["registration"], context["event"]
        lang = pick_language(registration["language"])
        status = RegistrationStatus(registration["status"])
        code = registration["checkin_code"]
        explanation = ""
        # Board members attend as invited (they are never "confirmed"); anyone else needs a confirmed seat.
        board_member = (
            event["kind"] == EventKind.board_session.value
            and status is RegistrationStatus.invited
            and registration["rsvp"] != Rsvp.declined.value
        )
        if event["status"] == EventStatus.cancelled.value:
            explanation = "This event is cancelled, so the check-in code is no longer needed."
        elif status is not RegistrationStatus.confirmed and not board_member:
            declined = status is RegistrationStatus.invited and registration["rsvp"] == Rsvp.declined.value
            explanation = NO_CODE_REASONS[RegistrationStatus.declined if declined else status]
        elif not code:
            explanation = (
                "There is no check-in code for your registration yet. Give your name at the entrance."
            )
        show_code = not explanation
        checked_in = registration["checked_in_at"]
        return Template(
            "ticket.html.j2",
            context={
                **event_context(event, lang),
                "token": token,
                "person_name": registration["person_name"],
                "status_label": gettext(lang, STATUS_LABELS[status]),
                "rsvp_label": gettext(lang, ANSWER_LABELS[Rsvp(registration["rsvp"])]),
                "show_code": show_code,
                "qr_svg": qr_svg(f"DTZ-{code}") if show_code else "",
                "code_display": display_code(code) if show_code else "",
                "checked_in_at": format_time(local(checked_in), "HH:mm", locale=lang) if checked_in else None,
                "explanation": gettext(lang, explanation) if explanation else "",
                "can_answer": event["status"] == EventStatus.published.value
                and status in (RegistrationStatus.confirmed, RegistrationStatus.invited),
            },
        )
