"""Bad input is refused with a 4xx problem+json body that names the offending field, and writes nothing.

Every case is one request by a valid caller (the admin unless said otherwise) that must fail. The database
is read in full before and after: not one row may be added, removed or changed.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from dtz_events.core.errors import PROBLEM_JSON
from dtz_events.settings import Settings
from dtz_events.tables import all_tables
from tests.support.fixtures import World, at, build_world
from tests.support.shared_world import app_client, empty_all_tables

pytestmark = pytest.mark.sqlite

MISSING = 987_654  # an id that no table holds
NUL = "\x00"
LONG = "x" * 10_000


# ---------------------------------------------------------------- one world for the module


@dataclass
class Ctx:
    client: httpx.AsyncClient
    world: World
    names: dict[str, int]  # what `{...}` in paths and bodies stands for


@pytest.fixture(autouse=True)
def empty_tables() -> None:
    """Overrides conftest's per-test emptying: nothing here may write, so the module shares one world."""


@pytest.fixture(scope="module")
async def ctx(settings: Settings) -> AsyncIterator[Ctx]:
    await empty_all_tables()
    try:
        async with app_client(settings) as client:
            world = await build_world(client)
            r = await client.post(
                f"/api/events/{world.events['network']}/registrations",
                json={"person_id": world.people["a1"]},
                headers=world.actors["admin"].headers,
            )
            assert r.status_code == 201, r.text
            names = {
                **world.people,
                **world.events,
                **{f"org_{k}": v for k, v in world.organisations.items()},
                "missing": MISSING,
            }
            yield Ctx(client=client, world=world, names=names)
    finally:
        await empty_all_tables()


async def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, in id order."""
    return {t._meta.tablename: await t.select().order_by(t._meta.primary_key) for t in all_tables()}


# ---------------------------------------------------------------- valid bodies, to spoil one field at a time

Names = dict[str, int]
Body = Callable[[Names], Any]
DROP = object()


def _apply(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = {**base, **changes}
    return {k: v for k, v in out.items() if v is not DROP}


def event(**changes: Any) -> Body:
    def body(names: Names) -> dict[str, Any]:
        valid = {
            "kind": "network_meeting",
            "title": "Netwerkbijeenkomst Circulaire Economie",
            "starts_at": at(50, 15),
            "ends_at": at(50, 18),
            "capacity": 40,
        }
        return _apply(valid, changes)

    return body


def organisation(**changes: Any) -> Body:
    def body(names: Names) -> dict[str, Any]:
        return _apply({"name": "Nieuwe Partner BV", "kind": "company", "kvk_number": "87654321"}, changes)

    return body


def person(**changes: Any) -> Body:
    def body(names: Names) -> dict[str, Any]:
        valid = {
            "name": "Eva Mulder",
            "email": "eva.mulder@emmtec.example",
            "organisation_id": names["org_a"],
        }
        return _apply(valid, changes)

    return body


def account(**changes: Any) -> Body:
    def body(names: Names) -> dict[str, Any]:
        return _apply(
            {"email": "nieuw@dutchtechzone.nl", "name": "Nieuwe Collega", "role": "organiser"}, changes
        )

    return body


def const(value: Any) -> Body:
    return lambda names: value


def person_ref(key: str) -> Body:
    return lambda names: {"person_id": names[key]}


def raw(data: bytes) -> Body:
    return lambda names: data


# ---------------------------------------------------------------- the cases


@dataclass(frozen=True)
class Bad:
    id: str
    method: str
    path: str  # `{network}`, `{a1}`, `{org_a}`, `{missing}` ... are filled in from the world
    status: int
    field: str | None  # the errors[].field expected; None where no field is to blame (unknown path id)
    body: Body | None = None
    actor: str = "admin"


CASES: list[Bad] = [
    # ------------------------------------------------------------ malformed JSON
    Bad("json truncated", "POST", "/api/organisations", 400, "body", raw(b'{"name": "Emmtec",')),
    Bad("json not json at all", "POST", "/api/people", 400, "body", raw(b"name=Eva")),
    Bad("json empty body", "POST", "/api/events", 400, "body", raw(b"")),
    Bad(
        "json trailing garbage",
        "POST",
        "/api/events/{network}/registrations",
        400,
        "body",
        raw(b'{"person_id": 1}}'),
    ),
    Bad("json single quotes", "PATCH", "/api/people/{a1}", 400, "body", raw(b"{'name': 'Eva'}")),
    Bad("json lone surrogate", "POST", "/api/people", 400, "body", raw(b'{"name": "\\ud800"}')),
    Bad("json array for object", "POST", "/api/organisations", 400, "body", const([])),
    Bad("json null for object", "PATCH", "/api/organisations/{org_a}", 400, "body", const(None)),
    Bad("json deeply nested", "POST", "/api/people", 400, "body", raw(b"[" * 100_000)),
    # ------------------------------------------------------------ wrong types
    Bad(
        "int as datetime: starts_at", "POST", "/api/events", 400, "starts_at", event(starts_at=1_700_000_000)
    ),
    Bad(
        "int as datetime: ends_at",
        "PATCH",
        "/api/events/{network}",
        400,
        "ends_at",
        const({"ends_at": 1_800_000_000}),
    ),
    Bad(
        "float as datetime",
        "POST",
        "/api/events",
        400,
        "registration_opens_at",
        event(registration_opens_at=1.7e9),
    ),
    Bad("string as int: capacity", "POST", "/api/events", 400, "capacity", event(capacity="40")),
    Bad(
        "string as int: person_id",
        "POST",
        "/api/events/{network}/registrations",
        400,
        "person_id",
        const({"person_id": "1"}),
    ),
    Bad(
        "string as int: organisation_id",
        "POST",
        "/api/people",
        400,
        "organisation_id",
        person(organisation_id="1"),
    ),
    Bad(
        "string as int: seats",
        "PUT",
        "/api/events/{network}/quotas/{org_c}",
        400,
        "seats",
        const({"seats": "3"}),
    ),
    Bad(
        "string in int list",
        "POST",
        "/api/events/{network}/registrations/bulk",
        400,
        "person_ids[0]",
        const({"person_ids": ["1"]}),
    ),
    Bad("float as int", "POST", "/api/events", 400, "capacity", event(capacity=40.5)),
    Bad(
        "bool as int",
        "POST",
        "/api/events/{network}/registrations",
        400,
        "person_id",
        const({"person_id": True}),
    ),
    Bad("int as string: name", "POST", "/api/organisations", 400, "name", organisation(name=123)),
    Bad(
        "string as list",
        "POST",
        "/api/organisations",
        400,
        "programmes",
        organisation(programmes="smart-industry-hub"),
    ),
    Bad("null for required", "POST", "/api/events", 400, "title", event(title=None)),
    Bad("missing required", "POST", "/api/people", 400, "email", person(email=DROP)),
    Bad("capacity zero", "POST", "/api/events", 400, "capacity", event(capacity=0)),
    Bad("capacity huge", "POST", "/api/events", 400, "capacity", event(capacity=10**30)),
    Bad("seats negative", "PUT", "/api/events/{network}/quotas/{org_c}", 400, "seats", const({"seats": -1})),
    Bad(
        "empty bulk",
        "POST",
        "/api/events/{network}/registrations/bulk",
        400,
        "person_ids",
        const({"person_ids": []}),
    ),
    # ------------------------------------------------------------ unknown fields
    Bad("unknown field on person", "POST", "/api/people", 400, "role", person(role="admin")),
    Bad("derived field helix", "POST", "/api/organisations", 400, "helix", organisation(helix="business")),
    Bad(
        "status is not patchable",
        "PATCH",
        "/api/events/{network}",
        400,
        "status",
        const({"status": "published"}),
    ),
    Bad("unknown field on account", "POST", "/api/accounts", 400, "is_superuser", account(is_superuser=True)),
    Bad(
        "unknown field on registration",
        "POST",
        "/api/events/{network}/registrations",
        400,
        "status",
        const({"person_id": 1, "status": "confirmed"}),
    ),
    # ------------------------------------------------------------ 10,000-character text
    Bad("long organisation name", "POST", "/api/organisations", 400, "name", organisation(name=LONG)),
    Bad("long person name", "POST", "/api/people", 400, "name", person(name=LONG)),
    Bad("long person name on change", "PATCH", "/api/people/{a1}", 400, "name", const({"name": LONG})),
    Bad("long event title", "POST", "/api/events", 400, "title", event(title=LONG)),
    Bad("long venue", "PATCH", "/api/events/{network}", 400, "venue", const({"venue": LONG})),
    Bad("long description", "POST", "/api/events", 400, "description", event(description="x" * 20_001)),
    Bad("long API key name", "POST", "/api/api-keys", 400, "name", const({"name": LONG})),
    Bad(
        "long tag name",
        "POST",
        "/api/themes",
        400,
        "name_nl",
        const({"slug": "lang", "name_nl": LONG, "name_en": "Long"}),
    ),
    Bad("long email", "POST", "/api/people", 400, "email", person(email="x" * 250 + "@emmtec.example")),
    Bad("empty name", "POST", "/api/organisations", 400, "name", organisation(name="")),
    Bad("blank name", "POST", "/api/people", 400, "name", person(name="   ")),
    # ------------------------------------------------------------ invalid emails
    Bad("email without @", "POST", "/api/people", 422, "email", person(email="eva.mulder")),
    Bad("email without domain", "POST", "/api/people", 422, "email", person(email="eva@")),
    Bad("email without dot in domain", "POST", "/api/people", 422, "email", person(email="eva@emmtec")),
    Bad("email with a space", "POST", "/api/people", 422, "email", person(email="eva mulder@emmtec.example")),
    Bad(
        "email with two @", "PATCH", "/api/people/{a1}", 422, "email", const({"email": "a@b@emmtec.example"})
    ),
    Bad(
        "email of an account", "POST", "/api/accounts", 422, "email", account(email="nieuw@@dutchtechzone.nl")
    ),
    Bad(
        "email taken by another person",
        "PATCH",
        "/api/people/{a1}",
        409,
        "email",
        const({"email": "C.Bakker@drenthecollege.example"}),
    ),
    # ------------------------------------------------------------ KvK numbers
    Bad("kvk 7 digits", "POST", "/api/organisations", 400, "kvk_number", organisation(kvk_number="1234567")),
    Bad(
        "kvk 9 digits", "POST", "/api/organisations", 400, "kvk_number", organisation(kvk_number="123456789")
    ),
    Bad("kvk letters", "POST", "/api/organisations", 400, "kvk_number", organisation(kvk_number="1234567A")),
    Bad(
        "kvk with spaces",
        "POST",
        "/api/organisations",
        400,
        "kvk_number",
        organisation(kvk_number="0401 2345"),
    ),
    Bad(
        "kvk as a number", "POST", "/api/organisations", 400, "kvk_number", organisation(kvk_number=87654321)
    ),
    Bad(
        "kvk 7 digits on change",
        "PATCH",
        "/api/organisations/{org_b}",
        400,
        "kvk_number",
        const({"kvk_number": "7654321"}),
    ),
    Bad(
        "kvk duplicate", "POST", "/api/organisations", 409, "kvk_number", organisation(kvk_number="04012345")
    ),
    Bad(
        "kvk duplicate on change",
        "PATCH",
        "/api/organisations/{org_b}",
        409,
        "kvk_number",
        const({"kvk_number": "04012345"}),
    ),
    # ------------------------------------------------------------ times
    Bad(
        "end before start",
        "POST",
        "/api/events",
        422,
        "ends_at",
        event(starts_at=at(50, 18), ends_at=at(50, 15)),
    ),
    Bad("end equals start", "POST", "/api/events", 422, "ends_at", event(ends_at=at(50, 15))),
    Bad(
        "end before start on change",
        "PATCH",
        "/api/events/{network}",
        422,
        "ends_at",
        const({"ends_at": at(19, 15)}),
    ),
    Bad("longer than 14 days", "POST", "/api/events", 422, "ends_at", event(ends_at=at(70, 18))),
    Bad(
        "registration closes after start",
        "POST",
        "/api/events",
        422,
        "registration_closes_at",
        event(registration_closes_at=at(51)),
    ),
    Bad("naive starts_at", "POST", "/api/events", 400, "starts_at", event(starts_at="2030-05-01T10:00:00")),
    Bad(
        "naive ends_at",
        "PATCH",
        "/api/events/{network}",
        400,
        "ends_at",
        const({"ends_at": "2030-05-01T18:00:00"}),
    ),
    Bad(
        "naive registration_opens_at",
        "POST",
        "/api/events",
        400,
        "registration_opens_at",
        event(registration_opens_at="2030-04-01T09:00:00"),
    ),
    Bad("date for datetime", "POST", "/api/events", 400, "starts_at", event(starts_at="2030-05-01")),
    Bad("not a datetime", "POST", "/api/events", 400, "starts_at", event(starts_at="morgen om tien")),
    Bad("bad date in query", "GET", "/api/events?from=gisteren", 400, "from", None),
    Bad("until before from", "GET", "/api/events?from=2030-05-02&until=2030-05-01", 422, "until", None),
    # ------------------------------------------------------------ unknown enum values
    Bad("unknown event kind", "POST", "/api/events", 400, "kind", event(kind="hackathon")),
    Bad("unknown organisation kind", "POST", "/api/organisations", 400, "kind", organisation(kind="bank")),
    Bad("unknown visibility", "POST", "/api/events", 400, "visibility", event(visibility="secret")),
    Bad("unknown role", "POST", "/api/accounts", 400, "role", account(role="superuser")),
    Bad("unknown language", "POST", "/api/people", 400, "language", person(language="de")),
    Bad("unknown kind in query", "GET", "/api/events?kind=hackathon", 400, "kind", None),
    Bad("unknown helix in query", "GET", "/api/organisations?helix=finance", 400, "helix", None),
    Bad(
        "unknown status in query",
        "GET",
        "/api/events/{network}/registrations?status=maybe",
        400,
        "status",
        None,
    ),
    # ------------------------------------------------------------ ids in bodies that do not exist
    Bad(
        "unknown organisation for a person",
        "POST",
        "/api/people",
        422,
        "organisation_id",
        person(organisation_id=MISSING),
    ),
    Bad(
        "unknown organisation on change",
        "PATCH",
        "/api/people/{a1}",
        422,
        "organisation_id",
        const({"organisation_id": MISSING}),
    ),
    Bad(
        "unknown organisation for an account",
        "POST",
        "/api/accounts",
        422,
        "organisation_id",
        account(role="partner_coordinator", organisation_id=MISSING),
    ),
    Bad(
        "unknown person",
        "POST",
        "/api/events/{network}/registrations",
        422,
        "person_id",
        person_ref("missing"),
    ),
    Bad(
        "unknown person in bulk",
        "POST",
        "/api/events/{network}/registrations/bulk",
        422,
        "person_ids[1]",
        lambda n: {"person_ids": [n["a2"], MISSING]},
    ),
    Bad(
        "another partner's person",
        "POST",
        "/api/events/{network}/registrations",
        422,
        "person_id",
        person_ref("b1"),
        actor="partner_a",
    ),
    Bad(
        "another partner's organisation",
        "POST",
        "/api/people",
        422,
        "organisation_id",
        person(),
        actor="partner_b",
    ),
    Bad("id zero", "POST", "/api/events/{network}/registrations", 400, "person_id", const({"person_id": 0})),
    Bad(
        "id too large",
        "POST",
        "/api/events/{network}/registrations",
        400,
        "person_id",
        const({"person_id": 2**63}),
    ),
    Bad("unknown programme", "POST", "/api/events", 422, "programme", event(programme="no-such-programme")),
    Bad(
        "unknown programme on change",
        "PATCH",
        "/api/events/{network}",
        422,
        "programme",
        const({"programme": "no-such-programme"}),
    ),
    Bad(
        "unknown theme",
        "POST",
        "/api/events",
        422,
        "themes[1]",
        event(themes=["energietransitie", "ruimtevaart"]),
    ),
    Bad(
        "unknown programme of an organisation",
        "POST",
        "/api/organisations",
        422,
        "programmes[0]",
        organisation(programmes=["no-such"]),
    ),
    # ------------------------------------------------------------ ids in paths that do not exist
    Bad("unknown organisation", "GET", "/api/organisations/{missing}", 404, None),
    Bad(
        "unknown organisation changed",
        "PATCH",
        "/api/organisations/{missing}",
        404,
        None,
        const({"website": "https://x.example"}),
    ),
    Bad("unknown person read", "GET", "/api/people/{missing}", 404, None),
    Bad(
        "unknown person changed", "PATCH", "/api/people/{missing}", 404, None, const({"job_title": "Docent"})
    ),
    Bad("unknown event", "GET", "/api/events/{missing}", 404, None),
    Bad("unknown event changed", "PATCH", "/api/events/{missing}", 404, None, const({"venue": "Zaal 1"})),
    Bad("unknown event published", "POST", "/api/events/{missing}/publish", 404, None),
    Bad("unknown event cancelled", "POST", "/api/events/{missing}/cancel", 404, None),
    Bad("unknown event completed", "POST", "/api/events/{missing}/complete", 404, None),
    Bad(
        "register for an unknown event",
        "POST",
        "/api/events/{missing}/registrations",
        404,
        None,
        person_ref("a2"),
    ),
    Bad(
        "bulk for an unknown event",
        "POST",
        "/api/events/{missing}/registrations/bulk",
        404,
        None,
        lambda n: {"person_ids": [n["a2"]]},
    ),
    Bad("registrations of an unknown event", "GET", "/api/events/{missing}/registrations", 404, None),
    Bad("quotas of an unknown event", "GET", "/api/events/{missing}/quotas", 404, None),
    Bad(
        "quota on an unknown event",
        "PUT",
        "/api/events/{missing}/quotas/{org_a}",
        404,
        None,
        const({"seats": 2}),
    ),
    Bad(
        "quota for an unknown organisation",
        "PUT",
        "/api/events/{network}/quotas/{missing}",
        404,
        None,
        const({"seats": 2}),
    ),
    Bad("remove a quota that is not there", "DELETE", "/api/events/{network}/quotas/{org_c}", 404, None),
    Bad("unknown registration", "GET", "/api/registrations/{missing}", 404, None),
    Bad("cancel an unknown registration", "POST", "/api/registrations/{missing}/cancel", 404, None),
    Bad("revoke an unknown API key", "DELETE", "/api/api-keys/{missing}", 404, None),
    Bad("path id not a number", "GET", "/api/people/anouk", 404, None),
    Bad("path id zero", "GET", "/api/people/0", 400, "person_id"),
    Bad("path id too large", "GET", "/api/events/99999999999999999999", 400, "event_id"),
    # ------------------------------------------------------------ pagination
    Bad("page zero", "GET", "/api/people?page=0", 400, "page", None),
    Bad("page negative", "GET", "/api/organisations?page=-1", 400, "page", None),
    Bad("page not a number", "GET", "/api/events?page=twee", 400, "page", None),
    Bad("page too large", "GET", "/api/people?page=100001", 400, "page", None),
    Bad("per_page zero", "GET", "/api/people?per_page=0", 400, "per_page", None),
    Bad("per_page 1000", "GET", "/api/events?per_page=1000", 400, "per_page", None),
    Bad(
        "per_page 1000 for registrations",
        "GET",
        "/api/events/{network}/registrations?per_page=1000",
        400,
        "per_page",
        None,
    ),
    Bad("page past the last: people", "GET", "/api/people?page=2", 422, "page", None),
    Bad(
        "page past the last: organisations", "GET", "/api/organisations?page=2&per_page=3", 422, "page", None
    ),
    Bad("page past the last: events", "GET", "/api/events?page=4&per_page=1", 422, "page", None),
    Bad(
        "page past the last: registrations",
        "GET",
        "/api/events/{network}/registrations?page=2",
        422,
        "page",
        None,
    ),
    # ------------------------------------------------------------ duplicates
    Bad(
        "register the same person twice",
        "POST",
        "/api/events/{network}/registrations",
        409,
        "person_id",
        person_ref("a1"),
    ),
    Bad(
        "same person twice in bulk",
        "POST",
        "/api/events/{network}/registrations/bulk",
        422,
        "person_ids",
        lambda n: {"person_ids": [n["a2"], n["a2"]]},
    ),
    Bad(
        "registered person in bulk",
        "POST",
        "/api/events/{network}/registrations/bulk",
        409,
        "person_ids[1]",
        lambda n: {"person_ids": [n["a2"], n["a1"]]},
    ),
    Bad(
        "person email exists",
        "POST",
        "/api/people",
        409,
        "email",
        person(email="ANOUK.JANSEN@emmtec.example"),
    ),
    Bad(
        "account email exists",
        "POST",
        "/api/accounts",
        409,
        "email",
        account(email="beheer@dutchtechzone.nl"),
    ),
    Bad(
        "programme slug exists",
        "POST",
        "/api/programmes",
        409,
        "slug",
        const({"slug": "smart-industry-hub", "name_nl": "S", "name_en": "S"}),
    ),
    # ------------------------------------------------------------ NUL and other control characters
    Bad(
        "NUL in organisation name",
        "POST",
        "/api/organisations",
        400,
        "name",
        organisation(name=f"Emmtec{NUL}"),
    ),
    Bad("NUL in person name", "POST", "/api/people", 400, "name", person(name=f"Eva{NUL}Mulder")),
    Bad("NUL in person name on change", "PATCH", "/api/people/{a1}", 400, "name", const({"name": NUL})),
    Bad("NUL in event title", "POST", "/api/events", 400, "title", event(title=f"Dag{NUL}")),
    Bad(
        "NUL in job title",
        "PATCH",
        "/api/people/{a1}",
        400,
        "job_title",
        const({"job_title": f"Docent{NUL}"}),
    ),
    Bad("NUL in email", "POST", "/api/people", 400, "email", person(email=f"eva{NUL}@emmtec.example")),
    Bad(
        "NUL in description",
        "PATCH",
        "/api/events/{network}",
        400,
        "description",
        const({"description": f"a{NUL}b"}),
    ),
    Bad(
        "escape character in name",
        "POST",
        "/api/organisations",
        400,
        "name",
        organisation(name="Emmtec\x1b[31m"),
    ),
    Bad("NUL in search text", "GET", "/api/people?q=%00", 400, "q", None),
    Bad("NUL in organisation search", "GET", "/api/organisations?q=Emm%00tec", 400, "q", None),
    Bad("NUL in municipality filter", "GET", "/api/events?municipality=%00", 400, "municipality", None),
    Bad("NUL in programme filter", "GET", "/api/events?programme=smart%00", 400, "programme", None),
]


def _case_id(case: Bad) -> str:
    return case.id.replace(" ", "-")


@pytest.mark.parametrize("case", CASES, ids=_case_id)
async def test_bad_input_is_refused_and_writes_nothing(ctx: Ctx, case: Bad) -> None:
    path = case.path.format(**ctx.names)
    headers = dict(ctx.world.actors[case.actor].headers)
    content: bytes | None = None
    if case.body is not None:
        value = case.body(ctx.names)
        content = value if isinstance(value, bytes) else json.dumps(value).encode()
        headers["Content-Type"] = "application/json"

    before = await snapshot()
    response = await ctx.client.request(case.method, path, content=content, headers=headers)
    after = await snapshot()

    assert response.status_code == case.status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    problem = response.json()
    assert problem["status"] == case.status
    assert problem["title"]
    assert problem["type"].startswith("https://")
    if case.field is not None:
        fields = [error["field"] for error in problem.get("errors", [])]
        assert case.field in fields, problem
        assert all(error["message"] for error in problem["errors"]), problem
        if case.id.startswith(("NUL in", "escape character")):  # says why, not just "invalid format"
            messages = [e["message"] for e in problem["errors"] if e["field"] == case.field]
            assert any("control characters" in m for m in messages), problem
    changed = sorted(table for table in before if before[table] != after[table])
    assert not changed, f"{case.method} {path} wrote to {changed}"
