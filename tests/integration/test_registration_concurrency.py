"""Many registrations at the same moment, over real HTTP, against two uvicorn processes sharing one database:
no overbooking of the event, of a quota or of the open pool; one registration per person; the waiting list
in arrival order; a cancellation promotes exactly the right person; duplicates are refused."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from dtz_events.registrations.tables import Registration
from tests.support.fixtures import LiveServer, World, at

pytestmark = pytest.mark.slow

CAPACITY = 50
QUOTAS = {"a": 10, "b": 15}  # Emmtec and Drenthe College; the rest share 50 - 25 = 25 open seats
PEOPLE_PER_ORGANISATION = {"a": 45, "b": 45, "c": 55, "d": 55}  # 200 in all


@dataclass
class Burst:
    event_id: int
    organisations: dict[str, int]  # key -> id
    plan: list[tuple[int, str, str]]  # (person id, organisation key, sender), in sending order

    def pool(self, organisation_id: int) -> str:
        """Where a person's seat comes from: the quota of their partner, or the open pool."""
        key = next(k for k, v in self.organisations.items() if v == organisation_id)
        return key if key in QUOTAS else "open"


async def _seed(client: httpx.AsyncClient, world: World) -> Burst:
    admin = world.actors["admin"].headers
    r = await client.post(
        "/api/organisations",
        json={"name": "Stenden Hogeschool", "kind": "knowledge_institution", "municipality": "Emmen"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    organisations = {**world.organisations, "d": r.json()["id"]}
    r = await client.post(
        "/api/events",
        json={
            "kind": "network_meeting",
            "title": "Netwerkbijeenkomst Waterstof",
            "starts_at": at(30, 15),
            "ends_at": at(30, 18),
            "capacity": CAPACITY,
            "municipality": "Emmen",
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    event_id = r.json()["id"]
    assert (await client.post(f"/api/events/{event_id}/publish", headers=admin)).status_code == 200
    for key, seats in QUOTAS.items():
        r = await client.put(
            f"/api/events/{event_id}/quotas/{organisations[key]}", json={"seats": seats}, headers=admin
        )
        assert r.status_code == 200, r.text

    people: list[tuple[int, str]] = []
    for key, n in PEOPLE_PER_ORGANISATION.items():
        for i in range(n):
            r = await client.post(
                "/api/people",
                json={
                    "name": f"Deelnemer {key.upper()}{i:03}",
                    "email": f"deelnemer{i:03}@{key}.example",
                    "organisation_id": organisations[key],
                },
                headers=admin,
            )
            assert r.status_code == 201, r.text
            people.append((r.json()["id"], key))
    random.Random(2026).shuffle(people)
    plan = []
    for n, (person_id, key) in enumerate(people):
        # Coordinators send their own people, the organiser everyone else and some partner people too.
        own = {"a": "partner_a", "b": "partner_b"}.get(key)
        plan.append((person_id, key, own if own and n % 4 else "organiser"))
    return Burst(event_id=event_id, organisations=organisations, plan=plan)


def _http(server: LiveServer) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=server.url,
        timeout=httpx.Timeout(120),
        limits=httpx.Limits(max_connections=250, max_keepalive_connections=250),
    )


async def _rows(event_id: int) -> list[dict[str, Any]]:
    """The event's registrations in waiting-list order: (queued_at, id)."""
    return list(
        await Registration.select(
            Registration.id,
            Registration.person,
            Registration.organisation,
            Registration.status,
            Registration.queued_at,
        )
        .where(Registration.event == event_id)
        .order_by(Registration.queued_at)
        .order_by(Registration.id)
    )


def _confirmed_per_pool(burst: Burst, rows: list[dict[str, Any]]) -> Counter[str]:
    return Counter(burst.pool(r["organisation"]) for r in rows if r["status"] == "confirmed")


async def test_burst_of_registrations_never_overbooks_and_queues_in_arrival_order(
    client: httpx.AsyncClient, world: World, live_server: LiveServer
) -> None:
    burst = await _seed(client, world)
    eid = burst.event_id
    headers = {name: actor.headers for name, actor in world.actors.items()}

    async with _http(live_server) as http:
        responses = await asyncio.gather(
            *(
                http.post(
                    f"/api/events/{eid}/registrations", json={"person_id": person_id}, headers=headers[sender]
                )
                for person_id, _, sender in burst.plan
            )
        )
    failed = [(r.status_code, r.text) for r in responses if r.status_code != 201]
    assert failed == []

    rows = await _rows(eid)
    # Every person exactly once, and each under their own organisation.
    assert len(rows) == len(burst.plan) == 200
    assert Counter(r["person"] for r in rows) == Counter(p for p, _, _ in burst.plan)
    org_of_person = {p: burst.organisations[key] for p, key, _ in burst.plan}
    assert all(r["organisation"] == org_of_person[r["person"]] for r in rows)

    # No overbooking: the event, each quota, and the open pool are exactly full.
    assert Counter(r["status"] for r in rows) == {"confirmed": CAPACITY, "waitlisted": 150}
    open_seats = CAPACITY - sum(QUOTAS.values())
    assert _confirmed_per_pool(burst, rows) == {**QUOTAS, "open": open_seats}

    # What each caller was told is what the database holds.
    by_id = {r["id"]: r for r in rows}
    for response in responses:
        body = response.json()
        assert by_id[body["id"]]["status"] == body["status"]
        assert by_id[body["id"]]["person"] == body["person_id"]

    # Arrival order: ids are handed out under the event lock, so the waiting-list order (queued_at, id)
    # must be the order in which the requests were served ...
    assert [r["id"] for r in rows] == sorted(by_id)
    # ... and first come, first served within each pool: nobody got a seat after someone of the same
    # pool had been put on the waiting list.
    for pool in (*QUOTAS, "open"):
        states = [r["status"] for r in rows if burst.pool(r["organisation"]) == pool]
        first_waiting = states.index("waitlisted")
        assert set(states[:first_waiting]) == {"confirmed"}, pool
        assert set(states[first_waiting:]) == {"waitlisted"}, pool

    # The API lists the waiting list in that same order, and partners see only their own people.
    organiser, partner_a = headers["organiser"], headers["partner_a"]
    r = await client.get(
        f"/api/events/{eid}/registrations",
        params={"status": "waitlisted", "per_page": 200},
        headers=organiser,
    )
    assert r.json()["total"] == 150
    assert [x["id"] for x in r.json()["items"]] == [x["id"] for x in rows if x["status"] == "waitlisted"]
    r = await client.get(f"/api/events/{eid}/registrations", params={"per_page": 200}, headers=partner_a)
    assert r.json()["total"] == PEOPLE_PER_ORGANISATION["a"]
    assert {x["organisation_id"] for x in r.json()["items"]} == {burst.organisations["a"]}

    # A cancellation promotes exactly one person: the first waiting one who fits the seat that came free
    # (the open pool, then partner a's quota), even when someone who does not fit has waited longer.
    waiting = [r for r in rows if r["status"] == "waitlisted"]
    passed_over = 0
    current = rows
    pools = [("open", "organiser"), ("a", "partner_a")]
    # The first waiting person's pool goes last, so the first cancellation must pass them over.
    pools.sort(key=lambda pool_actor: pool_actor[0] == burst.pool(waiting[0]["organisation"]))
    for pool, actor in pools:
        before = {r["id"]: r["status"] for r in current}
        expected = next(r for r in waiting if burst.pool(r["organisation"]) == pool)
        passed_over += waiting.index(expected)
        victim = next(
            r for r in current if r["status"] == "confirmed" and burst.pool(r["organisation"]) == pool
        )
        async with _http(live_server) as http:
            r = await http.post(f"/api/registrations/{victim['id']}/cancel", headers=headers[actor])
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "cancelled"
        current = await _rows(eid)
        changed = {r["id"]: r["status"] for r in current if before[r["id"]] != r["status"]}
        assert changed == {victim["id"]: "cancelled", expected["id"]: "confirmed"}, pool
        waiting.remove(expected)
    # One of the two seats went past someone who waited longer but did not fit.
    assert passed_over > 0
    assert Counter(r["status"] for r in current) == {"confirmed": 50, "waitlisted": 148, "cancelled": 2}
    assert _confirmed_per_pool(burst, current) == {**QUOTAS, "open": open_seats}


async def test_concurrent_duplicates_register_a_person_once(
    client: httpx.AsyncClient, world: World, live_server: LiveServer
) -> None:
    eid = world.events["network"]
    person = world.people["a1"]
    senders = [world.actors["partner_a" if n % 2 else "organiser"].headers for n in range(20)]
    async with _http(live_server) as http:
        responses = await asyncio.gather(
            *(
                http.post(f"/api/events/{eid}/registrations", json={"person_id": person}, headers=h)
                for h in senders
            )
        )
    codes = Counter(r.status_code for r in responses)
    assert codes == {201: 1, 409: 19}, [r.text for r in responses if r.status_code not in (201, 409)]
    created = next(r.json() for r in responses if r.status_code == 201)
    assert created["status"] == "confirmed"
    for r in responses:
        if r.status_code == 409:
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["errors"] == [
                {"field": "person_id", "message": "this person is already registered for this event"}
            ]
    rows = await Registration.select(Registration.id, Registration.status).where(
        (Registration.event == eid) & (Registration.person == person)
    )
    assert rows == [{"id": created["id"], "status": "confirmed"}]


async def test_capacity_changes_during_a_burst_never_overbook(
    client: httpx.AsyncClient, world: World, live_server: LiveServer
) -> None:
    admin, organiser = world.actors["admin"].headers, world.actors["organiser"].headers
    r = await client.post(
        "/api/events",
        json={
            "kind": "promotion_day",
            "title": "Techniekdag Emmen",
            "starts_at": at(25, 9),
            "ends_at": at(25, 15),
            "capacity": 40,
            "municipality": "Emmen",
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    eid = r.json()["id"]
    assert (await client.post(f"/api/events/{eid}/publish", headers=admin)).status_code == 200
    people = []
    for i in range(60):
        r = await client.post(
            "/api/people",
            json={
                "name": f"Docent {i:02}",
                "email": f"docent{i:02}@c.example",
                "organisation_id": world.organisations["c"],
            },
            headers=admin,
        )
        assert r.status_code == 201, r.text
        people.append(r.json()["id"])

    capacities = iter([35, 20, 38, 25, 40, 22, 30, 36, 24, 33])
    async with _http(live_server) as http:
        requests = []
        for n, person in enumerate(people):
            requests.append(
                http.post(f"/api/events/{eid}/registrations", json={"person_id": person}, headers=organiser)
            )
            if n % 6 == 3:
                capacity = next(capacities)
                requests.append(
                    http.patch(f"/api/events/{eid}", json={"capacity": capacity}, headers=organiser)
                )
        responses = await asyncio.gather(*requests)
    codes = Counter((r.request.method, r.status_code) for r in responses)
    assert codes[("POST", 201)] == 60, codes
    assert set(codes) <= {("POST", 201), ("PATCH", 200), ("PATCH", 409)}, codes

    r = await client.get(f"/api/events/{eid}", headers=organiser)
    capacity = r.json()["capacity"]
    # Never more confirmed than seats, and no free seat while people wait.
    assert r.json()["seats"] == {"confirmed": capacity, "waitlisted": 60 - capacity, "invited": 0}
    rows = await _rows(eid)
    assert Counter(x["status"] for x in rows) == {"confirmed": capacity, "waitlisted": 60 - capacity}
