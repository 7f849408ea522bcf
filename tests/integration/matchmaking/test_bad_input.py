"""Bad input to matchmaking is refused with a 4xx problem+json that names the field, never a 500; the API
documentation still renders with the matchmaking routes in it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dtz_events.core.errors import PROBLEM_JSON
from dtz_events.matchmaking.tables import MatchmakingProfile, MeetingRequest
from tests.integration.matchmaking.helpers import matchmaking_event, profile
from tests.support.fixtures import World

pytestmark = pytest.mark.sqlite


def refused(response: httpx.Response, status: int, field: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    fields = [e["field"] for e in response.json()["errors"]]
    assert field in fields, fields


async def test_bad_input_names_the_field(client: httpx.AsyncClient, world: World) -> None:
    setup = await matchmaking_event(client, world, ("a1", "b1"))
    organiser = world.actors["organiser"].headers
    path = f"/api/events/{setup.event_id}/matchmaking"
    good: dict[str, Any] = {"starts_at": setup.starts_at.isoformat(), "slots": 6}
    refused(await client.put(path, json={**good, "slots": 0}, headers=organiser), 400, "slots")
    refused(
        await client.put(path, json={**good, "starts_at": 1_800_000_000}, headers=organiser), 400, "starts_at"
    )
    refused(
        await client.put(
            path, json={**good, "breaks": [{"after_slot": 5, "minutes": 10}]}, headers=organiser
        ),
        422,
        "breaks[0].after_slot",
    )
    refused(await client.put(path, json={**good, "slots": 40}, headers=organiser), 422, "starts_at")
    refused(await client.put(path, json={**good, "colour": "blue"}, headers=organiser), 400, "colour")
    # Matchmaking belongs to network meetings only.
    board = world.events["board"]
    r = await client.put(f"/api/events/{board}/matchmaking", json=good, headers=organiser)
    assert r.status_code == 404

    token = setup.tokens["a1"]
    me = f"/api/matchmaking/{token}"
    refused(await client.put(me + "/profile", json={"available_slots": [6]}), 422, "available_slots[0]")
    refused(await client.put(me + "/profile", json={"themes": ["geen-thema"]}), 422, "themes[0]")
    refused(await client.put(me + "/profile", json={"offers": "x" * 2001}), 400, "offers")
    refused(await client.put(me + "/profile", json={"offers": "a\x00b"}), 400, "offers")
    await profile(client, setup.tokens["b1"])
    body = {"recipient_id": world.people["b1"]}
    refused(await client.post(me + "/requests", json={**body, "priority": 5}), 400, "priority")
    refused(await client.post(me + "/requests", json={**body, "message": "\x07"}), 400, "message")
    refused(await client.post(me + "/requests", json={"recipient_id": 987_654}), 422, "recipient_id")
    refused(await client.post(me + "/requests", json={}), 400, "recipient_id")
    assert await MeetingRequest.count() == 0
    assert await MatchmakingProfile.count() == 1  # b1's only
    # Moving a meeting that does not exist, or to a table that does not exist.
    r = await client.patch("/api/meetings/987654", json={"locked": True}, headers=organiser)
    assert r.status_code == 404


async def test_the_api_documentation_lists_matchmaking(client: httpx.AsyncClient) -> None:
    r = await client.get("/schema/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert "/api/events/{event_id}/matchmaking/schedule" in paths
    assert "/api/matchmaking/{token}/requests" in paths
