"""Acceptance 2: only board members, deputies, the secretary and organisers see board sessions. A partner
coordinator or a participant who is not on the board gets 404 from every board route, API and page alike;
the routes are read from the app, so a new board route is checked without anyone listing it here."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from litestar.routes import HTTPRoute

from dtz_events.app import create_app
from dtz_events.board import services
from dtz_events.board.schemas import ActionIn, DecisionIn
from dtz_events.registrations.links import LinkPurpose, create_link
from dtz_events.settings import Settings
from tests.integration.board.helpers import board_session, build_board, csrf_headers
from tests.support.fixtures import World, make_actor


def board_routes(settings: Settings) -> list[tuple[str, str]]:
    app = create_app(settings)
    found = []
    for route in app.routes:
        if isinstance(route, HTTPRoute) and re.match(r"^/(api/)?board(/|$)", route.path):
            for method in route.methods:
                if method not in ("OPTIONS", "HEAD"):
                    found.append((method, route.path))
    return sorted(found)


def fill(path: str, params: dict[str, Any]) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: str(params[m.group(1)]), path)


async def _world_with_board(client: httpx.AsyncClient, world: World) -> dict[str, Any]:
    board = await build_board(client, world)
    event_id = await board_session(client, board)
    r = await client.post(f"/api/board/sessions/{event_id}/invitations", headers=board.secretary)
    assert r.status_code == 200, r.text
    secretary = world.actors["board_secretary"].principal
    assert secretary is not None
    session = await services.get_session(await services.viewer_for_principal(secretary), event_id)
    decision = await services.create_decision(secretary, event_id, DecisionIn(text="Besluit"))
    from datetime import date

    action = await services.create_action(
        secretary,
        event_id,
        ActionIn(
            description="Notitie opstellen",
            owner_id=board.members["Provincie Drenthe"],
            due_on=date(2027, 1, 15),
        ),
    )
    return {
        "board": board,
        "event_id": event_id,
        "item_id": session.agenda[0].id,
        "membership_id": board.seats["Gemeente Emmen"],
        "action_id": action.id,
        "decision": decision.code,
    }


async def test_outsiders_get_404_from_every_board_route(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    things = await _world_with_board(client, world)
    routes = board_routes(settings)
    assert len(routes) >= 20, routes
    # A participant who is not on the board has links of their own (RSVP, survey, feed): none opens a
    # board page.
    participant = world.people["a1"]
    participant_tokens = [
        await create_link(LinkPurpose.rsvp, person_id=participant),
        await create_link(LinkPurpose.person_feed, person_id=participant),
        await create_link(LinkPurpose.survey, person_id=participant),
        # A board link of someone who is not (or no longer) on the board opens nothing either.
        await create_link(LinkPurpose.board, person_id=participant),
    ]
    partners = {
        "partner coordinator": world.actors["partner_a"].headers,
        "partner coordinator of a board organisation": world.actors["partner_b"].headers,
    }
    wrong = []
    for method, path in routes:
        params = {**things, "token": participant_tokens[0]}
        for who, headers in partners.items():
            r = await client.request(
                method,
                fill(path, params),
                headers=headers,
                json={} if path.startswith("/api") and method != "GET" else None,
            )
            if r.status_code != 404:
                wrong.append(f"{who}: {method} {path} -> {r.status_code}")
        if path.startswith("/board"):
            for token in participant_tokens:
                headers = await csrf_headers(client) if method == "POST" else {}
                r = await client.request(method, fill(path, {**things, "token": token}), headers=headers)
                client.cookies.clear()
                if r.status_code != 404:
                    wrong.append(f"participant: {method} {path} -> {r.status_code}")
                assert "text/html" in r.headers["content-type"], (method, path)
    assert not wrong, "\n".join(wrong)


async def test_board_pages_show_nothing_to_an_outsider(client: httpx.AsyncClient, world: World) -> None:
    things = await _world_with_board(client, world)
    token = await create_link(LinkPurpose.rsvp, person_id=world.people["a1"])
    r = await client.get(f"/board/m/{token}/sessions/{things['event_id']}")
    assert r.status_code == 404
    assert "Strategische Koers" not in r.text


async def test_members_deputies_and_staff_see_the_session(client: httpx.AsyncClient, world: World) -> None:
    things = await _world_with_board(client, world)
    board = things["board"]
    event_id = things["event_id"]
    for person_id in (board.members["Onderwijs"], board.deputies["Onderwijs"]):
        token = await create_link(LinkPurpose.board, person_id=person_id)
        r = await client.get(f"/board/m/{token}/sessions/{event_id}")
        assert r.status_code == 200, r.text
        assert "Strategische Koers 2022-2025: voortgang" in r.text
    for role in ("admin", "organiser", "board_secretary"):
        headers = world.actors[role].headers
        r = await client.get(f"/api/board/sessions/{event_id}", headers=headers)
        assert r.status_code == 200, (role, r.text)
        assert r.json()["quorum"]["seats"] == 7
    # A partner coordinator who sits on the board reads the session (without the quorum), but changes nothing.
    member = await make_actor(
        __import__("dtz_events.core.auth", fromlist=["Role"]).Role.partner_coordinator,
        "r.smit@drenthecollege.example",
        world.organisations["b"],
    )
    r = await client.get(f"/api/board/sessions/{event_id}", headers=member.headers)
    assert r.status_code == 200, r.text
    assert r.json()["quorum"] is None
    r = await client.put(f"/api/board/sessions/{event_id}/agenda", json={"items": []}, headers=member.headers)
    assert r.status_code == 404
    # Anonymous callers of the API are asked who they are, whatever the id (nothing is revealed).
    r = await client.get(f"/api/board/sessions/{event_id}")
    assert r.status_code == 401


@pytest.mark.parametrize("removed", [True])
async def test_a_member_who_leaves_the_board_loses_access(
    client: httpx.AsyncClient, world: World, removed: bool
) -> None:
    things = await _world_with_board(client, world)
    board = things["board"]
    token = await create_link(LinkPurpose.board, person_id=board.members["Gemeente Hardenberg"])
    url = f"/board/m/{token}/sessions/{things['event_id']}"
    assert (await client.get(url)).status_code == 200
    r = await client.patch(
        f"/api/board/members/{board.seats['Gemeente Hardenberg']}",
        json={"active": False},
        headers=board.secretary,
    )
    assert r.status_code == 200, r.text
    assert (await client.get(url)).status_code == 404
