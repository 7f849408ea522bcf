"""The participant's personal matchmaking page behind their link: their 1:1 meetings with times and table
numbers, the requests they received (accept or decline) and sent, their profile and availability, and the
other participants, each with a form to ask for a meeting."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from babel.dates import format_time
from litestar import Controller, Request, get, post
from litestar.params import PathParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_409_CONFLICT

from dtz_events.core.auth import PUBLIC, roles
from dtz_events.core.clock import local
from dtz_events.core.errors import Conflict, InvalidInput, NotFound
from dtz_events.core.i18n import gettext, pick_language
from dtz_events.matchmaking import services
from dtz_events.matchmaking.schemas import MeetingStatus, ProfileUpdate, RequestCreate, RequestStatus
from dtz_events.pages.controllers import event_context, invalid_link, problem_page

LinkToken = Annotated[str, PathParameter(description="The link's token")]
RequestId = Annotated[int, PathParameter(ge=1, le=2**53, description="Meeting request id")]

OPEN = (RequestStatus.pending, RequestStatus.accepted)
STATUS_LABELS = {
    RequestStatus.pending: "Waiting for an answer",
    RequestStatus.accepted: "Accepted",
    RequestStatus.declined: "Declined",
    RequestStatus.expired: "Expired",
    RequestStatus.withdrawn: "Withdrawn",
}


def _time(moment: Any, lang: str) -> str:
    return format_time(local(moment), "HH:mm", locale=lang)


async def _page(token: str) -> Template | None:
    try:
        data = await services.agenda(token)
    except NotFound:
        return None
    participant = data["participant"]
    lang = pick_language(participant.language)
    me = participant.person_id
    meetings = []
    for m in data["meetings"]:
        if m.status is not MeetingStatus.scheduled or m.starts_at is None or m.ends_at is None:
            continue
        other_id = m.person_b_id if m.person_a_id == me else m.person_a_id
        meetings.append(
            {
                "time": f"{_time(m.starts_at, lang)}–{_time(m.ends_at, lang)}",
                "table_number": m.table_number,
                "other_name": m.person_b_name if m.person_a_id == me else m.person_a_name,
                "other_organisation": data["organisations"].get(other_id, ""),
            }
        )
    waiting = sum(1 for m in data["meetings"] if m.status is MeetingStatus.unscheduled)
    own = await services.get_own_profile(participant)
    settings = data["settings"]
    slots = [
        {"number": n, "label": f"{_time(start, lang)}–{_time(end, lang)}"}
        for n, (start, end) in enumerate(services.slot_times(settings))
    ]
    open_with = {r.recipient_id for r in data["requests"] if r.status in OPEN} | {
        r.requester_id for r in data["requests"] if r.status in OPEN
    }
    others = await services.list_profiles(participant)
    received = [r for r in data["requests"] if r.recipient_id == me]
    sent = [r for r in data["requests"] if r.requester_id == me]
    return Template(
        "matchmaking/agenda.html.j2",
        context={
            **event_context(data["event"], lang),
            "token": token,
            "person_name": participant.name,
            "meetings": meetings,
            "waiting": waiting,
            "received": [
                {
                    "id": r.id,
                    "name": r.requester_name,
                    "message": r.message,
                    "pending": r.status is RequestStatus.pending,
                    "status": gettext(lang, STATUS_LABELS[r.status]),
                }
                for r in received
            ],
            "profile": own,
            "slots": slots,
            "available": set(range(len(slots))) if own.available_slots is None else set(own.available_slots),
            "others": [
                {
                    "id": o.person_id,
                    "name": o.name,
                    "organisation": o.organisation_name,
                    "offers": o.offers,
                    "seeks": o.seeks,
                    "asked": o.person_id in open_with,
                }
                for o in others
            ],
            "booking_open": services.booking_open(settings),
            "sent": [
                {"name": r.recipient_name, "status": gettext(lang, STATUS_LABELS[r.status])} for r in sent
            ],
        },
    )


class MatchmakingPages(Controller):
    path = "/matchmaking"
    include_in_schema = False

    @get("/{token:str}", opt=roles(PUBLIC))
    async def agenda(self, request: Request[Any, Any, Any], token: LinkToken) -> Template:
        page = await _page(token)
        return page if page is not None else invalid_link(request)

    @post("/{token:str}/requests/{request_id:int}/accept", opt=roles(PUBLIC))
    async def accept(self, request: Request[Any, Any, Any], token: LinkToken, request_id: RequestId) -> Any:
        return await self._answer(request, token, request_id, True)

    @post("/{token:str}/requests/{request_id:int}/decline", opt=roles(PUBLIC))
    async def decline(self, request: Request[Any, Any, Any], token: LinkToken, request_id: RequestId) -> Any:
        return await self._answer(request, token, request_id, False)

    @post("/{token:str}/profile", opt=roles(PUBLIC))
    async def save_profile(self, request: Request[Any, Any, Any], token: LinkToken) -> Any:
        form = await _form(request)
        fields: dict[str, Any] = {
            "offers": (form.get("offers") or [""])[0],
            "seeks": (form.get("seeks") or [""])[0],
            "visible": (form.get("visible") or [""])[0] == "on",
        }
        chosen = form.get("slot", [])
        if not all(c.isascii() and c.isdigit() for c in chosen):
            return await self._refused(request, "Choose among the time slots.")
        fields["available_slots"] = sorted({int(c) for c in chosen})
        try:
            participant = await services.participant_for_token(token)
            slots = (await services.agenda(token))["settings"]["slots"]
            if len(fields["available_slots"]) == slots:
                fields["available_slots"] = None  # the whole window
            data = msgspec.convert(fields, ProfileUpdate)
            await services.update_own_profile(participant, data)
        except NotFound:
            return invalid_link(request)
        except (msgspec.ValidationError, InvalidInput, Conflict) as exc:
            return await self._refused(request, str(exc))
        return Redirect(f"/matchmaking/{token}", status_code=HTTP_303_SEE_OTHER)

    @post("/{token:str}/requests", opt=roles(PUBLIC))
    async def send_request(self, request: Request[Any, Any, Any], token: LinkToken) -> Any:
        form = await _form(request)
        recipient = (form.get("recipient_id") or [""])[0]
        priority = (form.get("priority") or ["2"])[0]
        if not (recipient.isascii() and recipient.isdigit() and priority in ("1", "2", "3")):
            return await self._refused(request, "Choose a participant and a priority.")
        fields: dict[str, Any] = {
            "recipient_id": int(recipient),
            "priority": int(priority),
            "message": (form.get("message") or [""])[0],
        }
        try:
            participant = await services.participant_for_token(token)
            await services.create_request(participant, msgspec.convert(fields, RequestCreate))
        except NotFound:
            return invalid_link(request)
        except (msgspec.ValidationError, InvalidInput, Conflict) as exc:
            return await self._refused(request, str(exc))
        return Redirect(f"/matchmaking/{token}", status_code=HTTP_303_SEE_OTHER)

    async def _refused(self, request: Request[Any, Any, Any], message: str) -> Template:
        lang = pick_language(request.headers.get("accept-language"))
        page = problem_page(lang, HTTP_409_CONFLICT, "This cannot be saved", "")
        page.context["message"] = gettext(lang, message)
        return page

    async def _answer(
        self, request: Request[Any, Any, Any], token: str, request_id: int, accept: bool
    ) -> Template | Redirect:
        try:
            participant = await services.participant_for_token(token)
            await services.answer_request(participant, request_id, accept)
        except NotFound:
            return invalid_link(request)
        except Conflict as exc:
            lang = pick_language(request.headers.get("accept-language"))
            page = problem_page(lang, HTTP_409_CONFLICT, "This answer cannot be given", "")
            page.context["message"] = gettext(lang, exc.detail)
            return page
        return Redirect(f"/matchmaking/{token}", status_code=HTTP_303_SEE_OTHER)


async def _form(request: Request[Any, Any, Any]) -> dict[str, list[str]]:
    form = await request.form()
    return {key: [v for v in form.getall(key) if isinstance(v, str)] for key in form}


MATCHMAKING_PAGES = [MatchmakingPages]


# ---------------------------------------------------------------- in the survey after a network meeting

REPORT_LABELS = {
    "": "Not answered",
    "not_held": "Did not take place",
    "contact": "Took place: contact made",
    "follow_up": "Took place: follow-up planned",
    "joint_project": "Took place: joint project or proposal",
    "agreement": "Took place: agreement",
    "hire_or_internship": "Took place: hire or internship",
}


def meeting_questions(meetings: list[dict[str, Any]], lang: str) -> dict[str, Any]:
    """The survey's "did this meeting take place, and what came of it" part (the survey page's context)."""
    return {
        "meetings": [
            {
                "id": m["id"],
                "label": gettext(lang, "%(time)s, table %(table)s: %(name)s (%(organisation)s)")
                % {
                    "time": _time(m["starts_at"], lang),
                    "table": m["table_number"],
                    "name": m["other_name"],
                    "organisation": m["other_organisation"],
                },
            }
            for m in meetings
            if m["starts_at"] is not None
        ],
        "meeting_reports": [(value, gettext(lang, label)) for value, label in REPORT_LABELS.items()],
    }
