"""Registration and event life-cycle rules through the API: seats, waiting list, quotas, the registration
window, who may register for what, cancellation, and how events change state, sequence and time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from dtz_events.events.tables import Event
from dtz_events.registrations.tables import Registration
from tests.support.fixtures import World, at

pytestmark = pytest.mark.sqlite


# ---------------------------------------------------------------- helpers


async def new_event(
    client: httpx.AsyncClient, world: World, *, publish: bool = True, **fields: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "network_meeting",
        "title": "Netwerkbijeenkomst Chemical Cluster",
        "starts_at": at(20, 15),
        "ends_at": at(20, 18),
        "capacity": 5,
        "municipality": "Emmen",
        "venue": "Emmtec Industry & Business Park",
        **fields,
    }
    h = world.actors["organiser"].headers
    r = await client.post("/api/events", json=body, headers=h)
    assert r.status_code == 201, r.text
    if publish:
        r = await client.post(f"/api/events/{r.json()['id']}/publish", headers=h)
        assert r.status_code == 200, r.text
    return dict(r.json())


async def new_people(client: httpx.AsyncClient, world: World, org: str, n: int) -> list[int]:
    ids = []
    for i in range(n):
        r = await client.post(
            "/api/people",
            json={
                "name": f"Deelnemer {org.upper()}{i}",
                "email": f"deelnemer.{org}{i}@{org}.example",
                "organisation_id": world.organisations[org],
            },
            headers=world.actors["admin"].headers,
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids


async def register(
    client: httpx.AsyncClient, world: World, actor: str, event_id: int, person_id: int
) -> httpx.Response:
    return await client.post(
        f"/api/events/{event_id}/registrations",
        json={"person_id": person_id},
        headers=world.actors[actor].headers,
    )


async def registered(
    client: httpx.AsyncClient, world: World, actor: str, event_id: int, person_id: int
) -> dict[str, Any]:
    r = await register(client, world, actor, event_id, person_id)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def cancel(client: httpx.AsyncClient, world: World, actor: str, registration_id: int) -> httpx.Response:
    return await client.post(
        f"/api/registrations/{registration_id}/cancel", headers=world.actors[actor].headers
    )


async def statuses(event_id: int) -> dict[int, str]:
    """person id -> registration status, straight from the database."""
    rows = await Registration.select(Registration.person, Registration.status).where(
        Registration.event == event_id
    )
    return {r["person"]: r["status"] for r in rows}


async def waiting_order(client: httpx.AsyncClient, world: World, event_id: int) -> list[int]:
    r = await client.get(
        f"/api/events/{event_id}/registrations",
        params={"status": "waitlisted", "per_page": 200},
        headers=world.actors["organiser"].headers,
    )
    assert r.status_code == 200, r.text
    return [item["person_id"] for item in r.json()["items"]]


def problem_fields(r: httpx.Response) -> list[str]:
    return [e["field"] for e in r.json().get("errors", [])]


# ---------------------------------------------------------------- seats and the waiting list


async def test_full_event_waitlists_and_a_cancellation_promotes_the_first_waiting(client, world):
    event = await new_event(client, world, capacity=2)
    eid = event["id"]
    p = world.people
    c2, c3 = await new_people(client, world, "c", 2)
    first = await registered(client, world, "organiser", eid, p["a1"])
    assert first["status"] == "confirmed"
    assert (await registered(client, world, "organiser", eid, p["b1"]))["status"] == "confirmed"
    for person in (p["c1"], c2, c3):
        assert (await registered(client, world, "organiser", eid, person))["status"] == "waitlisted"
    assert await waiting_order(client, world, eid) == [p["c1"], c2, c3]

    r = await cancel(client, world, "partner_a", first["id"])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    assert await statuses(eid) == {
        p["a1"]: "cancelled",
        p["b1"]: "confirmed",
        p["c1"]: "confirmed",
        c2: "waitlisted",
        c3: "waitlisted",
    }
    seats = (await client.get(f"/api/events/{eid}", headers=world.actors["organiser"].headers)).json()
    assert seats["seats"] == {"confirmed": 2, "waitlisted": 2, "invited": 0}

    # Cancelling a waiting registration frees no seat and promotes nobody; cancelling twice is a conflict.
    waiting = await Registration.select(Registration.id).where(
        (Registration.event == eid) & (Registration.person == c2)
    )
    r = await cancel(client, world, "organiser", waiting[0]["id"])
    assert r.status_code == 200, r.text
    assert (await statuses(eid))[c3] == "waitlisted"
    r = await cancel(client, world, "organiser", waiting[0]["id"])
    assert r.status_code == 409, r.text


async def test_quota_reserves_seats_for_a_partner_and_caps_it(client, world):
    event = await new_event(client, world, capacity=5)
    eid = event["id"]
    org_a = world.organisations["a"]
    h = world.actors["organiser"].headers
    r = await client.put(f"/api/events/{eid}/quotas/{org_a}", json={"seats": 2}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json() == {"event_id": eid, "organisation_id": org_a, "seats": 2, "confirmed": 0}

    a = [world.people["a1"], world.people["a2"], *(await new_people(client, world, "a", 1))]
    c = [world.people["c1"], *(await new_people(client, world, "c", 3))]
    for person in c[:3]:  # the open pool: capacity 5 minus the 2 reserved for partner a
        assert (await registered(client, world, "organiser", eid, person))["status"] == "confirmed"
    # Two seats are free, but they are partner a's.
    assert (await registered(client, world, "organiser", eid, c[3]))["status"] == "waitlisted"
    assert (await registered(client, world, "partner_a", eid, a[0]))["status"] == "confirmed"
    assert (await registered(client, world, "partner_a", eid, a[1]))["status"] == "confirmed"
    # The event is full, and partner a has used its quota: it cannot take open seats either.
    a_waiting = await registered(client, world, "partner_a", eid, a[2])
    assert a_waiting["status"] == "waitlisted"

    r = await client.get(f"/api/events/{eid}/quotas", headers=world.actors["partner_a"].headers)
    assert r.json() == [{"event_id": eid, "organisation_id": org_a, "seats": 2, "confirmed": 2}]
    r = await client.get(f"/api/events/{eid}/quotas", headers=world.actors["partner_b"].headers)
    assert r.json() == []

    # A seat of partner a comes free: it goes to a's waiting person, although c[3] waited longer.
    first_a = await Registration.select(Registration.id).where(
        (Registration.event == eid) & (Registration.person == a[0])
    )
    r = await cancel(client, world, "partner_a", first_a[0]["id"])
    assert r.status_code == 200, r.text
    now = await statuses(eid)
    assert now[a[2]] == "confirmed"
    assert now[c[3]] == "waitlisted"

    # An open seat comes free: it goes to c[3].
    first_c = await Registration.select(Registration.id).where(
        (Registration.event == eid) & (Registration.person == c[0])
    )
    r = await cancel(client, world, "organiser", first_c[0]["id"])
    assert r.status_code == 200, r.text
    assert (await statuses(eid))[c[3]] == "confirmed"


async def test_capacity_increase_promotes_waiting_people_in_order(client, world):
    event = await new_event(client, world, capacity=2)
    eid = event["id"]
    people = [
        world.people["a1"],
        world.people["b1"],
        world.people["c1"],
        *(await new_people(client, world, "c", 2)),
    ]
    for person in people:
        await registered(client, world, "organiser", eid, person)
    assert await waiting_order(client, world, eid) == people[2:]

    h = world.actors["organiser"].headers
    r = await client.patch(f"/api/events/{eid}", json={"capacity": 3}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["seats"] == {"confirmed": 3, "waitlisted": 2, "invited": 0}
    assert r.json()["sequence"] == event["sequence"]  # capacity is not a material change
    assert (await statuses(eid))[people[2]] == "confirmed"
    assert await waiting_order(client, world, eid) == people[3:]

    r = await client.patch(f"/api/events/{eid}", json={"capacity": 10}, headers=h)
    assert r.status_code == 200, r.text
    assert set((await statuses(eid)).values()) == {"confirmed"}


async def test_capacity_and_quota_changes_promote_only_who_fits(client, world):
    event = await new_event(client, world, capacity=5)
    eid = event["id"]
    h = world.actors["organiser"].headers
    org_a = world.organisations["a"]
    r = await client.put(f"/api/events/{eid}/quotas/{org_a}", json={"seats": 1}, headers=h)
    assert r.status_code == 200, r.text
    c = [world.people["c1"], *(await new_people(client, world, "c", 4))]
    a = [world.people["a1"], world.people["a2"]]
    for person in [*c[:4], *a, c[4]]:
        await registered(client, world, "organiser", eid, person)
    assert await waiting_order(client, world, eid) == [a[1], c[4]]

    # One more seat: a[1] waits longer, but partner a is at its quota; c[4] fits the open pool.
    r = await client.patch(f"/api/events/{eid}", json={"capacity": 6}, headers=h)
    assert r.status_code == 200, r.text
    assert await waiting_order(client, world, eid) == [a[1]]

    # A quota of 2 would leave 4 open seats for the 5 people already confirmed in the open pool.
    r = await client.put(f"/api/events/{eid}/quotas/{org_a}", json={"seats": 2}, headers=h)
    assert r.status_code == 409, r.text
    assert problem_fields(r) == ["seats"]

    r = await client.patch(f"/api/events/{eid}", json={"capacity": 7}, headers=h)
    assert r.status_code == 200, r.text
    assert await waiting_order(client, world, eid) == [a[1]]  # the new seat is an open one
    r = await client.put(f"/api/events/{eid}/quotas/{org_a}", json={"seats": 2}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["confirmed"] == 2
    assert await waiting_order(client, world, eid) == []


async def test_capacity_below_what_is_confirmed_or_reserved_is_a_conflict(client, world):
    event = await new_event(client, world, capacity=3)
    eid = event["id"]
    h = world.actors["organiser"].headers
    for person in (world.people["a1"], world.people["b1"], world.people["c1"]):
        await registered(client, world, "organiser", eid, person)
    r = await client.patch(f"/api/events/{eid}", json={"capacity": 2}, headers=h)
    assert r.status_code == 409, r.text
    assert problem_fields(r) == ["capacity"]
    r = await client.get(f"/api/events/{eid}", headers=h)
    assert r.json()["capacity"] == 3
    r = await client.patch(f"/api/events/{eid}", json={"capacity": 3}, headers=h)
    assert r.status_code == 200, r.text

    # Seats reserved by quotas count too: 6 reserved for partner b plus 3 confirmed in the open pool.
    r = await client.patch(f"/api/events/{eid}", json={"capacity": 10}, headers=h)
    assert r.status_code == 200, r.text
    r = await client.put(f"/api/events/{eid}/quotas/{world.organisations['b']}", json={"seats": 6}, headers=h)
    assert r.status_code == 200, r.text
    for capacity in (6, 7):
        r = await client.patch(f"/api/events/{eid}", json={"capacity": capacity}, headers=h)
        assert r.status_code == 409, (capacity, r.text)
        assert problem_fields(r) == ["capacity"]
    # b1 now counts against b's quota: 6 reserved (1 taken) plus a1 and c1 in the open pool.
    r = await client.patch(f"/api/events/{eid}", json={"capacity": 8}, headers=h)
    assert r.status_code == 200, r.text


async def test_quotas_may_not_exceed_capacity_or_drop_below_confirmed(client, world):
    event = await new_event(client, world, capacity=10)
    eid = event["id"]
    h = world.actors["organiser"].headers
    org_a, org_b = world.organisations["a"], world.organisations["b"]
    r = await client.put(f"/api/events/{eid}/quotas/{org_a}", json={"seats": 6}, headers=h)
    assert r.status_code == 200, r.text
    r = await client.put(f"/api/events/{eid}/quotas/{org_b}", json={"seats": 5}, headers=h)
    assert r.status_code == 422, r.text
    assert problem_fields(r) == ["seats"]
    r = await client.put(f"/api/events/{eid}/quotas/{org_b}", json={"seats": 4}, headers=h)
    assert r.status_code == 200, r.text
    r = await client.put(f"/api/events/{eid}/quotas/{org_a}", json={"seats": 6}, headers=h)  # its own 6
    assert r.status_code == 200, r.text
    r = await client.put(f"/api/events/{eid}/quotas/{org_a}", json={"seats": 7}, headers=h)
    assert r.status_code == 422, r.text
    assert problem_fields(r) == ["seats"]

    b = [world.people["b1"], *(await new_people(client, world, "b", 1))]
    for person in b:
        assert (await registered(client, world, "partner_b", eid, person))["status"] == "confirmed"
    r = await client.put(f"/api/events/{eid}/quotas/{org_b}", json={"seats": 1}, headers=h)
    assert r.status_code == 409, r.text
    assert problem_fields(r) == ["seats"]
    r = await client.get(f"/api/events/{eid}/quotas", headers=h)
    assert r.json() == [
        {"event_id": eid, "organisation_id": org_a, "seats": 6, "confirmed": 0},
        {"event_id": eid, "organisation_id": org_b, "seats": 4, "confirmed": 2},
    ]
    r = await client.put(
        f"/api/events/{eid}/quotas/{org_b}", json={"seats": 1}, headers=world.actors["partner_b"].headers
    )
    assert r.status_code == 403, r.text


# ---------------------------------------------------------------- who may register when


async def test_registration_window_binds_partners_but_not_organisers(client, world):
    not_open = await new_event(client, world, registration_opens_at=at(5, 9))
    closed = await new_event(client, world, registration_closes_at=at(-1, 9))
    open_now = await new_event(
        client, world, registration_opens_at=at(-1, 9), registration_closes_at=at(5, 9)
    )
    a1, a2 = world.people["a1"], world.people["a2"]
    for event, detail in ((not_open, "registration opens at"), (closed, "registration is closed")):
        r = await register(client, world, "partner_a", event["id"], a1)
        assert r.status_code == 409, r.text
        assert r.json()["detail"].startswith(detail)
        assert (await registered(client, world, "organiser", event["id"], a2))["status"] == "confirmed"
        assert await statuses(event["id"]) == {a2: "confirmed"}
    assert (await registered(client, world, "partner_a", open_now["id"], a1))["status"] == "confirmed"


async def test_partners_cannot_register_for_a_draft_event(client, world):
    draft = await new_event(client, world, publish=False)
    r = await register(client, world, "partner_a", draft["id"], world.people["a1"])
    assert r.status_code == 404, r.text  # a draft is invisible to partners
    r = await client.post(
        f"/api/events/{world.events['promotion_draft']}/registrations/bulk",
        json={"person_ids": [world.people["a1"]]},
        headers=world.actors["partner_a"].headers,
    )
    assert r.status_code == 404, r.text
    assert await statuses(draft["id"]) == {}
    assert await statuses(world.events["promotion_draft"]) == {}


async def test_nobody_registers_for_a_cancelled_event(client, world):
    event = await new_event(client, world)
    eid = event["id"]
    await registered(client, world, "partner_a", eid, world.people["a1"])
    r = await client.post(f"/api/events/{eid}/cancel", headers=world.actors["organiser"].headers)
    assert r.status_code == 200, r.text
    for actor, person in (("partner_a", world.people["a2"]), ("organiser", world.people["b1"])):
        r = await register(client, world, actor, eid, person)
        assert r.status_code == 409, r.text
        assert r.json()["detail"] == "the event is cancelled"
    assert await statuses(eid) == {world.people["a1"]: "confirmed"}


async def test_board_session_invites_and_partners_cannot_register(client, world):
    eid = world.events["board"]
    r = await registered(client, world, "organiser", eid, world.people["a1"])
    assert r["status"] == "invited"
    r = await registered(client, world, "board_secretary", eid, world.people["b1"])
    assert r["status"] == "invited"
    r = await register(client, world, "partner_a", eid, world.people["a2"])
    assert r.status_code == 404, r.text  # board sessions are not shown to partners at all
    r = await client.get(f"/api/events/{eid}", headers=world.actors["organiser"].headers)
    assert r.json()["seats"] == {"confirmed": 0, "waitlisted": 0, "invited": 2}
    assert await statuses(eid) == {world.people["a1"]: "invited", world.people["b1"]: "invited"}


async def test_re_registering_after_cancelling_goes_to_the_back_of_the_queue(client, world):
    event = await new_event(client, world, capacity=1)
    eid = event["id"]
    a1, b1, c1 = world.people["a1"], world.people["b1"], world.people["c1"]
    seat = await registered(client, world, "partner_a", eid, a1)
    first = await registered(client, world, "partner_b", eid, b1)
    await registered(client, world, "organiser", eid, c1)
    assert await waiting_order(client, world, eid) == [b1, c1]

    r = await register(client, world, "organiser", eid, b1)
    assert r.status_code == 409, r.text  # still active
    assert problem_fields(r) == ["person_id"]

    r = await cancel(client, world, "partner_b", first["id"])
    assert r.status_code == 200, r.text
    again = await registered(client, world, "partner_b", eid, b1)
    assert again["status"] == "waitlisted"
    assert again["id"] == first["id"]  # the same row, one per person and event
    assert again["queued_at"] > first["queued_at"]
    assert await waiting_order(client, world, eid) == [c1, b1]

    r = await cancel(client, world, "partner_a", seat["id"])
    assert r.status_code == 200, r.text
    assert await statuses(eid) == {a1: "cancelled", b1: "waitlisted", c1: "confirmed"}

    # And someone whose confirmed seat was cancelled registers again: waiting, behind b1.
    again_a = await registered(client, world, "partner_a", eid, a1)
    assert again_a["status"] == "waitlisted"
    assert await waiting_order(client, world, eid) == [b1, a1]
    assert await Registration.count().where(Registration.event == eid) == 3


async def test_bulk_registration_is_all_or_nothing(client, world):
    event = await new_event(client, world, capacity=3)
    eid = event["id"]
    p = world.people
    c2 = (await new_people(client, world, "c", 1))[0]
    url = f"/api/events/{eid}/registrations/bulk"
    organiser, partner_a = world.actors["organiser"].headers, world.actors["partner_a"].headers

    r = await client.post(url, json={"person_ids": [p["a1"], p["b1"], 999_999]}, headers=organiser)
    assert r.status_code == 422, r.text
    assert problem_fields(r) == ["person_ids[2]"]
    r = await client.post(url, json={"person_ids": [p["a1"], p["a1"]]}, headers=organiser)
    assert r.status_code == 422, r.text
    r = await client.post(url, json={"person_ids": [p["a1"], p["b1"]]}, headers=partner_a)
    assert r.status_code == 422, r.text  # b1 is not partner a's
    assert problem_fields(r) == ["person_ids[1]"]
    await registered(client, world, "organiser", eid, p["c1"])
    r = await client.post(url, json={"person_ids": [p["a1"], p["c1"]]}, headers=organiser)
    assert r.status_code == 409, r.text
    assert problem_fields(r) == ["person_ids[1]"]
    assert await statuses(eid) == {p["c1"]: "confirmed"}

    r = await client.post(url, json={"person_ids": [p["a1"], p["a2"]]}, headers=partner_a)
    assert r.status_code == 201, r.text
    assert [(x["person_id"], x["status"]) for x in r.json()] == [
        (p["a1"], "confirmed"),
        (p["a2"], "confirmed"),
    ]
    r = await client.post(url, json={"person_ids": [c2, p["b1"]]}, headers=organiser)
    assert r.status_code == 201, r.text
    assert [(x["person_id"], x["status"]) for x in r.json()] == [(c2, "waitlisted"), (p["b1"], "waitlisted")]
    assert await waiting_order(client, world, eid) == [c2, p["b1"]]


async def test_partners_cannot_cancel_once_the_event_has_started(client, world):
    event = await new_event(client, world, starts_at=at(-1, 10), ends_at=at(1, 17))
    eid = event["id"]
    a1 = await registered(client, world, "organiser", eid, world.people["a1"])
    r = await register(client, world, "partner_a", eid, world.people["a2"])
    assert r.status_code == 409, r.text  # the window closes when the event starts
    r = await cancel(client, world, "partner_a", a1["id"])
    assert r.status_code == 409, r.text
    assert r.json()["detail"] == "the event has started; ask the organisers"
    r = await cancel(client, world, "organiser", a1["id"])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"


# ---------------------------------------------------------------- event life cycle


async def test_status_transitions(client, world):
    h = world.actors["organiser"].headers

    async def act(eid: int, action: str) -> httpx.Response:
        return await client.post(f"/api/events/{eid}/{action}", headers=h)

    future = await new_event(client, world, publish=False)
    fid = future["id"]
    assert future["status"] == "draft"
    assert future["published_at"] is None
    assert (await act(fid, "complete")).status_code == 409
    r = await client.post(f"/api/events/{fid}/publish", headers=world.actors["partner_a"].headers)
    assert r.status_code == 403, r.text
    r = await act(fid, "publish")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "published"
    assert r.json()["published_at"] is not None
    assert r.json()["sequence"] == 0
    assert (await act(fid, "publish")).status_code == 409
    r = await act(fid, "complete")
    assert r.status_code == 409, r.text  # it has not started
    r = await act(fid, "cancel")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    assert r.json()["cancelled_at"] is not None
    assert r.json()["sequence"] == 1  # attendees get a CANCEL with a higher SEQUENCE
    for action in ("cancel", "publish", "complete"):
        assert (await act(fid, action)).status_code == 409, action
    r = await client.patch(f"/api/events/{fid}", json={"title": "Toch weer"}, headers=h)
    assert r.status_code == 409, r.text

    draft = await new_event(client, world, publish=False)
    r = await act(draft["id"], "cancel")
    assert r.status_code == 200, r.text
    assert r.json()["sequence"] == 0  # nobody was told about a draft

    started = await new_event(client, world, starts_at=at(-1, 10), ends_at=at(1, 17))
    r = await act(started["id"], "complete")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "completed"
    for action in ("cancel", "publish", "complete"):
        assert (await act(started["id"], action)).status_code == 409, action
    r = await client.patch(f"/api/events/{started['id']}", json={"capacity": 9}, headers=h)
    assert r.status_code == 409, r.text
    r = await register(client, world, "organiser", started["id"], world.people["a1"])
    assert r.status_code == 409, r.text


async def test_material_changes_of_a_published_event_raise_the_sequence(client, world):
    h = world.actors["organiser"].headers
    draft = await new_event(client, world, publish=False)

    async def patch(eid: int, **fields: Any) -> int:
        r = await client.patch(f"/api/events/{eid}", json=fields, headers=h)
        assert r.status_code == 200, r.text
        return int(r.json()["sequence"])

    assert await patch(draft["id"], title="Nog een concept") == 0  # drafts have no attendees to tell

    event = await new_event(client, world)
    eid = event["id"]
    starts = datetime.fromisoformat(event["starts_at"])
    ends = datetime.fromisoformat(event["ends_at"])
    assert event["sequence"] == 0
    assert await patch(eid, title="Netwerkbijeenkomst Smart Industry") == 1
    assert await patch(eid, title="Netwerkbijeenkomst Smart Industry") == 1  # same value
    assert await patch(eid, capacity=80, reminder_hours=24, visibility="public", municipality="Assen") == 1
    assert await patch(eid, themes=[], programme=None) == 1
    # The same instant written in UTC is no change.
    assert await patch(eid, starts_at=starts.astimezone(UTC).isoformat()) == 1
    assert await patch(eid, venue="Wildlands Adventure Zoo Emmen") == 2
    assert await patch(eid, address="Raadhuisplein 99, Emmen") == 3
    assert await patch(eid, description="Met sprekers uit de regio.") == 4
    later = {
        "starts_at": (starts.replace(hour=16)).isoformat(),
        "ends_at": (ends.replace(hour=19)).isoformat(),
    }
    assert await patch(eid, **later) == 5
    row = await Event.select(Event.sequence).where(Event.id == eid).first()
    assert row is not None
    assert row["sequence"] == 5


async def test_times_are_shown_in_amsterdam_time_across_daylight_saving(client, world):
    h = world.actors["organiser"].headers
    cases = [
        # sent                           returned                        stored (UTC)
        ("2027-07-15T08:00:00Z", "2027-07-15T10:00:00+02:00", datetime(2027, 7, 15, 8, tzinfo=UTC)),
        ("2027-07-15T06:00:00-02:00", "2027-07-15T10:00:00+02:00", datetime(2027, 7, 15, 8, tzinfo=UTC)),
        ("2027-01-15T10:00:00+01:00", "2027-01-15T10:00:00+01:00", datetime(2027, 1, 15, 9, tzinfo=UTC)),
        ("2027-01-15T09:00:00+00:00", "2027-01-15T10:00:00+01:00", datetime(2027, 1, 15, 9, tzinfo=UTC)),
    ]
    for sent, shown, stored in cases:
        start = datetime.fromisoformat(sent)
        event = await new_event(
            client,
            world,
            title=f"Techniekdag {sent}",
            starts_at=sent,
            ends_at=start.replace(hour=start.hour + 5).isoformat(),
        )
        assert event["starts_at"] == shown, sent
        r = await client.get(f"/api/events/{event['id']}", headers=h)
        assert r.json()["starts_at"] == shown
        row = await Event.select(Event.starts_at).where(Event.id == event["id"]).first()
        assert row is not None
        assert row["starts_at"] == stored
        assert row["starts_at"].utcoffset() is not None

    # One event across the switch to summer time (night of 27 to 28 March 2027): each end its own offset.
    night = await new_event(
        client,
        world,
        title="Nachtelijke hackathon",
        starts_at="2027-03-27T20:00:00+01:00",
        ends_at="2027-03-28T10:00:00+02:00",
        registration_opens_at="2027-02-01T09:00:00Z",
        registration_closes_at="2027-03-27T19:00:00Z",
    )
    assert night["starts_at"] == "2027-03-27T20:00:00+01:00"
    assert night["ends_at"] == "2027-03-28T10:00:00+02:00"
    assert night["registration_opens_at"] == "2027-02-01T10:00:00+01:00"
    assert night["registration_closes_at"] == "2027-03-27T20:00:00+01:00"
    row = await Event.select(Event.starts_at, Event.ends_at).where(Event.id == night["id"]).first()
    assert row is not None
    assert row["ends_at"] - row["starts_at"] == datetime(2027, 3, 28, 8, tzinfo=UTC) - datetime(
        2027, 3, 27, 19, tzinfo=UTC
    )

    # Listing by local day: 00:30 on 16 July in Amsterdam is 22:30 UTC on the 15th.
    late = await new_event(
        client, world, title="Na-borrel", starts_at="2027-07-15T22:30:00Z", ends_at="2027-07-16T01:00:00Z"
    )
    assert late["starts_at"] == "2027-07-16T00:30:00+02:00"
    r = await client.get("/api/events", params={"from": "2027-07-16", "until": "2027-07-16"}, headers=h)
    assert [e["id"] for e in r.json()["items"]] == [late["id"]]
    r = await client.get("/api/events", params={"from": "2027-07-15", "until": "2027-07-15"}, headers=h)
    assert late["id"] not in [e["id"] for e in r.json()["items"]]
