"""The printable schedules: a school's coordinator prints its groups' rounds, a host's coordinator who
comes to its workshops when; each sees only its own, and only once the rotation is published."""

from __future__ import annotations

import pytest

from tests.integration.promotion_days.conftest import Day, group_body

pytestmark = pytest.mark.sqlite


async def test_school_and_host_print_their_own_schedule(client, world, day: Day) -> None:
    school, host = world.actors["partner_b"].headers, world.actors["partner_a"].headers
    admin = world.actors["admin"].headers
    for name in ("8A", "8B"):
        body = group_body(name, "juf@drenthecollege.example", pupils=21, level="primary_7_8")
        assert (
            await client.post(f"/api/events/{day.event_id}/school-groups", json=body, headers=school)
        ).status_code == 201
    assert (
        await client.post(f"/api/events/{day.event_id}/rotation/generate?time_limit=2", headers=admin)
    ).status_code == 200
    school_page = f"/promotion-days/{day.event_id}/schools/{world.organisations['b']}"
    host_page = f"/promotion-days/{day.event_id}/hosts/{world.organisations['a']}"

    before = await client.get(school_page, headers=school)
    assert before.status_code == 200
    assert "Het rooster is nog niet gepubliceerd." in before.text
    assert "Lassen met een robot" not in before.text
    draft = await client.get(school_page, headers=admin)  # organisers see the draft
    assert "8A" in draft.text

    assert (
        await client.post(f"/api/events/{day.event_id}/rotation/publish", headers=admin)
    ).status_code == 200
    page = await client.get(school_page, headers=school)
    assert page.status_code == 200
    assert "Rooster van Drenthe College" in page.text
    assert "8A" in page.text
    assert "8B" in page.text
    assert "Ronde" in page.text
    assert "Emmtec" in page.text
    assert "@media print" in page.text

    page = await client.get(host_page, headers=host)
    assert page.status_code == 200
    assert "Bezoekers van Emmtec" in page.text
    assert "21 leerlingen" in page.text
    assert "groep 7/8" in page.text

    # Each sees only its own: the school not the host's page, the host not the school's.
    assert (await client.get(host_page, headers=school)).status_code == 404
    assert (await client.get(school_page, headers=host)).status_code == 404
    overview = await client.get(f"/promotion-days/{day.event_id}", headers=admin)
    assert school_page in overview.text
    assert host_page in overview.text
