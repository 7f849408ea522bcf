"""The board's composition: one row per seat, a member and a deputy, one chair; bad input names its field."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.board.helpers import build_board
from tests.support.fixtures import World

pytestmark = pytest.mark.sqlite


async def test_seats_members_deputies_and_one_chair(client: httpx.AsyncClient, world: World) -> None:
    board = await build_board(client, world)
    h = board.secretary
    seats = (await client.get("/api/board/members", headers=h)).json()
    assert len(seats) == 7
    chair = [s for s in seats if s["role"] == "chair"]
    assert [(c["seat"], c["member"]["name"], c["deputy"]["name"]) for c in chair] == [
        ("Gemeente Emmen", "Guido Rink", "Sanne Hoekstra")
    ]
    assert {s["seat"] for s in seats} >= {
        "Gemeente Coevorden",
        "Gemeente Hoogeveen",
        "Gemeente Hardenberg",
        "Provincie Drenthe",
        "Bedrijfsleven",
        "Onderwijs",
    }

    member = board.members["Onderwijs"]
    cases = [
        ({"seat": "Gemeente Emmen", "member_id": member}, 409, "seat"),
        ({"seat": "Ministerie", "member_id": member, "deputy_id": member}, 422, "deputy_id"),
        ({"seat": "Ministerie", "member_id": 999999}, 422, "member_id"),
        ({"seat": "Ministerie", "member_id": member, "role": "chair"}, 409, "role"),
        ({"seat": " ", "member_id": member}, 400, "seat"),
        ({"seat": "Ministerie", "member_id": member, "organisation_id": 999999}, 422, "organisation_id"),
    ]
    for body, status, field in cases:
        r = await client.post("/api/board/members", json=body, headers=h)
        assert r.status_code == status, (body, r.text)
        assert r.json()["errors"][0]["field"] == field, (body, r.text)
    r = await client.patch(
        f"/api/board/members/{board.seats['Onderwijs']}", json={"role": "chair"}, headers=h
    )
    assert r.status_code == 409
    r = await client.patch("/api/board/members/999999", json={"role": "member"}, headers=h)
    assert r.status_code == 404
