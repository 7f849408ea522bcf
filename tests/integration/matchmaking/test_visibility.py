"""Participants see only what they are entitled to: visible profiles of confirmed participants of the same
event, their own requests and meetings; links of another purpose, revoked links and people who are no
longer confirmed get 404; a coordinator makes links for its own organisation's people only."""

from __future__ import annotations

import httpx
import pytest

from dtz_events.registrations.links import LinkPurpose, create_link, revoke_links
from tests.integration.matchmaking.helpers import matchmaking_event, ok, profile
from tests.support.fixtures import World

pytestmark = pytest.mark.sqlite


async def test_profiles_and_requests_are_scoped(client: httpx.AsyncClient, world: World) -> None:
    setup = await matchmaking_event(client, world, ("a1", "a2", "b1", "c1"))
    t, p = setup.tokens, world.people
    await profile(client, t["a1"], offers="procesautomatisering")
    await profile(client, t["b1"], offers="stagiairs")
    await profile(client, t["c1"], offers="vergunningen", visible=False)  # hidden
    # a2 never filled in a profile: invisible as well.

    seen = {x["person_id"] for x in await ok(await client.get(f"/api/matchmaking/{t['a1']}/profiles"))}
    assert seen == {p["b1"]}
    assert (await client.get(f"/api/matchmaking/{t['a1']}/profiles/{p['c1']}")).status_code == 404
    assert (await client.get(f"/api/matchmaking/{t['a1']}/profiles/{p['a2']}")).status_code == 404
    assert (await client.get(f"/api/matchmaking/{t['a1']}/profiles/{p['b1']}")).status_code == 200
    # A profile never carries contact details or availability of someone else.
    other = await ok(await client.get(f"/api/matchmaking/{t['a1']}/profiles/{p['b1']}"))
    assert "email" not in other
    assert "available_slots" not in other
    # Nobody can ask a hidden person.
    hidden = await client.post(f"/api/matchmaking/{t['a1']}/requests", json={"recipient_id": p["c1"]})
    assert hidden.status_code == 422

    # a1 asks b1: a1 and b1 see it; a2 and c1 see nothing; c1 cannot answer or withdraw it.
    request = await ok(
        await client.post(f"/api/matchmaking/{t['a1']}/requests", json={"recipient_id": p["b1"]}), 201
    )
    for key, expected in (("a1", [request["id"]]), ("b1", [request["id"]]), ("a2", []), ("c1", [])):
        listed = await ok(await client.get(f"/api/matchmaking/{t[key]}/requests"))
        assert [r["id"] for r in listed] == expected, key
    for action in ("accept", "decline", "withdraw"):
        r = await client.post(f"/api/matchmaking/{t['c1']}/requests/{request['id']}/{action}")
        assert r.status_code == 404, action

    # A person who is no longer confirmed loses access, and disappears for the others.
    registration = await ok(
        await client.get(
            f"/api/events/{setup.event_id}/registrations",
            headers=world.actors["organiser"].headers,
        )
    )
    b1_registration = next(r for r in registration["items"] if r["person_id"] == p["b1"])
    await ok(
        await client.post(
            f"/api/registrations/{b1_registration['id']}/cancel", headers=world.actors["organiser"].headers
        )
    )
    assert (await client.get(f"/api/matchmaking/{t['b1']}/profile")).status_code == 404
    assert await ok(await client.get(f"/api/matchmaking/{t['a1']}/profiles")) == []


async def test_bad_links_and_other_purposes(client: httpx.AsyncClient, world: World) -> None:
    setup = await matchmaking_event(client, world, ("a1", "b1"))
    for token in ("nonsense", "matchmaking_" + "x" * 43, "x" * 205):
        r = await client.get(f"/api/matchmaking/{token}/profile")
        assert r.status_code in (400, 404), token
    survey_token = await create_link(LinkPurpose.survey, person_id=world.people["a1"])
    assert (await client.get(f"/api/matchmaking/{survey_token}/profile")).status_code == 404
    assert (await client.get(f"/matchmaking/{survey_token}")).status_code == 404  # the page says so
    await revoke_links(LinkPurpose.matchmaking, person_id=world.people["a1"])
    assert (await client.get(f"/api/matchmaking/{setup.tokens['a1']}/profile")).status_code == 404
    assert (await client.get(f"/api/matchmaking/{setup.tokens['b1']}/profile")).status_code == 200


async def test_coordinators_act_for_their_own_people_only(client: httpx.AsyncClient, world: World) -> None:
    setup = await matchmaking_event(client, world, ("a1", "b1"))
    own = world.actors["partner_a"].headers
    path = f"/api/events/{setup.event_id}/matchmaking/people/{{}}/link"
    link = await ok(await client.post(path.format(world.people["a1"]), headers=own))
    assert link["agenda_url"].endswith(f"/matchmaking/{link['token']}")
    me = await ok(await client.get(f"/api/matchmaking/{link['token']}/profile"))
    assert me["person_id"] == world.people["a1"]
    # b1 belongs to another organisation; a2 is of a but not registered: both 404.
    assert (await client.post(path.format(world.people["b1"]), headers=own)).status_code == 404
    assert (await client.post(path.format(world.people["a2"]), headers=own)).status_code == 404
    # The meetings list shows a coordinator only meetings of its own people.
    await profile(client, setup.tokens["a1"])
    await profile(client, setup.tokens["b1"])
    r = await ok(
        await client.post(
            f"/api/matchmaking/{setup.tokens['a1']}/requests", json={"recipient_id": world.people["b1"]}
        ),
        201,
    )
    await ok(await client.post(f"/api/matchmaking/{setup.tokens['b1']}/requests/{r['id']}/accept"))
    c_partner = await client.get(
        f"/api/events/{setup.event_id}/matchmaking/meetings", headers=world.actors["partner_b"].headers
    )
    assert len(await ok(c_partner)) == 1  # b1 is partner_b's person
