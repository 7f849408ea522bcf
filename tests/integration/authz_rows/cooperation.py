"""Authorization rows of the cooperation ledger. Staff read every figure; a partner coordinator reads the
link figures of its own organisation only (the answer's selection says so, and asking for another
organisation is 404), and none of the figures about other organisations (active, isolated: 403). Only
organisers start a refresh. The report pages are for staff; partner coordinators get 404 there, as on
the other organiser pages."""

from __future__ import annotations

from typing import Any

from tests.support.authz import ACTOR_OF_ROLE, Ctx, Row, codes

READERS = codes(401, 200, 200, 200, 200, 200)
STAFF_ONLY = codes(401, 200, 200, 200, 403, 403)
PAGES = codes(303, 200, 200, 200, 404, 404)


async def own_organisation_only(ctx: Ctx, role: str, body: Any) -> None:
    """Partners' figures are those of their own organisation; staff's of all."""
    principal = ctx.world.actors[ACTOR_OF_ROLE[role]].principal
    assert principal is not None
    expected = principal.organisation_id if role.startswith("partner") else None
    assert body["selection"]["organisation_id"] == expected, body["selection"]
    if (
        "items" in body
        and role.startswith("partner")
        and body["items"]
        and "organisation_id" in body["items"][0]
    ):
        assert {item["organisation_id"] for item in body["items"]} == {expected}


def _row(name: str, expected: dict[str, int], *, csv: bool = False) -> Row:
    path = f"/api/cooperation/{name}{'.csv' if csv else ''}"
    check = None if csv or expected is STAFF_ONLY else own_organisation_only
    return Row(f"cooperation {name}{' as CSV' if csv else ''}", "GET", path, expected, check=check)


FIGURES = {
    "summary": READERS,
    "active-organisations": STAFF_ONLY,
    "new-links": READERS,
    "helix": READERS,
    "funnel": READERS,
    "pupils": READERS,
    "partners": READERS,
    "isolated": STAFF_ONLY,
    "network": READERS,
    "links": READERS,
}


ROWS: list[Row] = [
    *(_row(name, expected) for name, expected in FIGURES.items()),
    *(_row(name, expected, csv=True) for name, expected in FIGURES.items()),
    Row(
        "cooperation helix of the last year",
        "GET",
        "/api/cooperation/helix",
        READERS,
        query={"period": "2025", "links": "reported"},
        check=own_organisation_only,
    ),
    Row("derive the links now", "POST", "/api/cooperation/refresh", codes(401, 200, 200, 403, 403, 403)),
    Row("cooperation ledger page", "GET", "/organiser/cooperation", PAGES, page=True),
    Row(
        "one-page funder report",
        "GET",
        "/organiser/cooperation/funder-report",
        PAGES,
        query={"period": "2025"},
        page=True,
    ),
]
