"""Who may call what: every route of the app, called by every role, against an explicit table of codes.

The table is the contract. A route that is not in it fails `test_every_route_is_in_the_table`, so a new
endpoint cannot ship without someone deciding who may call it. Each row says, for one request, the code
expected for each role in `ROLES`:

- anonymous:      no credentials
- admin, organiser, board_secretary: staff accounts
- partner_own:    coordinator of organisation a, which owns the person, registration or organisation used
- partner_other:  coordinator of organisation b, which must never learn that a's things exist (404)

Path parameters and bodies come from factories that get the test's context and the role, so destructive
requests (cancel, publish, revoke) act on a fresh resource per role and a 2xx is expected where allowed.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute

from dtz_events.app import create_app
from dtz_events.core.auth import Role
from dtz_events.core.errors import PROBLEM_JSON
from dtz_events.settings import Settings
from tests.integration import authz_rows
from tests.integration.authz_rows.pages import with_csrf
from tests.support.authz import (
    ACTOR_OF_ROLE,
    ALL,
    ROLE_OF,
    ROLES,
    Ctx,
    Row,
    board_registrations,
    build_ctx,
    codes,
    const,
    events_scoped,
    feed_token,
    fresh_event,
    fresh_person_body,
    fresh_registration,
    ids,
    is_me,
    login_body,
    new_account_body,
    new_event_body,
    new_organisation_body,
    new_tag_body,
    organisations_scoped,
    outbox_invitation,
    outbox_message,
    own_keys_only,
    page_login_body,
    people_scoped,
    person_in_org_a,
    quota_to_remove,
    quotas_scoped,
    registration_a1_body,
    registrations_scoped,
    revocable_key,
    rsvp_token,
    same_id,
    survey_token,
)
from tests.support.shared_world import app_client, empty_all_tables

TABLE: list[Row] = [
    # ------------------------------------------------------------ public odds and ends
    Row("root redirects to the docs", "GET", "/", codes(302, 302, 302, 302, 302, 302)),
    Row("liveness", "GET", "/health/live", codes(200, 200, 200, 200, 200, 200)),
    Row("readiness", "GET", "/health/ready", codes(200, 200, 200, 200, 200, 200)),
    # ------------------------------------------------------------ accounts
    Row("login", "POST", "/api/auth/login", codes(200, 200, 200, 200, 200, 200), body=login_body),
    Row("logout", "POST", "/api/auth/logout", codes(401, 204, 204, 204, 204, 204)),
    Row("who am I", "GET", "/api/auth/me", codes(401, 200, 200, 200, 200, 200), check=is_me),
    Row("list accounts", "GET", "/api/accounts", codes(401, 200, 403, 403, 403, 403)),
    Row(
        "create account",
        "POST",
        "/api/accounts",
        codes(401, 201, 403, 403, 403, 403),
        body=new_account_body,
    ),
    Row(
        "list own API keys",
        "GET",
        "/api/api-keys",
        codes(401, 200, 200, 200, 200, 200),
        check=own_keys_only,
    ),
    Row(
        "create API key",
        "POST",
        "/api/api-keys",
        codes(401, 201, 201, 201, 201, 201),
        body=const({"name": "integratie"}),
    ),
    Row(
        "revoke an API key (own; partner_other aims at partner_own's)",
        "DELETE",
        "/api/api-keys/{key_id:int}",
        codes(401, 204, 204, 204, 204, 404),
        params=revocable_key,
    ),
    # ------------------------------------------------------------ reference data
    Row("list programmes", "GET", "/api/programmes", codes(200, 200, 200, 200, 200, 200)),
    Row(
        "create programme",
        "POST",
        "/api/programmes",
        codes(401, 201, 201, 403, 403, 403),
        body=new_tag_body,
    ),
    Row("list themes", "GET", "/api/themes", codes(200, 200, 200, 200, 200, 200)),
    Row("create theme", "POST", "/api/themes", codes(401, 201, 201, 403, 403, 403), body=new_tag_body),
    # ------------------------------------------------------------ organisations
    Row(
        "list organisations (partners see their own only)",
        "GET",
        "/api/organisations",
        codes(401, 200, 200, 200, 200, 200),
        check=organisations_scoped,
        query=ALL,
    ),
    Row(
        "create organisation",
        "POST",
        "/api/organisations",
        codes(401, 201, 201, 403, 403, 403),
        body=new_organisation_body,
    ),
    Row(
        "read organisation a",
        "GET",
        "/api/organisations/{organisation_id:int}",
        codes(401, 200, 200, 200, 200, 404),
        params=ids(organisation_id="org_a"),
        check=same_id("org_a"),
    ),
    Row(
        "change organisation a",
        "PATCH",
        "/api/organisations/{organisation_id:int}",
        codes(401, 200, 200, 403, 403, 403),
        params=ids(organisation_id="org_a"),
        body=const({"website": "https://www.emmtec.example"}),
    ),
    # ------------------------------------------------------------ people
    Row(
        "list people (partners see their own only)",
        "GET",
        "/api/people",
        codes(401, 200, 200, 200, 200, 200),
        check=people_scoped,
        query=ALL,
    ),
    Row(
        "create a person in organisation a",
        "POST",
        "/api/people",
        codes(401, 201, 201, 403, 201, 422),
        body=person_in_org_a,
    ),
    Row(
        "read person a1",
        "GET",
        "/api/people/{person_id:int}",
        codes(401, 200, 200, 200, 200, 404),
        params=ids(person_id="a1"),
        check=same_id("a1"),
    ),
    Row(
        "change person a1",
        "PATCH",
        "/api/people/{person_id:int}",
        codes(401, 200, 200, 403, 200, 404),
        params=ids(person_id="a1"),
        body=const({"job_title": "Innovatiemanager"}),
    ),
    # ------------------------------------------------------------ events
    Row(
        "list events (anonymous: published public ones only)",
        "GET",
        "/api/events",
        codes(200, 200, 200, 200, 200, 200),
        check=events_scoped,
        query=ALL,
    ),
    Row(
        "create a board session",
        "POST",
        "/api/events",
        codes(401, 201, 201, 201, 403, 403),
        body=new_event_body("board_session"),
    ),
    Row(
        "create a network meeting (the secretary manages board sessions only)",
        "POST",
        "/api/events",
        codes(401, 201, 201, 422, 403, 403),
        body=new_event_body("network_meeting"),
    ),
    Row(
        "read the published public event",
        "GET",
        "/api/events/{event_id:int}",
        codes(200, 200, 200, 200, 200, 200),
        params=ids(event_id="public"),
        check=same_id("public"),
    ),
    Row(
        "read the published partners-only network meeting",
        "GET",
        "/api/events/{event_id:int}",
        codes(404, 200, 200, 200, 200, 200),
        params=ids(event_id="network"),
    ),
    Row(
        "read the board session (invisible to partners)",
        "GET",
        "/api/events/{event_id:int}",
        codes(404, 200, 200, 200, 404, 404),
        params=ids(event_id="board"),
    ),
    Row(
        "read the draft promotion day",
        "GET",
        "/api/events/{event_id:int}",
        codes(404, 200, 200, 404, 404, 404),
        params=ids(event_id="promotion_draft"),
    ),
    Row(
        "change the network meeting",
        "PATCH",
        "/api/events/{event_id:int}",
        codes(401, 200, 200, 403, 403, 403),
        params=ids(event_id="network"),
        body=const({"venue": "Zaal De Hondsrug"}),
    ),
    Row(
        "change the board session",
        "PATCH",
        "/api/events/{event_id:int}",
        codes(401, 200, 200, 200, 403, 403),
        params=ids(event_id="board"),
        body=const({"venue": "Raadzaal Hoogeveen"}),
    ),
    Row(
        "publish a draft network meeting (invisible to the secretary)",
        "POST",
        "/api/events/{event_id:int}/publish",
        codes(401, 200, 200, 404, 403, 403),
        params=fresh_event("network_meeting", publish=False),
    ),
    Row(
        "publish a draft board session",
        "POST",
        "/api/events/{event_id:int}/publish",
        codes(401, 200, 200, 200, 403, 403),
        params=fresh_event("board_session", publish=False),
    ),
    Row(
        "cancel a published network meeting",
        "POST",
        "/api/events/{event_id:int}/cancel",
        codes(401, 200, 200, 403, 403, 403),
        params=fresh_event("network_meeting", publish=True),
    ),
    Row(
        "cancel a published board session",
        "POST",
        "/api/events/{event_id:int}/cancel",
        codes(401, 200, 200, 200, 403, 403),
        params=fresh_event("board_session", publish=True),
    ),
    Row(
        "complete a network meeting that has started",
        "POST",
        "/api/events/{event_id:int}/complete",
        codes(401, 200, 200, 403, 403, 403),
        params=fresh_event("network_meeting", publish=True, started=True),
    ),
    Row(
        "complete a board session that has started",
        "POST",
        "/api/events/{event_id:int}/complete",
        codes(401, 200, 200, 200, 403, 403),
        params=fresh_event("board_session", publish=True, started=True),
    ),
    # ------------------------------------------------------------ registrations
    Row(
        "register a person of organisation a for the network meeting",
        "POST",
        "/api/events/{event_id:int}/registrations",
        codes(401, 201, 201, 201, 201, 422),
        params=ids(event_id="network"),
        body=fresh_person_body(),
    ),
    Row(
        "register a person of organisation a for the board session",
        "POST",
        "/api/events/{event_id:int}/registrations",
        codes(401, 201, 201, 201, 404, 404),
        params=ids(event_id="board"),
        body=fresh_person_body(),
    ),
    Row(
        "register a person of organisation a for the draft promotion day",
        "POST",
        "/api/events/{event_id:int}/registrations",
        codes(401, 201, 201, 404, 404, 404),
        params=ids(event_id="promotion_draft"),
        body=fresh_person_body(),
    ),
    Row(
        "register two people of organisation a for the network meeting",
        "POST",
        "/api/events/{event_id:int}/registrations/bulk",
        codes(401, 201, 201, 201, 201, 422),
        params=ids(event_id="network"),
        body=fresh_person_body(many=2),
    ),
    Row(
        "register two people of organisation a for the board session",
        "POST",
        "/api/events/{event_id:int}/registrations/bulk",
        codes(401, 201, 201, 201, 404, 404),
        params=ids(event_id="board"),
        body=fresh_person_body(many=2),
    ),
    Row(
        "list registrations of the network meeting (partners see their own only)",
        "GET",
        "/api/events/{event_id:int}/registrations",
        codes(401, 200, 200, 200, 200, 200),
        params=ids(event_id="network"),
        check=registrations_scoped,
        query=ALL,
    ),
    Row(
        "list registrations of the board session",
        "GET",
        "/api/events/{event_id:int}/registrations",
        codes(401, 200, 200, 200, 404, 404),
        params=ids(event_id="board"),
        check=board_registrations,
        query=ALL,
    ),
    Row(
        "read a1's registration for the network meeting",
        "GET",
        "/api/registrations/{registration_id:int}",
        codes(401, 200, 200, 404, 200, 404),
        params=ids(registration_id="reg_a1"),
        check=same_id("reg_a1"),
    ),
    Row(
        "read a2's invitation to the board session",
        "GET",
        "/api/registrations/{registration_id:int}",
        codes(401, 200, 200, 200, 404, 404),
        params=ids(registration_id="reg_board_a2"),
        check=same_id("reg_board_a2"),
    ),
    Row(
        "read a1's registration for the draft promotion day",
        "GET",
        "/api/registrations/{registration_id:int}",
        codes(401, 200, 200, 404, 404, 404),
        params=ids(registration_id="reg_draft_a1"),
    ),
    Row(
        "cancel a registration of organisation a for the network meeting",
        "POST",
        "/api/registrations/{registration_id:int}/cancel",
        codes(401, 200, 200, 404, 200, 404),
        params=fresh_registration("network"),
    ),
    Row(
        "cancel an invitation of organisation a to the board session",
        "POST",
        "/api/registrations/{registration_id:int}/cancel",
        codes(401, 200, 200, 200, 404, 404),
        params=fresh_registration("board"),
    ),
    # ------------------------------------------------------------ surveys and check-in
    Row(
        "read the network meeting's survey",
        "GET",
        "/api/events/{event_id:int}/survey",
        codes(401, 200, 200, 403, 403, 403),
        params=ids(event_id="network"),
    ),
    Row(
        "change the network meeting's survey timing",
        "PATCH",
        "/api/events/{event_id:int}/survey",
        codes(401, 200, 200, 403, 403, 403),
        params=ids(event_id="network"),
        body=const({"send_after_hours": 3}),
    ),
    Row(
        "the board session's survey, for the secretary too",
        "GET",
        "/api/events/{event_id:int}/survey",
        codes(401, 200, 200, 200, 403, 403),
        params=ids(event_id="board"),
    ),
    Row(
        "survey results",
        "GET",
        "/api/events/{event_id:int}/survey/results",
        codes(401, 200, 200, 403, 403, 403),
        params=ids(event_id="network"),
    ),
    Row(
        "survey results as CSV",
        "GET",
        "/api/events/{event_id:int}/survey/results.csv",
        codes(401, 200, 200, 403, 403, 403),
        params=ids(event_id="network"),
    ),
    Row(
        "check in person a1 at the network meeting",
        "POST",
        "/api/events/{event_id:int}/check-ins",
        codes(401, 200, 200, 403, 403, 403),
        params=ids(event_id="network"),
        body=registration_a1_body,
    ),
    Row(
        "a walk-in at the network meeting",
        "POST",
        "/api/events/{event_id:int}/walk-ins",
        codes(401, 201, 201, 403, 403, 403),
        params=ids(event_id="network"),
        body=fresh_person_body(),
    ),
    # ------------------------------------------------------------ outbox
    Row("list the outbox", "GET", "/api/outbox", codes(401, 200, 200, 403, 403, 403)),
    Row("count the outbox", "GET", "/api/outbox/counts", codes(401, 200, 200, 403, 403, 403)),
    # The local outbox pages exist only in embedded mode without SMTP (as in these tests), for development.
    Row("local outbox page", "GET", "/dev/mail", codes(200, 200, 200, 200, 200, 200)),
    Row(
        "local outbox: one email",
        "GET",
        "/dev/mail/{message_id:int}",
        codes(200, 200, 200, 200, 200, 200),
        params=outbox_message,
    ),
    Row(
        "local outbox: one invitation",
        "GET",
        "/dev/mail/{message_id:int}/invite.ics",
        codes(200, 200, 200, 200, 200, 200),
        params=outbox_invitation,
    ),
    # ------------------------------------------------------------ participant links and calendar feeds
    Row(
        "RSVP page from the email's link",
        "GET",
        "/rsvp/{token:str}",
        codes(200, 200, 200, 200, 200, 200),
        params=rsvp_token,
    ),
    Row(
        "RSVP answer from the email's link",
        "POST",
        "/rsvp/{token:str}",
        codes(200, 200, 200, 200, 200, 200),
        params=rsvp_token,
        body=with_csrf(const({"answer": "accepted"})),
        form=True,
    ),
    Row(
        "survey page from the email's link",
        "GET",
        "/survey/{token:str}",
        codes(200, 200, 200, 200, 200, 200),
        params=survey_token,
        page=True,
    ),
    Row(
        "survey answers from the email's link",
        "POST",
        "/survey/{token:str}",
        codes(200, 200, 200, 200, 200, 200),
        params=survey_token,
        body=with_csrf(const({"overall": "4"})),
        form=True,
        page=True,
    ),
    Row(
        "ticket page (check-in code) from the email's link",
        "GET",
        "/ticket/{token:str}",
        codes(200, 200, 200, 200, 200, 200),
        params=rsvp_token,
        page=True,
    ),
    # ------------------------------------------------------------ pages with a session cookie
    Row("login page", "GET", "/login", codes(200, 200, 200, 200, 200, 200), page=True),
    Row(
        "log in on the page (sets the session, then goes on)",
        "POST",
        "/login",
        codes(303, 303, 303, 303, 303, 303),
        body=with_csrf(page_login_body),
        form=True,
        page=True,
    ),
    Row(
        "log out on the page",
        "POST",
        "/logout",
        codes(303, 303, 303, 303, 303, 303),
        body=with_csrf(),
        form=True,
        page=True,
    ),
    # Anonymous callers are sent to /login; partner coordinators have no organiser pages (404).
    Row("organiser's events page", "GET", "/organiser", codes(303, 200, 200, 200, 404, 404), page=True),
    Row(
        "check-in page of the network meeting",
        "GET",
        "/organiser/events/{event_id:int}/check-in",
        codes(303, 200, 200, 403, 404, 404),
        params=ids(event_id="network"),
        page=True,
    ),
    Row(
        "survey results page of the network meeting",
        "GET",
        "/organiser/events/{event_id:int}/survey",
        codes(303, 200, 200, 404, 404, 404),
        params=ids(event_id="network"),
        page=True,
    ),
    Row(
        "check in person a1 on the page, without JavaScript",
        "POST",
        "/organiser/events/{event_id:int}/check-in",
        codes(303, 200, 200, 403, 404, 404),
        params=ids(event_id="network"),
        body=with_csrf(registration_a1_body),
        form=True,
        page=True,
    ),
    Row(
        "public programme feed",
        "GET",
        "/feeds/programmes/{slug:str}",
        codes(200, 200, 200, 200, 200, 200),
        params=const({"slug": "smart-industry-hub.ics"}),
    ),
    Row(
        "personal feed from its link",
        "GET",
        "/feeds/{token:str}",
        codes(200, 200, 200, 200, 200, 200),
        params=feed_token,
    ),
    Row(
        "make a feed link for person a1",
        "POST",
        "/api/people/{person_id:int}/feed-link",
        codes(401, 201, 201, 403, 201, 404),
        params=ids(person_id="a1"),
    ),
    Row(
        "revoke the feed links of person a1",
        "POST",
        "/api/people/{person_id:int}/feed-link/revoke",
        codes(401, 200, 200, 403, 200, 404),
        params=ids(person_id="a1"),
    ),
    Row(
        "make the partner's feed link",
        "POST",
        "/api/partner-feed-link",
        codes(401, 403, 403, 403, 201, 201),
    ),
    Row(
        "revoke the partner's feed links",
        "POST",
        "/api/partner-feed-link/revoke",
        codes(401, 403, 403, 403, 200, 200),
    ),
    # ------------------------------------------------------------ quotas
    Row(
        "list quotas of the network meeting (partners see their own only)",
        "GET",
        "/api/events/{event_id:int}/quotas",
        codes(401, 200, 200, 403, 200, 200),
        params=ids(event_id="network"),
        check=quotas_scoped,
    ),
    Row(
        "list quotas of the board session",
        "GET",
        "/api/events/{event_id:int}/quotas",
        codes(401, 200, 200, 403, 404, 404),
        params=ids(event_id="board"),
    ),
    Row(
        "set a quota for organisation c",
        "PUT",
        "/api/events/{event_id:int}/quotas/{organisation_id:int}",
        codes(401, 200, 200, 403, 403, 403),
        params=ids(event_id="network", organisation_id="org_c"),
        body=const({"seats": 3}),
    ),
    Row(
        "remove the quota of organisation c",
        "DELETE",
        "/api/events/{event_id:int}/quotas/{organisation_id:int}",
        codes(401, 204, 204, 403, 403, 403),
        params=quota_to_remove,
    ),
]


def _domain_rows() -> list[Row]:
    """The rows each domain keeps in its own module of `authz_rows`."""
    rows: list[Row] = []
    for info in sorted(pkgutil.iter_modules(authz_rows.__path__), key=lambda m: m.name):
        rows.extend(importlib.import_module(f"{authz_rows.__name__}.{info.name}").ROWS)
    return rows


TABLE += _domain_rows()


# ---------------------------------------------------------------- the routes of the app


def _is_documentation(path: str) -> bool:
    return path == "/schema" or path.startswith("/schema/")


def _is_automatic_options(handler: HTTPRouteHandler) -> bool:
    """The OPTIONS handler Litestar adds to every path by itself."""
    return handler.http_methods == {"OPTIONS"} and handler.fn.__module__ == "litestar.routes.http"


def app_handlers(app: Litestar) -> dict[tuple[str, str], HTTPRouteHandler]:
    """(method, path) -> handler for every route but the API documentation and automatic OPTIONS."""
    found: dict[tuple[str, str], HTTPRouteHandler] = {}
    for route in app.routes:
        if _is_documentation(route.path):
            continue
        assert isinstance(route, HTTPRoute), f"{route.path}: only HTTP routes are expected"
        for handler in route.route_handlers:
            if _is_automatic_options(handler):
                continue
            for method in handler.http_methods:
                found[(method, route.path)] = handler
    return found


@pytest.fixture(scope="module")
def routes() -> dict[tuple[str, str], HTTPRouteHandler]:
    return app_handlers(create_app(Settings.from_env()))


def test_every_route_is_in_the_table(routes: dict[tuple[str, str], HTTPRouteHandler]) -> None:
    listed = {(row.method, row.path) for row in TABLE}
    missing = sorted(set(routes) - listed)
    stale = sorted(listed - set(routes))
    assert not missing, f"routes without a row in the authorization table: {missing}"
    assert not stale, f"rows for routes the app does not have: {stale}"


def test_every_handler_declares_its_roles(routes: dict[tuple[str, str], HTTPRouteHandler]) -> None:
    undeclared = sorted(
        f"{method} {path} ({handler.handler_name})"
        for (method, path), handler in routes.items()
        if not isinstance(handler.opt.get("roles"), frozenset)
    )
    assert not undeclared, f"handlers without opt['roles']: {undeclared}"


def test_table_agrees_with_declared_roles(routes: dict[tuple[str, str], HTTPRouteHandler]) -> None:
    """A role the handler does not admit must be expected to get 403 (anonymous: 401), and an admitted one
    must not be expected to be stopped at the door."""
    wrong = []
    for row in TABLE:
        allowed: frozenset[Role] = routes[(row.method, row.path)].opt["roles"]
        for role, code in row.expected.items():
            if role == "anonymous":
                door = 401 if allowed else None
            else:
                door = None if not allowed or ROLE_OF[role] in allowed else 403
            if door is not None and code != door:
                wrong.append(f"{row.name}: {role} is refused by the guard ({door}), table says {code}")
            if door is None and code == 401:
                wrong.append(f"{row.name}: {role} passes the guard, table says 401")
    assert not wrong, "\n".join(wrong)


# ---------------------------------------------------------------- walking the table


@pytest.fixture(autouse=True)
def empty_tables() -> None:
    """Overrides conftest's per-test emptying: this module's tests share one world, see `ctx`."""


@pytest.fixture(scope="module")
async def ctx(settings: Settings) -> AsyncIterator[Ctx]:
    """One world for the whole module (building it per row would take a minute); rows that change
    something act on fresh resources, and checks read what they expect from the database."""
    await empty_all_tables()
    try:
        async with app_client(settings) as client:
            yield await build_ctx(client)
    finally:
        await empty_all_tables()


def _url(template: str, params: dict[str, Any]) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: str(params[m.group(1)]), template)


@pytest.mark.parametrize("row", TABLE, ids=lambda row: f"{row.method} {row.path} - {row.name}")
async def test_route_answers_each_role_as_the_table_says(ctx: Ctx, row: Row) -> None:
    client = ctx.client
    wrong = []
    for role in ROLES:
        params = await row.params(ctx, role)
        body = await row.body(ctx, role) if row.body else None
        url = _url(row.path, params)
        headers = ctx.world.actors[ACTOR_OF_ROLE[role]].headers
        payload = {} if row.body is None else {"data": body} if row.form else {"json": body}
        response = await client.request(row.method, url, params=row.query, headers=headers, **payload)
        client.cookies.clear()  # a login must not make the next caller someone
        expected = row.expected[role]
        if response.status_code != expected:
            wrong.append(
                f"{role}: {row.method} {url} -> {response.status_code}, expected {expected}: {response.text}"
            )
            continue
        if response.status_code >= 400 and row.page:
            assert response.headers["content-type"].startswith("text/html"), (role, response.headers)
        elif response.status_code >= 400:
            assert response.headers["content-type"].startswith(PROBLEM_JSON), (role, response.headers)
            assert response.json()["status"] == expected
        elif row.check is not None:
            await row.check(ctx, role, response.json())
        elif response.status_code == 200 and "json" in response.headers.get("content-type", ""):
            response.json()  # a 2xx JSON body must at least be JSON
    assert not wrong, "\n".join(wrong)


async def test_options_answers_every_path_for_every_role(
    ctx: Ctx, routes: dict[tuple[str, str], HTTPRouteHandler]
) -> None:
    """Litestar's automatic OPTIONS handler declares no roles; the guard must let it through, not 500."""
    wrong = []
    for path in sorted({path for _, path in routes}):
        url = _url(path, {name: 1 for name in re.findall(r"\{(\w+)", path)})
        for role in ROLES:
            response = await ctx.client.options(url, headers=ctx.world.actors[ACTOR_OF_ROLE[role]].headers)
            if response.status_code != 204:
                wrong.append(f"{role}: OPTIONS {url} -> {response.status_code}")
    assert not wrong, "\n".join(wrong)
