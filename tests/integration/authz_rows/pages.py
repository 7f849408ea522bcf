"""Rows for the organiser and partner pages of issue 9 and the CSV import API. Pages send the anonymous to
/login (303) and show everyone else who may not see them 'not found' (404): secretaries have no event
management pages, and partner coordinators none of the organiser's; organisers have no partner pages."""

from __future__ import annotations

from typing import Any

from dtz_events.core.clock import local
from dtz_events.events.tables import Event
from dtz_events.pages.csrf import COOKIE
from tests.support.authz import (
    Ctx,
    Factory,
    Row,
    codes,
    const,
    fresh_event,
    ids,
    new_person,
    new_registration,
)

ORGANISER_PAGE = codes(303, 200, 200, 404, 404, 404)
ORGANISER_POST = codes(303, 303, 303, 404, 404, 404)
PARTNER_PAGE = codes(303, 404, 404, 404, 200, 200)


def with_csrf(body: Factory | None = None) -> Factory:
    """The form body as a browser sends it: with the CSRF token of a page it fetched (the anonymous caller
    has no API key, so its form needs the token; the others' Bearer keys are exempt)."""

    async def factory(ctx: Ctx, role: str) -> Any:
        values = dict(await body(ctx, role)) if body is not None else {}
        await ctx.client.get("/login")
        values["_csrf_token"] = ctx.client.cookies.get(COOKIE)
        return values

    return factory


def _event_form(key: str) -> Factory:
    """The event's own values: saving them changes nothing material (nobody is emailed)."""

    async def factory(ctx: Ctx, role: str) -> dict[str, str]:
        event = await Event.select().where(Event.id == ctx.ids[key]).first()
        assert event is not None
        return {
            "title": event["title"],
            "description": event["description"],
            "venue": event["venue"],
            "address": event["address"],
            "municipality": event["municipality"] or "",
            "starts_at": local(event["starts_at"]).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": local(event["ends_at"]).strftime("%Y-%m-%dT%H:%M"),
            "capacity": str(event["capacity"]),
            "visibility": event["visibility"],
        }

    return factory


async def _new_event_form(ctx: Ctx, role: str) -> dict[str, str]:
    return {
        "kind": "network_meeting",
        "title": f"Pagina-bijeenkomst {ctx.next()}",
        "starts_at": "2031-05-01T15:00",
        "ends_at": "2031-05-01T18:00",
        "capacity": "30",
        "visibility": "partners",
    }


async def _fresh_person_form(ctx: Ctx, role: str) -> dict[str, Any]:
    return {"person_ids": await new_person(ctx)}


async def _fresh_registration_of_a(ctx: Ctx, role: str) -> dict[str, int]:
    return {"registration_id": await new_registration(ctx, "network")}


async def _swap_to_fresh_person(ctx: Ctx, role: str) -> dict[str, Any]:
    return {"person_id": await new_person(ctx)}


async def _register_fresh_person(ctx: Ctx, role: str) -> dict[str, Any]:
    return {"person_ids": await new_person(ctx, "a" if role != "partner_other" else "b")}


async def _new_organisation_form(ctx: Ctx, role: str) -> dict[str, str]:
    return {"name": f"Maakbedrijf Pagina {ctx.next()}", "kind": "company", "municipality": "Emmen"}


async def _new_person_form(ctx: Ctx, role: str) -> dict[str, Any]:
    n = ctx.next()
    return {
        "name": f"Pagina Persoon {n}",
        "email": f"pagina{n}@matrix.example",
        "organisation_id": ctx.world.organisations["c"],
        "language": "nl",
    }


async def _new_tag_form(ctx: Ctx, role: str) -> dict[str, str]:
    n = ctx.next()
    return {"slug": f"pagina-tag-{n}", "name_nl": f"Paginalabel {n}", "name_en": f"Page tag {n}"}


async def _new_account_form(ctx: Ctx, role: str) -> dict[str, str]:
    n = ctx.next()
    return {"name": f"Pagina Account {n}", "email": f"account{n}@matrix.example", "role": "organiser"}


ADMIN_PAGE = codes(303, 200, 404, 404, 404, 404)
ADMIN_POST = codes(303, 303, 404, 404, 404, 404)
HUB_FORM = {"name_nl": "Smart Industry Hub", "name_en": "Smart Industry Hub"}
ENERGY_FORM = {"name_nl": "Energietransitie", "name_en": "Energy transition"}


ORG_A_FORM = {
    "name": "Emmtec Industry & Business Park",
    "kind": "company",
    "municipality": "Emmen",
    "kvk_number": "04012345",
}


async def _person_c1_form(ctx: Ctx, role: str) -> dict[str, Any]:
    return {
        "name": "Dirk Smit",
        "email": "d.smit@coevorden.example",
        "organisation_id": ctx.world.organisations["c"],
        "language": "nl",
    }


NETWORK = ids(event_id="network")

ROWS: list[Row] = [
    # ------------------------------------------------------------ the pages' scripts
    Row(
        "a page script",
        "GET",
        "/static/{file_path:path}",
        codes(200, 200, 200, 200, 200, 200),
        params=const({"file_path": "checkin.js"}),
    ),
    Row(
        "a page script (HEAD)",
        "HEAD",
        "/static/{file_path:path}",
        codes(200, 200, 200, 200, 200, 200),
        params=const({"file_path": "checkin.js"}),
    ),
    # ------------------------------------------------------------ the language switch (any visitor)
    Row(
        "language switch",
        "POST",
        "/language",
        codes(303, 303, 303, 303, 303, 303),
        body=with_csrf(const({"lang": "en", "next": "/organiser"})),
        form=True,
        page=True,
    ),
    # ------------------------------------------------------------ organiser: events
    Row("events page", "GET", "/organiser/events", ORGANISER_PAGE, page=True),
    Row("new event form", "GET", "/organiser/events/new", ORGANISER_PAGE, page=True),
    Row(
        "create an event on the page",
        "POST",
        "/organiser/events/new",
        ORGANISER_POST,
        body=with_csrf(_new_event_form),
        form=True,
        page=True,
    ),
    Row(
        "event overview page",
        "GET",
        "/organiser/events/{event_id:int}",
        ORGANISER_PAGE,
        params=NETWORK,
        page=True,
    ),
    Row(
        "event edit form",
        "GET",
        "/organiser/events/{event_id:int}/edit",
        ORGANISER_PAGE,
        params=NETWORK,
        page=True,
    ),
    Row(
        "save the network meeting unchanged on the page",
        "POST",
        "/organiser/events/{event_id:int}/edit",
        ORGANISER_POST,
        params=NETWORK,
        body=with_csrf(_event_form("network")),
        form=True,
        page=True,
    ),
    Row(
        "invitation email preview",
        "GET",
        "/organiser/events/{event_id:int}/preview",
        ORGANISER_PAGE,
        params=NETWORK,
        page=True,
    ),
    Row(
        "publish confirmation",
        "GET",
        "/organiser/events/{event_id:int}/publish",
        ORGANISER_PAGE,
        params=ids(event_id="promotion_draft"),
        page=True,
    ),
    Row(
        "publish a draft on the page",
        "POST",
        "/organiser/events/{event_id:int}/publish",
        ORGANISER_POST,
        params=fresh_event("network_meeting", publish=False),
        body=with_csrf(const({"confirm": "yes"})),
        form=True,
        page=True,
    ),
    Row(
        "cancel confirmation",
        "GET",
        "/organiser/events/{event_id:int}/cancel",
        ORGANISER_PAGE,
        params=NETWORK,
        page=True,
    ),
    Row(
        "cancel a published meeting on the page",
        "POST",
        "/organiser/events/{event_id:int}/cancel",
        ORGANISER_POST,
        params=fresh_event("network_meeting", publish=True),
        body=with_csrf(const({"confirm": "yes"})),
        form=True,
        page=True,
    ),
    Row(
        "sending progress",
        "GET",
        "/organiser/events/{event_id:int}/progress",
        ORGANISER_PAGE,
        params=NETWORK,
        page=True,
    ),
    Row(
        "attendees page",
        "GET",
        "/organiser/events/{event_id:int}/attendees",
        ORGANISER_PAGE,
        params=NETWORK,
        page=True,
    ),
    Row(
        "attendees as CSV",
        "GET",
        "/organiser/events/{event_id:int}/attendees.csv",
        ORGANISER_PAGE,
        params=NETWORK,
        page=True,
    ),
    Row(
        "invite page",
        "GET",
        "/organiser/events/{event_id:int}/invite",
        ORGANISER_PAGE,
        params=NETWORK,
        page=True,
    ),
    Row(
        "invite a fresh person on the page",
        "POST",
        "/organiser/events/{event_id:int}/invite",
        codes(303, 200, 200, 404, 404, 404),
        params=NETWORK,
        body=with_csrf(_fresh_person_form),
        form=True,
        page=True,
    ),
    Row(
        "quotas page",
        "GET",
        "/organiser/events/{event_id:int}/quotas",
        ORGANISER_PAGE,
        params=NETWORK,
        page=True,
    ),
    Row(
        "set the quota of organisation c on the page",
        "POST",
        "/organiser/events/{event_id:int}/quotas",
        ORGANISER_POST,
        params=NETWORK,
        body=with_csrf(lambda ctx, role: _quota_c(ctx)),
        form=True,
        page=True,
    ),
    Row(
        "remove the quota of organisation c on the page",
        "POST",
        "/organiser/events/{event_id:int}/quotas/{organisation_id:int}/remove",
        ORGANISER_POST,
        params=ids(event_id="network", organisation_id="org_c"),
        body=with_csrf(),
        form=True,
        page=True,
    ),
    # ------------------------------------------------------------ organiser: reference data and import
    Row("organisations page", "GET", "/organiser/organisations", ORGANISER_PAGE, page=True),
    Row(
        "add an organisation on the page",
        "POST",
        "/organiser/organisations",
        ORGANISER_POST,
        body=with_csrf(_new_organisation_form),
        form=True,
        page=True,
    ),
    Row(
        "organisation a's page",
        "GET",
        "/organiser/organisations/{item_id:int}",
        ORGANISER_PAGE,
        params=ids(item_id="org_a"),
        page=True,
    ),
    Row(
        "save organisation a on the page",
        "POST",
        "/organiser/organisations/{item_id:int}",
        ORGANISER_POST,
        params=ids(item_id="org_a"),
        body=with_csrf(const(ORG_A_FORM)),
        form=True,
        page=True,
    ),
    Row("people page", "GET", "/organiser/people", ORGANISER_PAGE, page=True),
    Row(
        "add a person on the page",
        "POST",
        "/organiser/people",
        ORGANISER_POST,
        body=with_csrf(_new_person_form),
        form=True,
        page=True,
    ),
    Row(
        "person c1's page",
        "GET",
        "/organiser/people/{item_id:int}",
        ORGANISER_PAGE,
        params=ids(item_id="c1"),
        page=True,
    ),
    Row(
        "save person c1 on the page",
        "POST",
        "/organiser/people/{item_id:int}",
        ORGANISER_POST,
        params=ids(item_id="c1"),
        body=with_csrf(_person_c1_form),
        form=True,
        page=True,
    ),
    Row("import page", "GET", "/organiser/import", ORGANISER_PAGE, page=True),
    Row(
        "import without a file (the form says so)",
        "POST",
        "/organiser/import",
        codes(303, 400, 400, 404, 404, 404),
        body=with_csrf(const({"kind": "people", "mode": "check"})),
        form=True,
        page=True,
    ),
    Row(
        "CSV import API (the JSON body is no CSV: 422 past the guard)",
        "POST",
        "/api/imports/{kind:str}",
        codes(401, 422, 422, 403, 403, 403),
        params=const({"kind": "organisations"}),
        body=const("name,kind"),
    ),
    # ------------------------------------------------------------ programmes and themes; accounts (admins)
    Row("programmes page", "GET", "/organiser/programmes", ORGANISER_PAGE, page=True),
    Row(
        "add a programme on the page",
        "POST",
        "/organiser/programmes",
        ORGANISER_POST,
        body=with_csrf(_new_tag_form),
        form=True,
        page=True,
    ),
    Row(
        "the Smart Industry Hub's page",
        "GET",
        "/organiser/programmes/{slug:str}",
        ORGANISER_PAGE,
        params=const({"slug": "smart-industry-hub"}),
        page=True,
    ),
    Row(
        "save the Smart Industry Hub on the page",
        "POST",
        "/organiser/programmes/{slug:str}",
        ORGANISER_POST,
        params=const({"slug": "smart-industry-hub"}),
        body=with_csrf(const(HUB_FORM)),
        form=True,
        page=True,
    ),
    Row("themes page", "GET", "/organiser/themes", ORGANISER_PAGE, page=True),
    Row(
        "add a theme on the page",
        "POST",
        "/organiser/themes",
        ORGANISER_POST,
        body=with_csrf(_new_tag_form),
        form=True,
        page=True,
    ),
    Row(
        "the energy transition theme's page",
        "GET",
        "/organiser/themes/{slug:str}",
        ORGANISER_PAGE,
        params=const({"slug": "energietransitie"}),
        page=True,
    ),
    Row(
        "save the energy transition theme on the page",
        "POST",
        "/organiser/themes/{slug:str}",
        ORGANISER_POST,
        params=const({"slug": "energietransitie"}),
        body=with_csrf(const(ENERGY_FORM)),
        form=True,
        page=True,
    ),
    Row("accounts page (admins only)", "GET", "/organiser/accounts", ADMIN_PAGE, page=True),
    Row(
        "add an account on the page (admins only)",
        "POST",
        "/organiser/accounts",
        ADMIN_POST,
        body=with_csrf(_new_account_form),
        form=True,
        page=True,
    ),
    # ------------------------------------------------------------ partner coordinators
    Row("partner's events page", "GET", "/partner", PARTNER_PAGE, page=True),
    Row(
        "partner's page of the network meeting",
        "GET",
        "/partner/events/{event_id:int}",
        PARTNER_PAGE,
        params=NETWORK,
        page=True,
    ),
    Row(
        "partner's page of the board session (invisible to partners)",
        "GET",
        "/partner/events/{event_id:int}",
        codes(303, 404, 404, 404, 404, 404),
        params=ids(event_id="board"),
        page=True,
    ),
    Row(
        "partner registers a fresh person of its own",
        "POST",
        "/partner/events/{event_id:int}/register",
        codes(303, 404, 404, 404, 303, 303),
        params=NETWORK,
        body=with_csrf(_register_fresh_person),
        form=True,
        page=True,
    ),
    Row(
        "partner cancels a registration of organisation a",
        "POST",
        "/partner/registrations/{registration_id:int}/cancel",
        codes(303, 404, 404, 404, 303, 404),
        params=_fresh_registration_of_a,
        body=with_csrf(),
        form=True,
        page=True,
    ),
    Row(
        "partner swaps a registration of organisation a",
        "POST",
        "/partner/registrations/{registration_id:int}/swap",
        codes(303, 404, 404, 404, 303, 404),
        params=_fresh_registration_of_a,
        body=with_csrf(_swap_to_fresh_person),
        form=True,
        page=True,
    ),
    Row("partner's people page", "GET", "/partner/people", PARTNER_PAGE, page=True),
    Row(
        "partner adds a person of its own",
        "POST",
        "/partner/people",
        codes(303, 404, 404, 404, 303, 303),
        body=with_csrf(lambda ctx, role: _own_person(ctx)),
        form=True,
        page=True,
    ),
]


async def _quota_c(ctx: Ctx) -> dict[str, Any]:
    return {"organisation": ctx.world.organisations["c"], "seats": "1"}


async def _own_person(ctx: Ctx) -> dict[str, Any]:
    n = ctx.next()
    return {"name": f"Eigen Persoon {n}", "email": f"eigen{n}@matrix.example", "language": "nl"}
