"""Acceptance 3: decisions are numbered per year without gaps, also when 50 are created at once."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from dtz_events.board import services
from dtz_events.board.schemas import DecisionIn
from dtz_events.board.tables import Decision, DecisionCounter
from dtz_events.core.auth import Principal
from dtz_events.core.clock import LOCAL_TZ
from tests.integration.board.helpers import board_session, build_board
from tests.support.fixtures import World

pytestmark = pytest.mark.sqlite


def _secretary(world: World) -> Principal:
    principal = world.actors["board_secretary"].principal
    assert principal is not None
    return principal


async def test_fifty_concurrent_decisions_get_fifty_gap_free_numbers(
    client: httpx.AsyncClient, world: World
) -> None:
    board = await build_board(client, world)
    event_id = await board_session(client, board, days=-1)
    secretary = _secretary(world)

    made = await asyncio.gather(
        *(services.create_decision(secretary, event_id, DecisionIn(text=f"Besluit {n}")) for n in range(50))
    )

    year = (await Decision.select(Decision.year).first() or {})["year"]
    codes = sorted(d.code for d in made)
    assert codes == [f"BO-{year}-{n:03d}" for n in range(1, 51)]
    stored = await Decision.select(Decision.number).where(Decision.year == year).order_by(Decision.number)
    assert [r["number"] for r in stored] == list(range(1, 51))
    assert await DecisionCounter.select(DecisionCounter.last).where(DecisionCounter.year == year).first() == {
        "last": 50
    }


async def test_numbers_follow_the_year_of_the_session_and_a_failed_one_leaves_no_gap(
    client: httpx.AsyncClient, world: World
) -> None:
    board = await build_board(client, world)
    event_id = await board_session(client, board, days=-1)
    h = board.secretary
    first = await client.post(
        f"/api/board/sessions/{event_id}/decisions", json={"text": "Begroting 2027 vastgesteld"}, headers=h
    )
    assert first.status_code == 201, first.text
    # A decision about an agenda item of another session is refused, and takes no number.
    bad = await client.post(
        f"/api/board/sessions/{event_id}/decisions", json={"text": "Nee", "agenda_item_id": 999999}, headers=h
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "agenda_item_id"
    second = await client.post(
        f"/api/board/sessions/{event_id}/decisions", json={"text": "Marketingplan"}, headers=h
    )
    year = first.json()["code"].split("-")[1]
    assert [first.json()["code"], second.json()["code"]] == [f"BO-{year}-001", f"BO-{year}-002"]
    from dtz_events.events.tables import Event

    starts = (await Event.select(Event.starts_at).where(Event.id == event_id).first() or {})["starts_at"]
    assert int(year) == starts.astimezone(LOCAL_TZ).year
    listed = await client.get("/api/board/decisions", params={"year": int(year)}, headers=h)
    assert [d["code"] for d in listed.json()] == [f"BO-{year}-001", f"BO-{year}-002"]
