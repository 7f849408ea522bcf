"""Authorization rows of the privacy and operations routes: metrics, export, erasure, the audit log."""

from __future__ import annotations

from typing import Any

from tests.support.authz import Ctx, Row, codes, ids, new_person


async def fresh_person(ctx: Ctx, role: str) -> dict[str, int]:
    return {"person_id": await new_person(ctx)}


async def export_of_a1(ctx: Ctx, role: str, body: Any) -> None:
    assert body["person"]["id"] == ctx.ids["a1"]
    assert {r["id"] for r in body["data"]["registration"]} >= {ctx.ids["reg_a1"], ctx.ids["reg_draft_a1"]}


async def erased(ctx: Ctx, role: str, body: Any) -> None:
    assert body["rows"] == {}  # a fresh person has nothing pointing at them


ROWS: list[Row] = [
    Row("Prometheus metrics", "GET", "/metrics", codes(200, 200, 200, 200, 200, 200)),
    Row(
        "export a person's data",
        "GET",
        "/api/people/{person_id:int}/export",
        codes(401, 200, 200, 403, 403, 403),
        params=ids(person_id="a1"),
        check=export_of_a1,
    ),
    Row(
        "erase a person",
        "POST",
        "/api/people/{person_id:int}/erase",
        codes(401, 200, 403, 403, 403, 403),
        params=fresh_person,
        check=erased,
    ),
    Row("read the audit log", "GET", "/api/audit-log", codes(401, 200, 403, 403, 403, 403)),
    Row("read the retention periods", "GET", "/api/audit-log/retention", codes(401, 200, 403, 403, 403, 403)),
]
