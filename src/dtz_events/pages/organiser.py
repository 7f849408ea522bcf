"""Organiser pages with a session cookie: log in and out, the events list, and the check-in page for the
door (a phone). The check-in page calls the JSON API; without JavaScript its forms post here instead."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote

from babel.dates import format_time
from litestar import Controller, Request, get, post
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_303_SEE_OTHER,
    HTTP_400_BAD_REQUEST,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
)

from dtz_events.accounts import services as accounts
from dtz_events.accounts.middleware import session_for
from dtz_events.core.auth import PUBLIC, Principal, Role, roles
from dtz_events.core.clock import local, utcnow
from dtz_events.core.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from dtz_events.core.i18n import LANGUAGES, gettext
from dtz_events.core.schemas import Pagination
from dtz_events.core.templating import format_when
from dtz_events.events.schemas import EventStatus
from dtz_events.events.services import list_events, managed_event_row
from dtz_events.mail.services import outbox_counts
from dtz_events.pages import queries
from dtz_events.pages.controllers import event_context, problem_page
from dtz_events.pages.rendering import LANGUAGE_KEY, page_language
from dtz_events.surveys import services as surveys

# Who may check people in: the roles of the check-in API (board secretaries for board sessions only).
DOOR_ROLES = frozenset({Role.admin, Role.organiser, Role.board_secretary})
HOME = "/organiser"
PARTNER_HOME = "/partner"
EventId = Annotated[int, PathParameter(ge=1, le=2**31 - 1, description="Event id")]
Next = Annotated[str | None, QueryParameter(max_length=500)]


def safe_next(target: str | None) -> str:
    """Only a path on this site: not `//host`, not `/\\host`, not a scheme, no control characters."""
    if (
        not target
        or len(target) > 500
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 32 or ord(c) == 127 for c in target)
    ):
        return HOME
    return target


def _lang(request: Request[Any, Any, Any], principal: Principal | None = None) -> str:
    return page_language(request, principal)


def _login_redirect(request: Request[Any, Any, Any]) -> Redirect:
    target = request.url.path
    return Redirect(f"/login?next={quote(target, safe='/')}", status_code=HTTP_303_SEE_OTHER)


def _not_found(lang: str) -> Template:
    return problem_page(
        lang,
        HTTP_404_NOT_FOUND,
        "Page not found",
        "This page does not exist, or you may not see it. Check the address, or ask the organisers.",
    )


def _login_page(
    lang: str, next_url: str, *, principal: Principal | None = None, email: str = "", error: str = ""
) -> Template:
    return Template(
        "login.html.j2",
        context={"lang": lang, "next": next_url, "principal": principal, "email": email, "error": error},
        status_code=HTTP_400_BAD_REQUEST if error else HTTP_200_OK,
    )


class LoginPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/login", opt=roles(PUBLIC))
    async def show(self, request: Request[Any, Any, Any], next: Next = None) -> Template:
        principal: Principal | None = request.user
        return _login_page(_lang(request, principal), safe_next(next), principal=principal)

    @post("/login", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def login(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        form = await request.form()
        email = str(form.get("email") or "")[:254].strip()
        password = str(form.get("password") or "")[:200]
        next_url = safe_next(str(form.get("next") or ""))
        lang = _lang(request)
        if not email or not password:
            message = gettext(lang, "Fill in your email address and password.")
            return _login_page(lang, next_url, email=email, error=message)
        try:
            principal = await accounts.login(email, password)
        except Unauthorized:
            message = gettext(lang, "Wrong email address or password.")
            return _login_page(lang, next_url, email=email, error=message)
        request.set_session(await session_for(principal.account_id))
        if principal.is_partner and next_url == HOME:
            next_url = PARTNER_HOME
        return Redirect(next_url, status_code=HTTP_303_SEE_OTHER)

    @post("/logout", opt=roles(PUBLIC), status_code=HTTP_303_SEE_OTHER)
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        request.clear_session()
        return Redirect("/login", status_code=HTTP_303_SEE_OTHER)

    @post("/language", opt=roles(PUBLIC), status_code=HTTP_303_SEE_OTHER)
    async def language(self, request: Request[Any, Any, Any]) -> Redirect:
        """The language switch: kept in the session, before the account's and the browser's language."""
        form = await request.form()
        lang = str(form.get("lang") or "")
        if lang in LANGUAGES:
            request.set_session({**request.session, LANGUAGE_KEY: lang})
        return Redirect(safe_next(str(form.get("next") or "")), status_code=HTTP_303_SEE_OTHER)


class OrganiserPages(Controller):
    path = "/organiser"
    include_in_schema = False

    @get("/", opt=roles(PUBLIC))
    async def home(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        """The dashboard: upcoming events with their registrations and answers, and the outbox's health."""
        principal: Principal | None = request.user
        if principal is None:
            return _login_redirect(request)
        lang = _lang(request, principal)
        if principal.role not in DOOR_ROLES:
            return _not_found(lang)
        since = (local(utcnow()) - timedelta(days=7)).date()
        page = await list_events(principal, Pagination(page=1, per_page=100), starts_from=since)
        shown = [e for e in page.items if e.status is not EventStatus.cancelled]
        counts = await queries.status_counts([e.id for e in shown])
        events = [
            {
                "id": e.id,
                "title": e.title,
                "when": format_when(e.starts_at, e.ends_at, lang),
                "status": e.status.value,
                "capacity": e.capacity,
                "counts": counts[e.id],
                "open": e.status in (EventStatus.published, EventStatus.completed),
            }
            for e in shown
        ]
        context = {
            "lang": lang,
            "principal": principal,
            "events": events,
            "waiting": sum(c.get("waitlisted", 0) for c in counts.values()),
            "outbox": await outbox_counts() if principal.is_organiser else None,
            "manages": principal.is_organiser,
        }
        return Template("organiser_events.html.j2", context=context)

    @get("/events/{event_id:int}/check-in", opt=roles(PUBLIC))
    async def check_in_page(self, request: Request[Any, Any, Any], event_id: EventId) -> Template | Redirect:
        return await self._page(request, event_id)

    @post("/events/{event_id:int}/check-in", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def check_in(self, request: Request[Any, Any, Any], event_id: EventId) -> Template | Redirect:
        """Without JavaScript: the typed code or a list button posts here."""
        principal: Principal | None = request.user
        if principal is None or principal.role not in DOOR_ROLES:
            return await self._page(request, event_id)
        lang = _lang(request, principal)
        form = await request.form()
        code = str(form.get("code") or "").strip()
        raw_id = str(form.get("registration_id") or "")
        registration_id = int(raw_id) if raw_id.isdigit() and len(raw_id) < 10 else None
        try:
            if not code and registration_id is None:
                raise InvalidInput("code", "give the code")
            if len(code) > 20:
                raise InvalidInput("code", "too long")
            out = await surveys.check_in(principal, event_id, code or None, registration_id)
        except (NotFound, Forbidden):
            if not await _may_see(principal, event_id):
                return await self._page(request, event_id)
            message = gettext(lang, "No registration for this event has this code.")
            return await self._page(request, event_id, message, "notice error", HTTP_404_NOT_FOUND)
        except InvalidInput:
            message = (
                gettext(lang, "This is not a check-in code.") if code else gettext(lang, "Type a code first.")
            )
            return await self._page(request, event_id, message, "notice error", HTTP_400_BAD_REQUEST)
        time = format_time(out.checked_in_at, "HH:mm", locale=lang)
        if out.already_checked_in:
            text = gettext(lang, "%(name)s was already checked in at %(time)s.")
            return await self._page(
                request, event_id, text % {"name": out.person_name, "time": time}, "notice warn"
            )
        text = gettext(lang, "%(name)s is checked in.")
        return await self._page(request, event_id, text % {"name": out.person_name}, "notice ok")

    async def _page(
        self,
        request: Request[Any, Any, Any],
        event_id: int,
        result: str = "",
        result_class: str = "",
        status: int = HTTP_200_OK,
    ) -> Template | Redirect:
        principal: Principal | None = request.user
        if principal is None:
            return _login_redirect(request)
        lang = _lang(request, principal)
        if principal.role not in DOOR_ROLES:
            return _not_found(lang)  # partner coordinators: there is nothing here for them
        try:
            event = await managed_event_row(principal, event_id)
            people = await surveys.check_in_list(principal, event_id)
        except NotFound:
            return _not_found(lang)
        except Forbidden:
            return problem_page(
                lang,
                HTTP_403_FORBIDDEN,
                "You may not check people in here",
                "Your role may check people in at board sessions only.",
            )
        return Template(
            "checkin.html.j2",
            context={
                **event_context(event, lang),
                "principal": principal,
                "people": people,
                "done": sum(1 for p in people if p["checked_in_at"]),
                "result": result,
                "result_class": result_class,
            },
            status_code=status,
        )


OUTCOME_LABELS = {
    "contact": "Contact made",
    "follow_up": "Follow-up planned",
    "joint_project": "Joint project or proposal",
    "agreement": "Agreement",
    "hire_or_internship": "Hire or internship",
}


class SurveyResultsPage(Controller):
    path = "/organiser/events/{event_id:int}/survey"
    include_in_schema = False

    @get("/", opt=roles(PUBLIC))
    async def show(self, request: Request[Any, Any, Any], event_id: EventId) -> Template | Redirect:
        principal: Principal | None = request.user
        if principal is None:
            return _login_redirect(request)
        lang = _lang(request, principal)
        if principal.role not in DOOR_ROLES:
            return _not_found(lang)
        try:
            event = await managed_event_row(principal, event_id)
            config = await surveys.get_survey(principal, event_id)
            results = await surveys.results(principal, event_id, lang)
        except (NotFound, Forbidden):
            return _not_found(lang)
        option_labels = {
            q.id: {o.id: getattr(o.label, lang) for o in q.options} for q in config.questions if q.options
        }
        return Template(
            "survey_results.html.j2",
            context={
                **event_context(event, lang),
                "principal": principal,
                "results": results,
                "option_labels": option_labels,
                "outcome_labels": {k: gettext(lang, v) for k, v in OUTCOME_LABELS.items()},
            },
        )


async def _may_see(principal: Principal, event_id: int) -> bool:
    try:
        await managed_event_row(principal, event_id)
    except (NotFound, Forbidden):
        return False
    return True
