"""Participant pages: RSVP from the email's link (a GET shows, only a POST changes), and problem pages."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, PathParameter, QueryParameter
from litestar.response import Template
from litestar.status_codes import HTTP_200_OK, HTTP_404_NOT_FOUND, HTTP_409_CONFLICT

from dtz_events.core.auth import PUBLIC, roles
from dtz_events.core.errors import Conflict, NotFound
from dtz_events.core.i18n import gettext, pick_language
from dtz_events.core.schemas import Input
from dtz_events.core.templating import format_when
from dtz_events.mail.services import calendar_location
from dtz_events.registrations import services
from dtz_events.registrations.schemas import Rsvp

Token = Annotated[str, PathParameter(max_length=200, description="The link's token")]

ANSWER_LABELS = {
    Rsvp.accepted: "Yes, I will come",
    Rsvp.tentative: "Maybe",
    Rsvp.declined: "No, I cannot come",
    Rsvp.needs_action: "Not answered yet",
}


class RsvpForm(Input):
    answer: Rsvp
    csrf_token: str | None = msgspec.field(default=None, name="_csrf_token")  # checked by the middleware


def event_context(event: dict[str, Any], lang: str) -> dict[str, Any]:
    """What every page about one event shows at its top, in the page's language."""
    return {
        "lang": lang,
        "event": event,
        "when": format_when(event["starts_at"], event["ends_at"], lang),
        "location": calendar_location(event),
    }


def problem_page(lang: str, status: int, heading: str, message: str) -> Template:
    context = {"lang": lang, "heading": gettext(lang, heading), "message": gettext(lang, message)}
    return Template("problem.html.j2", context=context, status_code=status)


def invalid_link(request: Request[Any, Any, Any]) -> Template:
    lang = pick_language(request.headers.get("accept-language"))
    return problem_page(
        lang,
        HTTP_404_NOT_FOUND,
        "This link is not valid",
        "The link may be mistyped, expired or withdrawn. Use the newest email, or ask the organisers.",
    )


class RsvpPages(Controller):
    path = "/rsvp"
    include_in_schema = False

    @get("/{token:str}", opt=roles(PUBLIC))
    async def show(
        self,
        request: Request[Any, Any, Any],
        token: Token,
        answer: Annotated[str | None, QueryParameter(max_length=20)] = None,
    ) -> Template:
        try:
            context = await services.rsvp_context(token)
        except NotFound:
            return invalid_link(request)
        registration, event = context["registration"], context["event"]
        lang = pick_language(registration["language"])
        choices = [
            (a.value, gettext(lang, ANSWER_LABELS[a])) for a in (Rsvp.accepted, Rsvp.tentative, Rsvp.declined)
        ]
        current = Rsvp(registration["rsvp"])
        return Template(
            "rsvp.html.j2",
            context={
                **event_context(event, lang),
                "token": token,
                "person_name": registration["person_name"],
                "choices": choices,
                "selected": answer if answer in {c[0] for c in choices} else current.value,
                "current": current.value,
                "current_label": gettext(lang, ANSWER_LABELS[current]),
            },
        )

    @post("/{token:str}", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def answer(
        self,
        request: Request[Any, Any, Any],
        token: Token,
        data: Annotated[RsvpForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template:
        try:
            context = await services.answer_rsvp(token, data.answer)
        except NotFound:
            return invalid_link(request)
        except Conflict:
            lang = pick_language(request.headers.get("accept-language"))
            return problem_page(
                lang,
                HTTP_409_CONFLICT,
                "This answer cannot be given",
                "The event is cancelled or over, or your registration is no longer active.",
            )
        lang = pick_language(context["registration"]["language"])
        return Template(
            "rsvp_done.html.j2",
            context={
                "lang": lang,
                "event": context["event"],
                "answer_label": gettext(lang, ANSWER_LABELS[data.answer]),
            },
        )
