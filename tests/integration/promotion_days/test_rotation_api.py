"""The organiser's rotation through the API: locks stay through regeneration, impossible locks are refused
with the reason, a group that grows out of its workshop loses that visit until regenerated, and the
counts the ledger reads (pupils reached per school, level, municipality and host)."""

from __future__ import annotations

import pytest

from dtz_events.promotion_days.demo import demo_promotion_days
from dtz_events.promotion_days.tables import RotationAssignment, SchoolGroup, Workshop
from tests.integration.promotion_days.conftest import Day, group_body, make_day

pytestmark = pytest.mark.sqlite


async def register(client, world, day: Day, name: str, **kwargs) -> int:
    body = group_body(name, f"{name.replace(' ', '')}@drenthecollege.example", **kwargs)
    r = await client.post(
        f"/api/events/{day.event_id}/school-groups", json=body, headers=world.actors["partner_b"].headers
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def test_locks_stay_and_impossible_locks_say_why(client, world, day: Day) -> None:
    admin = world.actors["admin"].headers
    first = await register(client, world, day, "8A", level="primary_7_8", pupils=20)
    second = await register(client, world, day, "8B", level="primary_7_8", pupils=20)
    url = f"/api/events/{day.event_id}/rotation"
    lock = {"group_id": first, "round": 2, "workshop_id": day.workshops[2]}
    r = await client.post(url + "/locks", json=lock, headers=admin)
    assert r.status_code == 200, r.text
    # The workshop holds 30 pupils: a second group of 20 in the same round does not fit.
    r = await client.post(url + "/locks", json={**lock, "group_id": second}, headers=admin)
    assert r.status_code == 409
    assert r.json()["errors"][0]["field"] == "workshop_id"
    assert "10 places left" in r.json()["detail"]
    for _ in range(2):
        rotation = (await client.post(url + "/generate?time_limit=2", headers=admin)).json()
        assert rotation["complete"]
        locked = {"group_id": first, "workshop_id": day.workshops[2], "round": 2, "locked": True}
        assert locked in rotation["assignments"]
    r = await client.delete(f"{url}/locks/{first}/2", headers=admin)
    assert r.status_code == 200
    assert not any(a["locked"] for a in r.json()["assignments"])
    assert (await client.delete(f"{url}/locks/{first}/2", headers=admin)).status_code == 404


async def test_a_group_that_grows_is_moved_on_regeneration(client, world, day: Day) -> None:
    admin = world.actors["admin"].headers
    group = await register(client, world, day, "3 vmbo-t A", pupils=20)
    await register(client, world, day, "3 vmbo-t B", pupils=10)
    url = f"/api/events/{day.event_id}/rotation"
    assert (await client.post(url + "/generate?time_limit=2", headers=admin)).json()["complete"]
    # Both groups could share a 30-place round; 20 + 10 -> 28 + 10 does not fit where they shared.
    r = await client.patch(f"/api/school-groups/{group}", json={"pupil_count": 28}, headers=admin)
    assert r.status_code == 200, r.text
    rotation = (await client.post(url + "/generate?time_limit=2", headers=admin)).json()
    assert rotation["complete"], rotation["outcome"]
    for load in rotation["load"]:
        assert load["pupils"] <= load["capacity"]


async def test_pupils_reached_for_the_ledger(client, world, day: Day) -> None:
    admin = world.actors["admin"].headers
    await register(client, world, day, "8A", level="primary_7_8", pupils=20)
    await register(client, world, day, "3 vmbo-t", pupils=25)
    cancelled = await register(client, world, day, "3 havo", level="havo_vwo", pupils=30)
    await client.post(f"/api/school-groups/{cancelled}/cancel", headers=world.actors["partner_b"].headers)
    await client.post(f"/api/events/{day.event_id}/rotation/generate?time_limit=2", headers=admin)
    reached = (await client.get(f"/api/events/{day.event_id}/pupils-reached", headers=admin)).json()
    assert (reached["pupils"], reached["groups"]) == (45, 2)
    assert reached["by_school"] == [{"key": "Drenthe College", "pupils": 45, "groups": 2}]
    assert reached["by_municipality"] == [{"key": "Emmen", "pupils": 45, "groups": 2}]
    assert {r["key"]: r["pupils"] for r in reached["by_level"]} == {"primary_7_8": 20, "vmbo": 25}
    assert reached["by_host"] == [{"key": "Emmtec Industry & Business Park", "pupils": 45, "groups": 2}]


async def test_demo_fills_a_promotion_day_once(client, world) -> None:
    day = await make_day(client, world)
    await Workshop.delete().where(Workshop.event == day.event_id)
    admin = world.actors["admin"].principal
    assert await demo_promotion_days(admin, day.event_id) == 5
    assert await demo_promotion_days(admin, day.event_id) == 0
    assert await SchoolGroup.count().where(SchoolGroup.event == day.event_id) == 5
    rotation = (
        await client.get(f"/api/events/{day.event_id}/rotation", headers=world.actors["admin"].headers)
    ).json()
    assert rotation["complete"], rotation["outcome"]
    assert await RotationAssignment.count() == 15
