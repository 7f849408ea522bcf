"""Organiser pages for events: list, create and edit with a preview of the invitation email; publish, change
and cancel after a confirmation that says who will be told; the sending progress; attendees with filters and
CSV; inviting people or whole organisations; quotas. The services do the work; these pages parse forms."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Annotated, Any, NamedTuple

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import PathParameter, QueryParameter
from litestar.response import Response, Template
from litestar.status_codes import HTTP_200_OK, HTTP_409_CONFLICT

from dtz_events.core.auth import PUBLIC, Principal, roles
from dtz_events.core.clock import local, utcnow
from dtz_events.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from dtz_events.core.i18n import LANGUAGES, gettext
from dtz_events.core.schemas import Pagination
from dtz_events.core.templating import format_when
from dtz_events.events import services as events
from dtz_events.events.schemas import EventCreate, EventKind, EventStatus, EventUpdate, Visibility
from dtz_events.events.services import MATERIAL_FIELDS
from dtz_events.mail.schemas import EmailKind
from dtz_events.pages import access, queries
from dtz_events.pages.access import PageResult
from dtz_events.pages.controllers import event_context
from dtz_events.pages.forms import (
    FormErrors,
    csv_text,
    form_page,
    local_input,
    parse_int,
    parse_local,
    save_or_rerender,
)
from dtz_events.pages.rendering import page_language
from dtz_events.partners.services import list_tags
from dtz_events.partners.tables import Programme
from dtz_events.registrations import services as registrations

EventId = Annotated[int, PathParameter(ge=1, le=2**31 - 1, description="Event id")]
OrgId = Annotated[int, PathParameter(ge=1, le=2**31 - 1, description="Organisation id")]
Filter = Annotated[str | None, QueryParameter(max_length=200)]

EVENT_LABELS = {
    "kind": "Kind of event",
    "title": "Title",
    "description": "Description",
    "venue": "Venue",
    "address": "Address",
    "municipality": "Municipality",
    "starts_at": "Starts",
    "ends_at": "Ends",
    "capacity": "Capacity",
    "registration_closes_at": "Registration closes",
    "visibility": "Who may see it",
    "programme": "Programme",
}
KIND_LABELS = {
    "network_meeting": "Business network meeting",
    "promotion_day": "Technology promotion day",
    "board_session": "Board session",
}
VISIBILITY_LABELS = {
    "partners": "Partners",
    "public": "Everyone",
    "invited": "Invited people only",
}
STATUS_LABELS = {
    "invited": "Invited",
    "confirmed": "Confirmed",
    "waitlisted": "On the waiting list",
    "declined": "Declined",
    "cancelled": "Cancelled",
}
RSVP_LABELS = {
    "needs_action": "Not answered yet",
    "accepted": "Coming",
    "tentative": "Maybe",
    "declined": "Not coming",
}
SURVEY_LABELS = {"none": "Not asked yet", "asked": "Asked", "answered": "Answered"}
TEXT_FIELDS = ("title", "description", "venue", "address", "municipality")


def _labels(lang: str, labels: dict[str, str]) -> dict[str, str]:
    return {k: gettext(lang, v) for k, v in labels.items()}


# ---------------------------------------------------------------- the event form


def _values_of(event: dict[str, Any]) -> dict[str, str]:
    return {
        "kind": event["kind"],
        "title": event["title"],
        "description": event["description"],
        "venue": event["venue"],
        "address": event["address"],
        "municipality": event["municipality"] or "",
        "starts_at": local_input(event["starts_at"]),
        "ends_at": local_input(event["ends_at"]),
        "capacity": "" if event["capacity"] is None else str(event["capacity"]),
        "registration_closes_at": local_input(event["registration_closes_at"]),
        "visibility": event["visibility"],
        "programme": event.get("programme_slug") or "",
    }


def _parse_event(values: dict[str, str], kind: str) -> dict[str, Any]:
    """The body for EventCreate/EventUpdate; raises FormErrors naming each bad field."""
    errors: dict[str, str] = {}
    board = kind == EventKind.board_session.value
    body: dict[str, Any] = {f: values.get(f, "") for f in TEXT_FIELDS}
    body["municipality"] = body["municipality"] or None
    body["starts_at"] = parse_local(values.get("starts_at", ""), "starts_at", errors)
    body["ends_at"] = parse_local(values.get("ends_at", ""), "ends_at", errors)
    body["capacity"] = None if board else parse_int(values.get("capacity", ""), "capacity", errors, low=1)
    closes = None if board else parse_local(values.get("registration_closes_at", ""), "", errors, False)
    body["registration_closes_at"] = closes
    body["visibility"] = Visibility.invited.value if board else values.get("visibility") or "partners"
    body["programme"] = values.get("programme") or None
    if errors:
        raise FormErrors(errors)
    return body


def _event_create(values: dict[str, str]) -> EventCreate:
    kind = values.get("kind", "")
    if kind not in KIND_LABELS:
        raise FormErrors({"kind": "Choose a kind of event."})
    return msgspec.convert({"kind": kind, **_parse_event(values, kind)}, EventCreate)


async def _change_or_confirm(
    request: Request[Any, Any, Any], managed: ManagedEvent, values: dict[str, str]
) -> PageResult:
    """Saves the change and answers where to go next; but a change of a published event that people are told
    of is first confirmed: then the confirmation page."""
    principal, lang, event = managed
    body = _parse_event(values, event["kind"])
    data = msgspec.convert(body, EventUpdate)
    changed = [f for f in MATERIAL_FIELDS if body[f] != event[f]]
    if event["status"] == EventStatus.published.value and changed and values.get("confirm") != "yes":
        counts = (await queries.status_counts([event["id"]]))[event["id"]]
        return _confirm(
            request,
            principal,
            event,
            "change",
            _who(counts, queries.NOTIFIED, lang),
            hidden={k: v for k, v in values.items() if k not in ("_csrf_token", "confirm")},
            changed=[gettext(lang, EVENT_LABELS[f]) for f in changed],
        )
    await events.update_event(principal, event["id"], data)
    if event["status"] == EventStatus.published.value:
        return access.see_other(f"/organiser/events/{event['id']}/progress")
    return access.see_other(f"/organiser/events/{event['id']}")


async def _set_quota(principal: Principal, event_id: int, values: dict[str, str]) -> None:
    errors: dict[str, str] = {}
    organisation = parse_int(values.get("organisation", ""), "organisation", errors, low=1, high=2**31 - 1)
    seats = parse_int(values.get("seats", ""), "seats", errors)
    if organisation is None or seats is None:
        raise FormErrors(errors)
    try:
        await registrations.set_quota(principal, event_id, organisation, seats)
    except NotFound as exc:
        raise FormErrors({"organisation": "Choose an organisation."}) from exc


async def _form_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    values: dict[str, str],
    *,
    event: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Template:
    lang = page_language(request, principal)
    programmes = await list_tags(Programme)
    return form_page(
        "event_form.html.j2",
        lang,
        principal,
        EVENT_LABELS,
        values,
        errors,
        event=event,
        kinds=[(k, gettext(lang, v)) for k, v in KIND_LABELS.items()],
        visibilities=[(k, gettext(lang, v)) for k, v in VISIBILITY_LABELS.items()],
        programmes=[(p.slug, p.name_nl if lang == "nl" else p.name_en) for p in programmes],
        published=event is not None and event["status"] == EventStatus.published.value,
    )


async def _event_or_none(principal: Principal, event_id: int) -> dict[str, Any] | None:
    try:
        event = await events.managed_event_row(principal, event_id)
    except (NotFound, Forbidden):
        return None
    slug = None
    if event["programme"]:
        row = await Programme.select(Programme.slug).where(Programme.id == event["programme"]).first()
        slug = row["slug"] if row else None
    return {**event, "programme_slug": slug}


class ManagedEvent(NamedTuple):
    principal: Principal
    lang: str
    event: dict[str, Any]


async def _managed_event(request: Request[Any, Any, Any], event_id: int) -> ManagedEvent | PageResult:
    """The organiser, the page's language and the event they manage; else the page to answer instead."""
    principal = access.organiser(request)
    if not isinstance(principal, Principal):
        return principal
    lang = page_language(request, principal)
    event = await _event_or_none(principal, event_id)
    if event is None:
        return access.not_found(lang)
    return ManagedEvent(principal, lang, event)


def _who(counts: dict[str, int], statuses: tuple[str, ...], lang: str) -> list[tuple[str, int]]:
    return [(gettext(lang, STATUS_LABELS[s]), n) for s, n in queries.notified(counts, statuses)]


class OrganiserEventPages(Controller):
    path = "/organiser/events"
    include_in_schema = False

    @get("/", opt=roles(PUBLIC))
    async def index(self, request: Request[Any, Any, Any], status: Filter = None) -> PageResult:
        principal = access.organiser(request)
        if not isinstance(principal, Principal):
            return principal
        lang = page_language(request, principal)
        chosen = EventStatus(status) if status in {s.value for s in EventStatus} else None
        since = (local(utcnow()) - timedelta(days=365)).date()
        page = await events.list_events(principal, Pagination(1, 200), status=chosen, starts_from=since)
        counts = await queries.status_counts([e.id for e in page.items])
        rows = [
            {
                "id": e.id,
                "title": e.title,
                "when": format_when(e.starts_at, e.ends_at, lang),
                "kind": gettext(lang, KIND_LABELS[e.kind.value]),
                "status": e.status.value,
                "capacity": e.capacity,
                "counts": counts[e.id],
            }
            for e in page.items
        ]
        statuses = [(s.value, gettext(lang, s.value.capitalize())) for s in EventStatus]
        context = {
            "lang": lang,
            "principal": principal,
            "events": rows,
            "status": status or "",
            "statuses": statuses,
        }
        return Template("event_list.html.j2", context=context)

    @get("/new", opt=roles(PUBLIC))
    async def new(self, request: Request[Any, Any, Any]) -> PageResult:
        principal = access.organiser(request)
        if not isinstance(principal, Principal):
            return principal
        start = (local(utcnow()) + timedelta(days=28)).replace(hour=15, minute=0, second=0, microsecond=0)
        values = {
            "kind": "network_meeting",
            "starts_at": local_input(start),
            "ends_at": local_input(start + timedelta(hours=3)),
            "visibility": "partners",
            "capacity": "60",
        }
        return await _form_page(request, principal, values)

    @post("/new", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def create(self, request: Request[Any, Any, Any]) -> PageResult:
        principal = access.organiser(request)
        if not isinstance(principal, Principal):
            return principal
        values = await access.form_values(request)
        return await save_or_rerender(
            lambda: events.create_event(principal, _event_create(values), request.app.state.settings.host),
            lambda errors: _form_page(request, principal, values, errors=errors),
            main_field="title",
            done=lambda created: access.see_other(f"/organiser/events/{created.id}"),
        )

    @get("/{event_id:int}", opt=roles(PUBLIC))
    async def show(self, request: Request[Any, Any, Any], event_id: EventId) -> PageResult:
        found = await _managed_event(request, event_id)
        if not isinstance(found, ManagedEvent):
            return found
        principal, lang, event = found
        counts = (await queries.status_counts([event_id]))[event_id]
        outbox = (await queries.outbox_counts_for([event_id]))[event_id]
        context = {
            **event_context(event, lang),
            "principal": principal,
            "counts": counts,
            "outbox": outbox,
            "kind_label": gettext(lang, KIND_LABELS[event["kind"]]),
            "visibility_label": gettext(lang, VISIBILITY_LABELS[event["visibility"]]),
            "status_label": gettext(lang, event["status"].capitalize()),
            "closes": format_when(event["registration_closes_at"], event["registration_closes_at"], lang)
            if event["registration_closes_at"]
            else "",
        }
        return Template("event_detail.html.j2", context=context)

    @get("/{event_id:int}/edit", opt=roles(PUBLIC))
    async def edit(self, request: Request[Any, Any, Any], event_id: EventId) -> PageResult:
        found = await _managed_event(request, event_id)
        if not isinstance(found, ManagedEvent):
            return found
        principal, _, event = found
        return await _form_page(request, principal, _values_of(event), event=event)

    @post("/{event_id:int}/edit", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def update(self, request: Request[Any, Any, Any], event_id: EventId) -> PageResult:
        found = await _managed_event(request, event_id)
        if not isinstance(found, ManagedEvent):
            return found
        principal, _, event = found
        values = await access.form_values(request)
        return await save_or_rerender(
            lambda: _change_or_confirm(request, found, values),
            lambda errors: _form_page(request, principal, values, event=event, errors=errors),
            main_field="title",
            done=lambda answer: answer,
        )

    @get("/{event_id:int}/preview", opt=roles(PUBLIC))
    async def preview(
        self,
        request: Request[Any, Any, Any],
        event_id: EventId,
        language: Annotated[str | None, QueryParameter(max_length=2)] = None,
        kind: Annotated[str | None, QueryParameter(max_length=40)] = None,
    ) -> PageResult:
        found = await _managed_event(request, event_id)
        if not isinstance(found, ManagedEvent):
            return found
        principal, lang, event = found
        email_lang = language if language in LANGUAGES else lang
        email_kind = EmailKind.registration_confirmed if kind == "confirmed" else EmailKind.invitation
        email = await events.invitation_preview(principal, event_id, email_lang, email_kind)
        context = {
            **event_context(event, lang),
            "principal": principal,
            "email": email,
            "email_lang": email_lang,
            "email_kind": "confirmed" if email_kind is EmailKind.registration_confirmed else "invitation",
        }
        return Template("event_preview.html.j2", context=context)

    @get("/{event_id:int}/publish", opt=roles(PUBLIC))
    async def confirm_publish(self, request: Request[Any, Any, Any], event_id: EventId) -> PageResult:
        return await self._confirm_transition(request, event_id, "publish")

    @post("/{event_id:int}/publish", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def publish(self, request: Request[Any, Any, Any], event_id: EventId) -> PageResult:
        return await self._transition(request, event_id, "publish")

    @get("/{event_id:int}/cancel", opt=roles(PUBLIC))
    async def confirm_cancel(self, request: Request[Any, Any, Any], event_id: EventId) -> PageResult:
        return await self._confirm_transition(request, event_id, "cancel")

    @post("/{event_id:int}/cancel", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def cancel(self, request: Request[Any, Any, Any], event_id: EventId) -> PageResult:
        return await self._transition(request, event_id, "cancel")

    async def _confirm_transition(
        self, request: Request[Any, Any, Any], event_id: int, action: str
    ) -> PageResult:
        found = await _managed_event(request, event_id)
        if not isinstance(found, ManagedEvent):
            return found
        principal, lang, event = found
        counts = (await queries.status_counts([event_id]))[event_id]
        tells = event["status"] == EventStatus.published.value or action == "publish"
        who = _who(counts, queries.NOTIFIED, lang) if tells else []
        return _confirm(request, principal, event, action, who)

    async def _transition(self, request: Request[Any, Any, Any], event_id: int, action: str) -> PageResult:
        found = await _managed_event(request, event_id)
        if not isinstance(found, ManagedEvent):
            return found
        principal, _, event = found
        try:
            if action == "publish":
                await events.publish_event(principal, event_id)
            else:
                await events.cancel_event(principal, event_id)
        except Conflict:
            page = _confirm(request, principal, event, action, [], refused=True)
            page.status_code = HTTP_409_CONFLICT
            return page
        return access.see_other(f"/organiser/events/{event_id}/progress")

    @get("/{event_id:int}/progress", opt=roles(PUBLIC))
    async def progress(self, request: Request[Any, Any, Any], event_id: EventId) -> PageResult:
        """The emails of this event on their way: the page reloads itself while some are still queued."""
        found = await _managed_event(request, event_id)
        if not isinstance(found, ManagedEvent):
            return found
        principal, lang, event = found
        outbox = (await queries.outbox_counts_for([event_id]))[event_id]
        waiting = outbox.get("queued", 0) + outbox.get("sending", 0)
        done = outbox.get("sent", 0) + outbox.get("held", 0) + outbox.get("withdrawn", 0)
        total = waiting + done + outbox.get("failed", 0)
        context = {
            **event_context(event, lang),
            "principal": principal,
            "outbox": outbox,
            "waiting": waiting,
            "done": done + outbox.get("failed", 0),
            "total": total,
        }
        return Template("event_progress.html.j2", context=context)

    # ------------------------------------------------------------ attendees

    @get("/{event_id:int}/attendees", opt=roles(PUBLIC))
    async def attendees(
        self,
        request: Request[Any, Any, Any],
        event_id: EventId,
        status: Filter = None,
        rsvp: Filter = None,
        organisation: Filter = None,
        q: Filter = None,
    ) -> PageResult:
        found = await _managed_event(request, event_id)
        if not isinstance(found, ManagedEvent):
            return found
        principal, lang, event = found
        where = _filter(status, rsvp, organisation, q)
        rows = await queries.attendees(principal, event_id, where)
        query = request.url.query
        context = {
            **event_context(event, lang),
            "principal": principal,
            "rows": rows,
            "filter": where,
            "csv_url": f"/organiser/events/{event_id}/attendees.csv" + (f"?{query}" if query else ""),
            "statuses": _labels(lang, STATUS_LABELS),
            "answers": _labels(lang, RSVP_LABELS),
            "surveys": _labels(lang, SURVEY_LABELS),
            "organisations": await queries.organisation_choices(),
        }
        return Template("event_attendees.html.j2", context=context)

    @get("/{event_id:int}/attendees.csv", opt=roles(PUBLIC))
    async def attendees_csv(
        self,
        request: Request[Any, Any, Any],
        event_id: EventId,
        status: Filter = None,
        rsvp: Filter = None,
        organisation: Filter = None,
        q: Filter = None,
    ) -> PageResult | Response[str]:
        found = await _managed_event(request, event_id)
        if not isinstance(found, ManagedEvent):
            return found
        principal = found.principal
        rows = await queries.attendees(principal, event_id, _filter(status, rsvp, organisation, q))
        text = csv_text(
            ["registration_id", "name", "email", "organisation", "status", "rsvp", "checked_in_at", "survey"],
            [
                [
                    r["id"],
                    r["name"],
                    r["email"],
                    r["organisation_name"],
                    r["status"],
                    r["rsvp"],
                    local(r["checked_in_at"]).isoformat() if r["checked_in_at"] else "",
                    r["survey"],
                ]
                for r in rows
            ],
        )
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="event-{event_id}-attendees.csv"'},
        )

    # ------------------------------------------------------------ inviting

    @get("/{event_id:int}/invite", opt=roles(PUBLIC))
    async def invite_page(
        self, request: Request[Any, Any, Any], event_id: EventId, q: Filter = None
    ) -> PageResult:
        found = await _managed_event(request, event_id)
        if not isinstance(found, ManagedEvent):
            return found
        principal, _, event = found
        return await _invite_page(request, principal, event, q or "")

    @post("/{event_id:int}/invite", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def invite(self, request: Request[Any, Any, Any], event_id: EventId) -> PageResult:
        found = await _managed_event(request, event_id)
        if not isinstance(found, ManagedEvent):
            return found
        principal, lang, event = found
        form = await access.form_lists(request)
        organisation = (form.get("organisation") or [""])[0]
        person_ids = [int(p) for p in form.get("person_ids", []) if p.isdigit() and len(p) < 10]
        if organisation.isdigit() and len(organisation) < 10:
            registered = {
                r["person"]
                for r in await queries.attendees(principal, event_id, queries.AttendeeFilter())
                if r["status"] in ("confirmed", "invited", "waitlisted")
            }
            person_ids = [
                p["id"] for p in await queries.people_of(int(organisation)) if p["id"] not in registered
            ]
            field = "organisation"
        else:
            field = "person_ids"
        if not person_ids:
            message = "Choose at least one person who is not registered yet."
            return await _invite_page(request, principal, event, "", errors={field: message})
        try:
            done = await registrations.register(principal, event_id, person_ids, "person_ids")
        except (InvalidInput, Conflict) as exc:
            message = exc.errors[0].message if exc.errors else exc.detail
            return await _invite_page(request, principal, event, "", errors={field: message})
        by_status: dict[str, int] = {}
        for registration in done:
            by_status[registration.status.value] = by_status.get(registration.status.value, 0) + 1
        result = [(gettext(lang, STATUS_LABELS[s]), n) for s, n in by_status.items()]
        return await _invite_page(request, principal, event, "", result=result)

    # ------------------------------------------------------------ quotas

    @get("/{event_id:int}/quotas", opt=roles(PUBLIC))
    async def quotas(self, request: Request[Any, Any, Any], event_id: EventId) -> PageResult:
        found = await _managed_event(request, event_id)
        if not isinstance(found, ManagedEvent):
            return found
        principal, _, event = found
        return await _quota_page(request, principal, event)

    @post("/{event_id:int}/quotas", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def set_quota(self, request: Request[Any, Any, Any], event_id: EventId) -> PageResult:
        found = await _managed_event(request, event_id)
        if not isinstance(found, ManagedEvent):
            return found
        principal, _, event = found
        values = await access.form_values(request)
        return await save_or_rerender(
            lambda: _set_quota(principal, event_id, values),
            lambda errors: _quota_page(request, principal, event, values=values, errors=errors),
            main_field="seats",
            done=f"/organiser/events/{event_id}/quotas",
        )

    @post("/{event_id:int}/quotas/{organisation_id:int}/remove", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def remove_quota(
        self, request: Request[Any, Any, Any], event_id: EventId, organisation_id: OrgId
    ) -> PageResult:
        found = await _managed_event(request, event_id)
        if not isinstance(found, ManagedEvent):
            return found
        principal = found.principal
        with contextlib.suppress(NotFound):  # removed already (a second click)
            await registrations.remove_quota(principal, event_id, organisation_id)
        return access.see_other(f"/organiser/events/{event_id}/quotas")


def _filter(
    status: str | None, rsvp: str | None, organisation: str | None, q: str | None
) -> queries.AttendeeFilter:
    return queries.AttendeeFilter(
        status=status if status in STATUS_LABELS else None,
        rsvp=rsvp if rsvp in RSVP_LABELS else None,
        organisation_id=int(organisation)
        if organisation and organisation.isdigit() and len(organisation) < 10
        else None,
        q=q or None,
    )


def _confirm(
    request: Request[Any, Any, Any],
    principal: Principal,
    event: dict[str, Any],
    action: str,
    who: list[tuple[str, int]],
    *,
    hidden: dict[str, str] | None = None,
    changed: list[str] | None = None,
    refused: bool = False,
) -> Template:
    lang = page_language(request, principal)
    target = "edit" if action == "change" else action
    context = {
        **event_context(event, lang),
        "principal": principal,
        "action": action,
        "target": f"/organiser/events/{event['id']}/{target}",
        "who": who,
        "total": sum(n for _, n in who),
        "hidden": hidden or {},
        "changed": changed or [],
        "refused": refused,
    }
    return Template("event_confirm.html.j2", context=context)


async def _invite_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    event: dict[str, Any],
    q: str,
    *,
    errors: dict[str, str] | None = None,
    result: list[tuple[str, int]] | None = None,
) -> Template:
    lang = page_language(request, principal)
    return form_page(
        "event_invite.html.j2",
        lang,
        principal,
        {"organisation": "Organisation", "person_ids": "People"},
        {},
        errors,
        **event_context(event, lang),
        q=q,
        found=await queries.people_search(q) if q else [],
        organisations=await queries.organisation_choices(),
        result=result,
    )


async def _quota_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    event: dict[str, Any],
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Template:
    lang = page_language(request, principal)
    quotas = await queries.quota_rows(event["id"])
    confirmed = {
        q.organisation_id: q.confirmed for q in await registrations.list_quotas(principal, event["id"])
    }
    return form_page(
        "event_quotas.html.j2",
        lang,
        principal,
        {"organisation": "Organisation", "seats": "Seats"},
        values or {},
        errors,
        **event_context(event, lang),
        quotas=[{**q, "confirmed": confirmed.get(q["organisation"], 0)} for q in quotas],
        reserved=sum(q["seats"] for q in quotas),
        organisations=await queries.organisation_choices(),
    )
