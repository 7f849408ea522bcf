"""The ledger's API on the hand-built history: what each caller gets, CSV downloads, bad filters."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from dtz_events.cooperation.refresh import refresh
from dtz_events.core.auth import Role
from tests.integration.cooperation.world import Ledger, build_ledger
from tests.support.fixtures import Actor, make_actor

pytestmark = pytest.mark.sqlite


@pytest.fixture
async def ledger() -> Ledger:
    built = await build_ledger()
    await refresh()
    return built


@pytest.fixture
async def organiser() -> Actor:
    return await make_actor(Role.organiser, "organisator@dutchtechzone.nl")


async def test_organiser_sees_every_figure(
    client: httpx.AsyncClient, ledger: Ledger, organiser: Actor
) -> None:
    r = await client.get("/api/cooperation/helix", params={"period": "2025"}, headers=organiser.headers)
    assert r.status_code == 200, r.text
    cells = {c["pair"]: c["links"] for c in r.json()["cells"]}
    assert cells["business-education"] == 2
    assert r.json()["total"] == 5
    r = await client.get(
        "/api/cooperation/new-links",
        params={"period": "2025", "links": "confirmed"},
        headers=organiser.headers,
    )
    assert [q["new"] for q in r.json()["quarters"]] == [
        0,
        0,
        0,
        0,
    ]  # A-B, the one confirmed link, is from 2024
    r = await client.get("/api/cooperation/isolated", params={"period": "2025"}, headers=organiser.headers)
    assert [i["organisation_id"] for i in r.json()["items"]] == [ledger.orgs["C"]]


async def test_partner_sees_its_own_organisation_only(client: httpx.AsyncClient, ledger: Ledger) -> None:
    school = await make_actor(
        Role.partner_coordinator, "coordinator@drenthecollege.example", ledger.orgs["S"]
    )
    r = await client.get("/api/cooperation/partners", params={"period": "2025"}, headers=school.headers)
    assert r.status_code == 200, r.text
    assert [p["organisation_id"] for p in r.json()["items"]] == [ledger.orgs["S"]]
    r = await client.get("/api/cooperation/links", params={"period": "2025"}, headers=school.headers)
    pairs = {(i["organisation_a"], i["organisation_b"]) for i in r.json()["items"]}
    assert all(ledger.orgs["S"] in p for p in pairs)
    assert len(pairs) == 3
    r = await client.get(
        "/api/cooperation/links",
        params={"period": "2025", "organisation_id": ledger.orgs["A"]},
        headers=school.headers,
    )
    assert r.status_code == 404
    for figure in ("isolated", "active-organisations"):
        r = await client.get(f"/api/cooperation/{figure}", headers=school.headers)
        assert r.status_code == 403


async def test_csv_export(client: httpx.AsyncClient, ledger: Ledger, organiser: Actor) -> None:
    r = await client.get(
        "/api/cooperation/partners.csv", params={"period": "2025"}, headers=organiser.headers
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert 'filename="cooperation-partners-2025.csv"' in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    a = next(row for row in rows if row["organisation_id"] == str(ledger.orgs["A"]))
    assert (a["events"], a["people"], a["links"], a["confirmed"], a["agreement"]) == ("2", "2", "3", "1", "1")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "2025-Q5"}, "period"),
        ({"period": "1999"}, "period"),
        ({"kind": "party"}, "kind"),
        ({"programme": "no-such-programme"}, "programme"),
        ({"links": "some"}, "links"),
        ({"organisation_id": "0"}, "organisation_id"),
    ],
)
async def test_bad_filters_name_the_field(
    client: httpx.AsyncClient, organiser: Actor, params: dict[str, str], field: str
) -> None:
    r = await client.get("/api/cooperation/helix", params=params, headers=organiser.headers)
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in r.text


async def test_unknown_organisation_is_404(
    client: httpx.AsyncClient, ledger: Ledger, organiser: Actor
) -> None:
    r = await client.get(
        "/api/cooperation/links", params={"organisation_id": 999999}, headers=organiser.headers
    )
    assert r.status_code == 404
