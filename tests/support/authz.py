"""The authorization table's parts: the context each row works in, its factories and checks, `Row` and
`codes`. The rows themselves: `tests/integration/test_authorization_matrix.py` (core) and one module per
domain in `tests/integration/authz_rows/`, each with a `ROWS` list."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from dtz_events.accounts.schemas import AccountCreate
from dtz_events.accounts.services import create_account, create_api_key
from dtz_events.accounts.tables import ApiKey
from dtz_events.core.auth import Role
from dtz_events.core.clock import utcnow
from dtz_events.mail.tables import OutboxMessage
from dtz_events.partners.tables import Organisation, Person
from dtz_events.registrations.links import LinkPurpose, create_link
from dtz_events.registrations.tables import Quota, Registration
from dtz_events.surveys.services import get_survey
from dtz_events.surveys.tables import Survey, SurveyInvitation
from tests.support.fixtures import World, at, build_world

ROLES = ("anonymous", "admin", "organiser", "board_secretary", "partner_own", "partner_other")
ACTOR_OF_ROLE = {
    "anonymous": "anonymous",
    "admin": "admin",
    "organiser": "organiser",
    "board_secretary": "board_secretary",
    "partner_own": "partner_a",
    "partner_other": "partner_b",
}
ROLE_OF = {
    "admin": Role.admin,
    "organiser": Role.organiser,
    "board_secretary": Role.board_secretary,
    "partner_own": Role.partner_coordinator,
    "partner_other": Role.partner_coordinator,
}
LOGIN_PASSWORD = "correct horse battery staple"


# ---------------------------------------------------------------- the context every row works in


@dataclass
class Ctx:
    client: httpx.AsyncClient
    world: World
    ids: dict[str, int]
    serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def admin(self) -> dict[str, str]:
        return self.world.actors["admin"].headers

    def next(self) -> int:
        return next(self.serial)


async def _ok(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def new_event(ctx: Ctx, kind: str, *, publish: bool, started: bool = False) -> int:
    n = ctx.next()
    body: dict[str, Any] = {
        "kind": kind,
        "title": f"Matrix {kind} {n}",
        "starts_at": at(-1 if started else 60, 9),
        "ends_at": at(1 if started else 60, 17),
    }
    if kind != "board_session":
        body["capacity"] = 40
    event = await _ok(await ctx.client.post("/api/events", json=body, headers=ctx.admin), 201)
    if publish:
        await _ok(await ctx.client.post(f"/api/events/{event['id']}/publish", headers=ctx.admin), 200)
    return int(event["id"])


async def new_person(ctx: Ctx, org: str = "a") -> int:
    n = ctx.next()
    body = {
        "name": f"Nieuwe Deelnemer {n}",
        "email": f"deelnemer{n}@matrix.example",
        "organisation_id": ctx.world.organisations[org],
    }
    return int((await _ok(await ctx.client.post("/api/people", json=body, headers=ctx.admin), 201))["id"])


async def new_registration(ctx: Ctx, event: str, org: str = "a") -> int:
    person_id = await new_person(ctx, org)
    r = await ctx.client.post(
        f"/api/events/{ctx.ids[event]}/registrations", json={"person_id": person_id}, headers=ctx.admin
    )
    return int((await _ok(r, 201))["id"])


async def build_ctx(client: httpx.AsyncClient) -> Ctx:
    world = await build_world(client)
    ctx = Ctx(client=client, world=world, ids={})
    ctx.ids.update({f"org_{k}": v for k, v in world.organisations.items()})
    ctx.ids.update(world.people)
    ctx.ids.update(world.events)
    h = ctx.admin
    public = {
        "kind": "promotion_day",
        "title": "Open Techniekdag Emmen",
        "starts_at": at(25, 9),
        "ends_at": at(25, 15),
        "capacity": 100,
        "visibility": "public",
    }
    ctx.ids["public"] = (await _ok(await client.post("/api/events", json=public, headers=h), 201))["id"]
    await _ok(await client.post(f"/api/events/{ctx.ids['public']}/publish", headers=h), 200)
    network = ctx.ids["network"]
    people = [world.people[p] for p in ("a1", "b1", "c1")]
    registered = await _ok(
        await client.post(
            f"/api/events/{network}/registrations/bulk", json={"person_ids": people}, headers=h
        ),
        201,
    )
    ctx.ids.update({f"reg_{p}": r["id"] for p, r in zip(("a1", "b1", "c1"), registered, strict=True)})
    for key, event, person in [("reg_board_a2", "board", "a2"), ("reg_draft_a1", "promotion_draft", "a1")]:
        r = await client.post(
            f"/api/events/{ctx.ids[event]}/registrations", json={"person_id": world.people[person]}, headers=h
        )
        ctx.ids[key] = (await _ok(r, 201))["id"]
    for org in ("a", "b"):
        r = await client.put(
            f"/api/events/{network}/quotas/{world.organisations[org]}", json={"seats": 5}, headers=h
        )
        await _ok(r, 200)
    return ctx


# ---------------------------------------------------------------- factories used by the table

Factory = Callable[[Ctx, str], Awaitable[Any]]
Check = Callable[[Ctx, str, Any], Awaitable[None]]


def ids(**names: str) -> Factory:
    """Path parameters from named things of the context: `ids(person_id="a1")`."""

    async def factory(ctx: Ctx, role: str) -> dict[str, int]:
        return {param: ctx.ids[name] for param, name in names.items()}

    return factory


def const(body: Any) -> Factory:
    async def factory(ctx: Ctx, role: str) -> Any:
        return body

    return factory


async def registration_a1_body(ctx: Ctx, role: str) -> dict[str, int]:
    return {"registration_id": ctx.ids["reg_a1"]}


def no_params() -> Factory:
    return const({})


def fresh_event(kind: str, *, publish: bool, started: bool = False) -> Factory:
    async def factory(ctx: Ctx, role: str) -> dict[str, int]:
        return {"event_id": await new_event(ctx, kind, publish=publish, started=started)}

    return factory


def fresh_registration(event: str) -> Factory:
    async def factory(ctx: Ctx, role: str) -> dict[str, int]:
        return {"registration_id": await new_registration(ctx, event)}

    return factory


def fresh_person_body(many: int = 0) -> Factory:
    """A person of organisation a who is not registered anywhere yet (one per role)."""

    async def factory(ctx: Ctx, role: str) -> dict[str, Any]:
        if many:
            return {"person_ids": [await new_person(ctx) for _ in range(many)]}
        return {"person_id": await new_person(ctx)}

    return factory


async def person_in_org_a(ctx: Ctx, role: str) -> dict[str, Any]:
    n = ctx.next()
    return {
        "name": f"Collega {n}",
        "email": f"collega{n}@emmtec.example",
        "organisation_id": ctx.world.organisations["a"],
    }


async def new_account_body(ctx: Ctx, role: str) -> dict[str, Any]:
    return {"email": f"nieuw-{role}@dutchtechzone.nl", "name": "Nieuw Account", "role": "organiser"}


async def new_tag_body(ctx: Ctx, role: str) -> dict[str, Any]:
    slug = f"tag-{role.replace('_', '-')}-{ctx.next()}"
    return {"slug": slug, "name_nl": f"Label {slug}", "name_en": f"Tag {slug}"}


async def new_organisation_body(ctx: Ctx, role: str) -> dict[str, Any]:
    n = ctx.next()
    return {"name": f"Nieuwe Partner {n} BV", "kind": "starter", "kvk_number": f"{90000000 + n}"}


def new_event_body(kind: str) -> Factory:
    async def factory(ctx: Ctx, role: str) -> dict[str, Any]:
        body = {
            "kind": kind,
            "title": f"Nieuw {kind} {ctx.next()}",
            "starts_at": at(70, 9),
            "ends_at": at(70, 12),
        }
        if kind != "board_session":
            body["capacity"] = 25
        return body

    return factory


async def login_body(ctx: Ctx, role: str) -> dict[str, str]:
    if "login" not in ctx.cache:
        account = await create_account(
            AccountCreate(
                email="inlog@dutchtechzone.nl", name="Inlogger", role=Role.organiser, password=LOGIN_PASSWORD
            )
        )
        ctx.cache["login"] = account.email
    return {"email": ctx.cache["login"], "password": LOGIN_PASSWORD}


async def revocable_key(ctx: Ctx, role: str) -> dict[str, int]:
    """A second API key of the caller (so revoking it keeps the caller's own key working); partner_other
    aims at partner_own's key instead, and must not learn that it exists."""
    owner = "partner_a" if role == "partner_other" else ACTOR_OF_ROLE[role]
    principal = ctx.world.actors[owner].principal
    if principal is None:  # anonymous: any existing key will do
        principal = ctx.world.actors["partner_a"].principal
    assert principal is not None
    key = await create_api_key(principal, f"spare key {ctx.next()}")
    return {"key_id": key.id}


async def quota_to_remove(ctx: Ctx, role: str) -> dict[str, int]:
    event_id, org_id = ctx.ids["network"], ctx.world.organisations["c"]
    await _ok(
        await ctx.client.put(f"/api/events/{event_id}/quotas/{org_id}", json={"seats": 2}, headers=ctx.admin),
        200,
    )
    return {"event_id": event_id, "organisation_id": org_id}


async def outbox_message(ctx: Ctx, role: str) -> dict[str, int]:
    """An email of the world: registering people for a published event queues them."""
    row = await OutboxMessage.select(OutboxMessage.id).order_by(OutboxMessage.id).first()
    assert row is not None, "the world has queued no email"
    return {"message_id": row["id"]}


async def outbox_invitation(ctx: Ctx, role: str) -> dict[str, int]:
    """An email with its calendar (rendered when it is sent; here written in directly)."""
    params = await outbox_message(ctx, role)
    calendar = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//EN\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
    await OutboxMessage.update({OutboxMessage.ics: calendar}).where(OutboxMessage.id == params["message_id"])
    return params


async def rsvp_token(ctx: Ctx, role: str) -> dict[str, str]:
    return {"token": await create_link(LinkPurpose.rsvp, registration_id=ctx.ids["reg_a1"])}


async def survey_token(ctx: Ctx, role: str) -> dict[str, str]:
    """A survey link of person a1 for the network meeting (its invitation written in directly)."""
    if "survey_invitation" not in ctx.cache:
        admin = ctx.world.actors["admin"].principal
        assert admin is not None
        await get_survey(admin, ctx.ids["network"])  # made from the kind's template on first use
        survey = await Survey.select(Survey.id).where(Survey.event == ctx.ids["network"]).first()
        assert survey is not None
        invitation = SurveyInvitation(
            survey=survey["id"],
            registration=ctx.ids["reg_a1"],
            organisation=ctx.world.organisations["a"],
            wave=0,
            closes_at=utcnow() + timedelta(days=14),
        )
        await invitation.save()
        ctx.cache["survey_invitation"] = invitation.id
    return {"token": await create_link(LinkPurpose.survey, registration_id=ctx.ids["reg_a1"])}


async def page_login_body(ctx: Ctx, role: str) -> dict[str, str]:
    return {**await login_body(ctx, role), "next": "/organiser"}


async def feed_token(ctx: Ctx, role: str) -> dict[str, str]:
    return {"token": await create_link(LinkPurpose.person_feed, person_id=ctx.ids["a1"])}


# ---------------------------------------------------------------- checks of 2xx bodies
# The module shares one world between its tests and rows add people, events and registrations to it, so
# the expected sets come from the database (what the caller's organisation owns), plus the fixed facts.


def _ids_of(body: Any) -> set[int]:
    items = body["items"] if isinstance(body, dict) else body
    return {item["id"] for item in items}


def _partner_org(ctx: Ctx, role: str) -> int | None:
    return {"partner_own": ctx.world.organisations["a"], "partner_other": ctx.world.organisations["b"]}.get(
        role
    )


async def people_scoped(ctx: Ctx, role: str, body: Any) -> None:
    org = _partner_org(ctx, role)
    query = Person.select(Person.id)
    if org is not None:
        query = query.where(Person.organisation == org)
    expected = {r["id"] for r in await query}
    assert _ids_of(body) == expected
    assert body["total"] == len(expected)
    p = ctx.world.people
    seen = {key for key, person_id in p.items() if person_id in expected}
    assert seen == {"partner_own": {"a1", "a2"}, "partner_other": {"b1"}}.get(role, set(p))


async def organisations_scoped(ctx: Ctx, role: str, body: Any) -> None:
    org = _partner_org(ctx, role)
    expected = {org} if org is not None else {r["id"] for r in await Organisation.select(Organisation.id)}
    assert _ids_of(body) == expected


async def events_scoped(ctx: Ctx, role: str, body: Any) -> None:
    e = ctx.ids
    base = {e["network"], e["board"], e["promotion_draft"], e["public"]}
    expected = {
        "anonymous": {e["public"]},
        "board_secretary": {e["network"], e["board"], e["public"]},
        "partner_own": {e["network"], e["public"]},
        "partner_other": {e["network"], e["public"]},
    }.get(role, base)
    assert _ids_of(body) & base == expected
    assert body["total"] == len(body["items"])
    for event in body["items"]:
        if role == "anonymous":
            assert (event["status"], event["visibility"]) == ("published", "public"), event
        if role.startswith("partner"):
            assert event["kind"] != "board_session", event
            assert event["status"] != "draft", event
        if role == "board_secretary":
            assert event["kind"] == "board_session" or event["status"] != "draft", event


async def _registration_ids(event_id: int, org: int | None) -> set[int]:
    query = Registration.select(Registration.id).where(Registration.event == event_id)
    if org is not None:
        query = query.where(Registration.organisation == org)
    return {r["id"] for r in await query}


async def registrations_scoped(ctx: Ctx, role: str, body: Any) -> None:
    e = ctx.ids
    if role == "board_secretary":  # the secretary sees registrations of board sessions only
        expected: set[int] = set()
    else:
        expected = await _registration_ids(e["network"], _partner_org(ctx, role))
    assert _ids_of(body) == expected
    assert body["total"] == len(expected)
    fixed = {"reg_a1", "reg_b1", "reg_c1"}
    seen = {key for key in fixed if e[key] in expected}
    assert seen == {"partner_own": {"reg_a1"}, "partner_other": {"reg_b1"}, "board_secretary": set()}.get(
        role, fixed
    )


async def board_registrations(ctx: Ctx, role: str, body: Any) -> None:
    expected = await _registration_ids(ctx.ids["board"], None)
    assert ctx.ids["reg_board_a2"] in expected
    assert _ids_of(body) == expected


async def quotas_scoped(ctx: Ctx, role: str, body: Any) -> None:
    org = _partner_org(ctx, role)
    quotas = Quota.select(Quota.organisation).where(Quota.event == ctx.ids["network"])
    expected = {org} if org is not None else {q["organisation"] for q in await quotas}
    assert {q["organisation_id"] for q in body} == expected
    if org is None:
        assert {ctx.world.organisations["a"], ctx.world.organisations["b"]} <= expected


async def is_me(ctx: Ctx, role: str, body: Any) -> None:
    principal = ctx.world.actors[ACTOR_OF_ROLE[role]].principal
    assert principal is not None
    assert body["id"] == principal.account_id


async def own_keys_only(ctx: Ctx, role: str, body: Any) -> None:
    principal = ctx.world.actors[ACTOR_OF_ROLE[role]].principal
    assert principal is not None
    own = await ApiKey.select(ApiKey.id).where(ApiKey.account == principal.account_id)
    assert _ids_of(body) == {k["id"] for k in own}
    token = ctx.world.actors[ACTOR_OF_ROLE[role]].headers["Authorization"].removeprefix("Bearer ")
    assert token[:14] in {k["prefix"] for k in body}


def same_id(key: str) -> Check:
    async def check(ctx: Ctx, role: str, body: Any) -> None:
        assert body["id"] == ctx.ids[key]

    return check


# ---------------------------------------------------------------- the table


def codes(anonymous: int, admin: int, organiser: int, secretary: int, own: int, other: int) -> dict[str, int]:
    """Expected status per role, in the order of ROLES."""
    return dict(zip(ROLES, (anonymous, admin, organiser, secretary, own, other), strict=True))


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    path: str  # the route's path exactly as Litestar lists it
    expected: dict[str, int]
    params: Factory = field(default_factory=no_params)
    body: Factory | None = None
    check: Check | None = None
    query: dict[str, Any] = field(default_factory=dict)
    form: bool = False  # send the body as application/x-www-form-urlencoded, as a browser does
    page: bool = False  # a page for people: its refusals are HTML pages, not problem+json


ALL = {"per_page": 200}  # lists grow while the module runs; one page holds them all
