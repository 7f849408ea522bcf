"""Partner coordinator pages: the events open to their organisation; registering, swapping and cancelling
their own people within the quota; their people's answers, check-in and survey. Everything is scoped to the
coordinator's organisation by the services (another organisation's registration is 'not found')."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import PathParameter
from litestar.response import Template
from litestar.status_codes import HTTP_200_OK, HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT

from dtz_events.core.auth import PUBLIC, Principal, roles
from dtz_events.core.clock import local, utcnow
from dtz_events.core.errors import Conflict, DomainError, InvalidInput, NotFound
from dtz_events.core.i18n import gettext
from dtz_events.core.schemas import Pagination
from dtz_events.core.templating import format_when
from dtz_events.events.schemas import EventStatus
from dtz_events.events.services import get_event_row, list_events
from dtz_events.pages import access, queries
from dtz_events.pages.access import PageResult
from dtz_events.pages.controllers import event_context
from dtz_events.pages.events import RSVP_LABELS, STATUS_LABELS, SURVEY_LABELS
from dtz_events.pages.forms import domain_errors, msgspec_errors, problems, translated
from dtz_events.pages.rendering import page_language
from dtz_events.partners import services as partners
from dtz_events.partners.schemas import PersonCreate
from dtz_events.registrations import services as registrations
from dtz_events.registrations.schemas import ACTIVE_STATUSES

EventId = Annotated[int, PathParameter(ge=1, le=2**31 - 1, description="Event id")]
RegistrationId = Annotated[int, PathParameter(ge=1, le=2**31 - 1, description="Registration id")]
ACTIVE = {s.value for s in ACTIVE_STATUSES}


def _error_text(lang: str, exc: DomainError) -> str:
    return gettext(lang, exc.errors[0].message if exc.errors else exc.detail)


class PartnerPages(Controller):
    path = "/partner"
    include_in_schema = False

    @get("/", opt=roles(PUBLIC))
    async def home(self, request: Request[Any, Any, Any]) -> PageResult:
        principal = access.partner(request)
        if not isinstance(principal, Principal):
            return principal
        lang = page_language(request, principal)
        since = (local(utcnow()) - timedelta(days=1)).date()
        page = await list_events(principal, Pagination(1, 100), starts_from=since)
        rows = []
        for event in page.items:
            if event.status is EventStatus.cancelled:
                continue
            own = await queries.attendees(principal, event.id, queries.AttendeeFilter())
            quota = await queries.quota_rows(event.id, principal.organisation_id)
            rows.append(
                {
                    "id": event.id,
                    "title": event.title,
                    "when": format_when(event.starts_at, event.ends_at, lang),
                    "registered": sum(1 for r in own if r["status"] in ACTIVE),
                    "quota": quota[0]["seats"] if quota else None,
                }
            )
        context = {"lang": lang, "principal": principal, "events": rows}
        return Template("partner_events.html.j2", context=context)

    @get("/events/{event_id:int}", opt=roles(PUBLIC))
    async def event(self, request: Request[Any, Any, Any], event_id: EventId) -> PageResult:
        principal = access.partner(request)
        if not isinstance(principal, Principal):
            return principal
        return await _event_page(request, principal, event_id)

    @post("/events/{event_id:int}/register", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def register(self, request: Request[Any, Any, Any], event_id: EventId) -> PageResult:
        principal = access.partner(request)
        if not isinstance(principal, Principal):
            return principal
        lang = page_language(request, principal)
        form = await access.form_lists(request)
        ids = [int(p) for p in form.get("person_ids", []) if p.isdigit() and len(p) < 10]
        if not ids:
            message = gettext(lang, "Choose at least one person.")
            return await _event_page(request, principal, event_id, error=message)
        try:
            await registrations.register(principal, event_id, ids, "person_ids")
        except NotFound:
            return access.not_found(lang)
        except (InvalidInput, Conflict) as exc:
            return await _event_page(request, principal, event_id, error=_error_text(lang, exc))
        return access.see_other(f"/partner/events/{event_id}")

    @post("/registrations/{registration_id:int}/cancel", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def cancel(self, request: Request[Any, Any, Any], registration_id: RegistrationId) -> PageResult:
        principal = access.partner(request)
        if not isinstance(principal, Principal):
            return principal
        lang = page_language(request, principal)
        try:
            current = await registrations.get_registration(principal, registration_id)
            await registrations.cancel_registration(principal, registration_id)
        except NotFound:
            return access.not_found(lang)
        except Conflict as exc:
            return await _event_page(request, principal, current.event_id, error=_error_text(lang, exc))
        return access.see_other(f"/partner/events/{current.event_id}")

    @post("/registrations/{registration_id:int}/swap", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def swap(self, request: Request[Any, Any, Any], registration_id: RegistrationId) -> PageResult:
        principal = access.partner(request)
        if not isinstance(principal, Principal):
            return principal
        lang = page_language(request, principal)
        values = await access.form_values(request)
        raw = values.get("person_id", "")
        try:
            current = await registrations.get_registration(principal, registration_id)
        except NotFound:
            return access.not_found(lang)
        if not raw.isdigit() or len(raw) > 9:
            message = gettext(lang, "Choose who goes instead.")
            return await _event_page(request, principal, current.event_id, error=message)
        try:
            await registrations.substitute(principal, registration_id, int(raw))
        except NotFound:
            return access.not_found(lang)
        except (InvalidInput, Conflict) as exc:
            return await _event_page(request, principal, current.event_id, error=_error_text(lang, exc))
        return access.see_other(f"/partner/events/{current.event_id}")

    @get("/people", opt=roles(PUBLIC))
    async def people(self, request: Request[Any, Any, Any]) -> PageResult:
        principal = access.partner(request)
        if not isinstance(principal, Principal):
            return principal
        return await _people_page(request, principal, {"language": "nl"})

    @post("/people", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def add_person(self, request: Request[Any, Any, Any]) -> PageResult:
        principal = access.partner(request)
        if not isinstance(principal, Principal):
            return principal
        values = await access.form_values(request)
        body = {
            "name": values.get("name", ""),
            "email": values.get("email", ""),
            "organisation_id": principal.organisation_id,
            "language": values.get("language") or "nl",
            "job_title": values.get("job_title") or None,
        }
        try:
            await partners.create_person(principal, msgspec.convert(body, PersonCreate))
        except msgspec.ValidationError as exc:
            return await _people_page(request, principal, values, msgspec_errors(exc))
        except DomainError as exc:
            return await _people_page(request, principal, values, domain_errors(exc, "email"))
        return access.see_other("/partner/people")


async def _event_page(
    request: Request[Any, Any, Any], principal: Principal, event_id: int, error: str = ""
) -> Template:
    lang = page_language(request, principal)
    try:
        event = await get_event_row(principal, event_id)
    except NotFound:
        return access.not_found(lang)
    assert principal.organisation_id is not None
    own = await queries.attendees(principal, event_id, queries.AttendeeFilter())
    active = [r for r in own if r["status"] in ACTIVE]
    taken = {r["person"] for r in active}
    people = [p for p in await queries.people_of(principal.organisation_id) if p["id"] not in taken]
    quota = await queries.quota_rows(event_id, principal.organisation_id)
    context = {
        **event_context(event, lang),
        "principal": principal,
        "rows": own,
        "active": len(active),
        "confirmed": sum(1 for r in own if r["status"] == "confirmed"),
        "free_people": people,
        "quota": quota[0]["seats"] if quota else None,
        "open": event["status"] == EventStatus.published.value and event["starts_at"] > utcnow(),
        "statuses": {k: gettext(lang, v) for k, v in STATUS_LABELS.items()},
        "answers": {k: gettext(lang, v) for k, v in RSVP_LABELS.items()},
        "surveys": {k: gettext(lang, v) for k, v in SURVEY_LABELS.items()},
        "error": error,
    }
    status = HTTP_409_CONFLICT if error else HTTP_200_OK
    return Template("partner_event.html.j2", context=context, status_code=status)


async def _people_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
) -> Template:
    lang = page_language(request, principal)
    assert principal.organisation_id is not None
    errors = translated(errors or {}, lang)
    labels = {"name": "Name", "email": "Email address", "job_title": "Job title", "language": "Language"}
    context = {
        "lang": lang,
        "principal": principal,
        "people": await queries.people_of(principal.organisation_id),
        "values": values,
        "errors": errors,
        "error_list": problems(errors, labels, lang),
    }
    return Template(
        "partner_people.html.j2", context=context, status_code=HTTP_400_BAD_REQUEST if errors else HTTP_200_OK
    )
