from __future__ import annotations

import pytest

pytestmark = pytest.mark.sqlite


async def test_world_builds_and_lists(client, world):
    r = await client.get("/api/events", headers=world.actors["organiser"].headers)
    assert r.status_code == 200
    assert r.json()["total"] == 3
