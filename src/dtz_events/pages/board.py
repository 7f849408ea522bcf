"""Board pages. Members and deputies come by the link in their board emails (`/board/m/<token>/...`): the
session with its agenda, their answer (with "hand my seat to my deputy"), the date poll, and the minutes,
decisions and actions. The secretary and organisers, logged in, see every session with its live quorum
and write the minutes. Anyone else gets 404, as for a page that does not exist."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import PathParameter, QueryParameter
from litestar.response import Template
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
)

from dtz_events.board import services
from dtz_events.board.schemas import PollChoice, SessionOut
from dtz_events.board.services import Viewer
from dtz_events.core.auth import PUBLIC, Principal, roles
from dtz_events.core.clock import utcnow
from dtz_events.core.errors import Conflict, InvalidInput, NotFound
from dtz_events.core.i18n import gettext, pick_language
from dtz_events.core.templating import format_when
from dtz_events.events.tables import Event
from dtz_events.mail.services import calendar_location
from dtz_events.pages.controllers import problem_page
from dtz_events.pages.rendering import page_language
from dtz_events.partners.tables import Person
from dtz_events.registrations.schemas import Rsvp

Token = Annotated[str, PathParameter(max_length=200, description="The member's board link")]
EventId = Annotated[int, PathParameter(ge=1, le=2**31 - 1, description="Event id")]
ItemId = Annotated[int, PathParameter(ge=1, le=2**31 - 1, description="Agenda item id")]
Answer = Annotated[str | None, QueryParameter(max_length=20)]
Req = Request[Any, Any, Any]

ANSWERS = {
    "accepted": "Yes, I will come",
    "tentative": "Maybe",
    "declined": "No, I cannot come",
    "handover": "No, I cannot come: I hand my seat to my deputy",
}
RSVP_LABELS = {
    "accepted": "Coming",
    "tentative": "Maybe",
    "declined": "Not coming",
    "needs_action": "Not answered yet",
}
KIND_LABELS = {"decision": "For decision", "discussion": "For discussion", "information": "For information"}
POLL_LABELS = {"yes": "Suits me", "maybe": "If need be", "no": "Does not suit me"}


def not_found(lang: str) -> Template:
    return problem_page(
        lang,
        HTTP_404_NOT_FOUND,
        "Page not found",
        "This page does not exist, or you may not see it. Check the address, or ask the organisers.",
    )


async def _event(event_id: int) -> dict[str, Any]:
    event = await Event.select().where(Event.id == event_id).first()
    assert event is not None
    return event


def _common(lang: str, event: dict[str, Any], session: SessionOut) -> dict[str, Any]:
    return {
        "lang": lang,
        "event": event,
        "session": session,
        "when": format_when(event["starts_at"], event["ends_at"], lang),
        "location": calendar_location(event),
        "rsvp_labels": {k: gettext(lang, v) for k, v in RSVP_LABELS.items()},
        "kind_labels": {k: gettext(lang, v) for k, v in KIND_LABELS.items()},
        "poll_labels": {k: gettext(lang, v) for k, v in POLL_LABELS.items()},
        "poll_dates": {o.id: format_when(o.starts_at, o.ends_at, lang) for o in session.poll},
        "begun": event["starts_at"] <= utcnow(),
    }


# ---------------------------------------------------------------- members and deputies


class BoardMemberPages(Controller):
    path = "/board/m/{token:str}"
    include_in_schema = False

    async def _viewer(self, token: str) -> Viewer | None:
        try:
            return await services.viewer_for_token(token)
        except NotFound:
            return None

    async def _person(self, viewer: Viewer) -> dict[str, Any]:
        person = (
            await Person.select(Person.id, Person.name, Person.language)
            .where(Person.id == viewer.person_id)
            .first()
        )
        assert person is not None
        return person

    @get("/", opt=roles(PUBLIC))
    async def index(self, request: Req, token: Token) -> Template:
        viewer = await self._viewer(token)
        if viewer is None:
            return not_found(page_language(request))
        person = await self._person(viewer)
        lang = pick_language(person["language"])  # as their board emails: link pages have no switch
        sessions = [
            {
                "id": s["event"]["id"],
                "title": s["event"]["title"],
                "when": format_when(s["event"]["starts_at"], s["event"]["ends_at"], lang),
            }
            for s in await services.list_sessions(viewer)
        ]
        return Template(
            "board/member_index.html.j2",
            context={"lang": lang, "token": token, "person": person, "sessions": sessions},
        )

    @get("/sessions/{event_id:int}", opt=roles(PUBLIC))
    async def session(self, request: Req, token: Token, event_id: EventId, answer: Answer = None) -> Template:
        return await self._page(request, token, event_id, selected=answer)

    @post("/sessions/{event_id:int}/answer", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def answer(self, request: Req, token: Token, event_id: EventId) -> Template:
        viewer = await self._viewer(token)
        if viewer is None:
            return await self._page(request, token, event_id)
        form = await request.form()
        choice = str(form.get("answer") or "")
        if choice not in ANSWERS:
            return await self._page(
                request,
                token,
                event_id,
                notice="Choose an answer.",
                notice_class="notice error",
                status=HTTP_422_UNPROCESSABLE_ENTITY,
            )
        answer = Rsvp.declined if choice == "handover" else Rsvp(choice)
        try:
            await services.answer_as_member(viewer, event_id, answer, hand_over=choice == "handover")
        except NotFound:
            return await self._page(request, token, event_id)
        except (Conflict, InvalidInput) as exc:
            return await self._page(
                request,
                token,
                event_id,
                notice=_conflict_text(exc.detail),
                notice_class="notice error",
                status=exc.status,
            )
        done = (
            "Thank you: your seat goes to your deputy, who is invited now."
            if choice == "handover"
            else "Thank you for your answer."
        )
        return await self._page(request, token, event_id, notice=done, notice_class="notice ok")

    @post("/sessions/{event_id:int}/poll", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def poll(self, request: Req, token: Token, event_id: EventId) -> Template:
        viewer = await self._viewer(token)
        if viewer is None:
            return await self._page(request, token, event_id)
        form = await request.form()
        answers: dict[int, PollChoice] = {}
        for key, value in form.items():
            if (
                key.startswith("option_")
                and key[7:].isdigit()
                and len(key) < 20
                and value in PollChoice.__members__
            ):
                answers[int(key[7:])] = PollChoice(value)
        try:
            await services.answer_poll(viewer, event_id, answers)
        except NotFound:
            return await self._page(request, token, event_id)
        except (Conflict, InvalidInput) as exc:
            return await self._page(
                request,
                token,
                event_id,
                notice=_conflict_text(exc.detail),
                notice_class="notice error",
                status=exc.status,
            )
        return await self._page(
            request, token, event_id, notice="Thank you: your dates are saved.", notice_class="notice ok"
        )

    async def _page(
        self,
        request: Req,
        token: str,
        event_id: int,
        *,
        selected: str | None = None,
        notice: str = "",
        notice_class: str = "",
        status: int = HTTP_200_OK,
    ) -> Template:
        viewer = await self._viewer(token)
        fallback = page_language(request)
        if viewer is None:
            return not_found(fallback)
        person = await self._person(viewer)
        lang = pick_language(person["language"])
        try:
            session = await services.get_session(viewer, event_id)
        except NotFound:
            return not_found(lang)
        event = await _event(event_id)
        mine = next(
            (i for i in session.invitations if i.person.id == viewer.person_id and i.status == "invited"),
            None,
        )
        seat = await services.seat_of(viewer.person_id or 0)
        choices = [
            (k, gettext(lang, v))
            for k, v in ANSWERS.items()
            if k != "handover" or (mine and not mine.as_deputy and seat and seat["deputy_name"])
        ]
        own_poll = await services.own_poll_answers_for_event(event_id, viewer.person_id or 0)
        context = {
            **_common(lang, event, session),
            "token": token,
            "person": person,
            "mine": mine,
            "seat": seat,
            "choices": choices,
            "selected": selected if selected in ANSWERS else (mine.rsvp.value if mine else ""),
            "own_poll": own_poll,
            "may_answer_poll": bool(seat and seat["is_member"]),
            "notice": gettext(lang, notice) if notice else "",
            "notice_class": notice_class,
        }
        return Template("board/member_session.html.j2", context=context, status_code=status)


def _conflict_text(detail: str) -> str:
    return detail[:1].upper() + detail[1:] + "."


# ---------------------------------------------------------------- the secretary and organisers


class BoardSecretaryPages(Controller):
    path = "/board/secretary"
    include_in_schema = False

    async def _viewer(self, request: Req) -> tuple[Viewer | None, str]:
        principal: Principal | None = request.user
        lang = page_language(request, principal)
        if principal is None:
            return None, lang
        try:
            return await services.manager(principal), lang
        except NotFound:
            return None, lang

    @get("/", opt=roles(PUBLIC))
    async def index(self, request: Req) -> Template:
        viewer, lang = await self._viewer(request)
        if viewer is None:
            return not_found(lang)
        sessions = [
            {
                "id": s["event"]["id"],
                "title": s["event"]["title"],
                "status": s["event"]["status"],
                "when": format_when(s["event"]["starts_at"], s["event"]["ends_at"], lang),
                "quorum": s["quorum"],
            }
            for s in await services.list_sessions(viewer)
        ]
        return Template(
            "board/secretary_index.html.j2",
            context={"lang": lang, "principal": request.user, "sessions": sessions},
        )

    @get("/sessions/{event_id:int}", opt=roles(PUBLIC))
    async def session(self, request: Req, event_id: EventId) -> Template:
        return await self._page(request, event_id)

    @post("/sessions/{event_id:int}/minutes/{item_id:int}", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def minutes(self, request: Req, event_id: EventId, item_id: ItemId) -> Template:
        viewer, lang = await self._viewer(request)
        if viewer is None or request.user is None:
            return not_found(lang)
        form = await request.form()
        text = str(form.get("text") or "")
        if len(text) > 50_000:
            return await self._page(
                request, event_id, "The minutes are too long.", "notice error", HTTP_422_UNPROCESSABLE_ENTITY
            )
        try:
            await services.set_minutes(request.user, event_id, item_id, text.replace("\r\n", "\n"))
        except NotFound:
            return not_found(lang)
        except Conflict as exc:
            return await self._page(
                request, event_id, _conflict_text(exc.detail), "notice error", HTTP_409_CONFLICT
            )
        return await self._page(request, event_id, "The minutes are saved.", "notice ok")

    async def _page(
        self, request: Req, event_id: int, notice: str = "", notice_class: str = "", status: int = HTTP_200_OK
    ) -> Template:
        viewer, lang = await self._viewer(request)
        if viewer is None:
            return not_found(lang)
        try:
            session = await services.get_session(viewer, event_id)
        except NotFound:
            return not_found(lang)
        event = await _event(event_id)
        context = {
            **_common(lang, event, session),
            "principal": request.user,
            "notice": gettext(lang, notice) if notice else "",
            "notice_class": notice_class,
        }
        return Template("board/secretary_session.html.j2", context=context, status_code=status)


BOARD_PAGES = [BoardMemberPages, BoardSecretaryPages]
