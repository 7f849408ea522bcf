"""Check-in at the door (by code in any spelling, or by registration), concurrent scans, and walk-ins."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from dtz_events.core.errors import PROBLEM_JSON
from dtz_events.registrations.tables import Registration
from tests.integration.surveys.helpers import HOUR, past_event, register

pytestmark = pytest.mark.sqlite


async def event_now(client, world, **extra) -> int:
    """A published network meeting that started an hour ago and ends in two."""
    event_id, _ = await past_event(client, world, -2 * HOUR, **extra)
    return event_id


async def code_of(registration_id: int) -> str:
    row = (
        await Registration.select(Registration.checkin_code).where(Registration.id == registration_id).first()
    )
    assert row is not None
    assert row["checkin_code"]
    return str(row["checkin_code"])


async def stored(registration_id: int) -> dict:
    row = await Registration.select().where(Registration.id == registration_id).first()
    assert row is not None
    return row


def post_check_in(client, world, event_id: int, body: dict):
    return client.post(
        f"/api/events/{event_id}/check-ins", json=body, headers=world.actors["organiser"].headers
    )


def post_walk_in(client, world, event_id: int, person_id: int):
    return client.post(
        f"/api/events/{event_id}/walk-ins",
        json={"person_id": person_id},
        headers=world.actors["organiser"].headers,
    )


def assert_problem(r, status: int) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    assert r.json()["status"] == status


# ---------------------------------------------------------------- by code, by registration


async def test_a_code_checks_in_however_it_is_typed(client, world):
    event_id = await event_now(client, world)
    registrations = await register(client, world, event_id, "a1", "a2", "b1", "c1")
    codes = {p: await code_of(r["id"]) for p, r in registrations.items()}
    typed = {
        "a1": codes["a1"].lower(),
        "a2": f"DTZ-{codes['a2'][:4]}-{codes['a2'][4:]}",
        "b1": f"{codes['b1'][:4]}-{codes['b1'][4:]}",
        "c1": f"  dtz-{codes['c1'].lower()} ",
    }
    for person, code in typed.items():
        r = await post_check_in(client, world, event_id, {"code": code})
        assert r.status_code == 200, (code, r.text)
        body = r.json()
        assert body["registration_id"] == registrations[person]["id"], code
        assert body["already_checked_in"] is False
        assert body["organisation_id"] == registrations[person]["organisation_id"]
        assert (await stored(body["registration_id"]))["checked_in_at"] is not None
    assert (await post_check_in(client, world, event_id, {"code": codes["a1"]})).json()["already_checked_in"]


async def test_a_code_that_itself_starts_with_dtz_still_works(client, world):
    event_id = await event_now(client, world)
    registrations = await register(client, world, event_id, "a1", "b1")
    await Registration.update({Registration.checkin_code: "DTZ45678"}).where(
        Registration.id == registrations["a1"]["id"]
    )
    await Registration.update({Registration.checkin_code: "ABCD2345"}).where(
        Registration.id == registrations["b1"]["id"]
    )
    r = await post_check_in(client, world, event_id, {"code": "dtz45678"})
    assert r.status_code == 200, r.text
    assert r.json()["registration_id"] == registrations["a1"]["id"]
    r = await post_check_in(client, world, event_id, {"code": "DTZ-DTZ4-5678"})
    assert (r.json()["registration_id"], r.json()["already_checked_in"]) == (registrations["a1"]["id"], True)
    r = await post_check_in(client, world, event_id, {"code": "DTZABCD2345"})
    assert r.status_code == 200, r.text
    assert r.json()["registration_id"] == registrations["b1"]["id"]


async def test_twice_is_already_checked_in_and_keeps_the_first_time(client, world):
    event_id = await event_now(client, world)
    registrations = await register(client, world, event_id, "a1")
    registration_id = registrations["a1"]["id"]
    first = await post_check_in(client, world, event_id, {"registration_id": registration_id})
    assert first.status_code == 200, first.text
    assert first.json()["already_checked_in"] is False
    assert first.json()["person_name"] == "Anouk Jansen"
    recorded = (await stored(registration_id))["checked_in_at"]

    await asyncio.sleep(0.01)
    for body in ({"registration_id": registration_id}, {"code": await code_of(registration_id)}):
        again = await post_check_in(client, world, event_id, body)
        assert again.status_code == 200, again.text
        assert again.json()["already_checked_in"] is True
        assert again.json()["checked_in_at"] == first.json()["checked_in_at"]
    assert (await stored(registration_id))["checked_in_at"] == recorded
    assert datetime.fromisoformat(first.json()["checked_in_at"]) == recorded


async def test_unknown_codes_and_people_not_confirmed_are_not_found(client, world):
    event_id = await event_now(client, world, capacity=1)
    other_id = await event_now(client, world, title="Andere bijeenkomst")
    registrations = await register(client, world, event_id, "a1", "b1")
    assert registrations["b1"]["status"] == "waitlisted"
    elsewhere = await register(client, world, other_id, "c1")
    cancelled = await register(client, world, other_id, "a2")
    r = await client.post(
        f"/api/registrations/{cancelled['a2']['id']}/cancel", headers=world.actors["organiser"].headers
    )
    assert r.status_code == 200, r.text

    for body in (
        {"code": "ZZZZ9999"},
        {"code": "DTZ-ZZZZ-9999"},
        {"code": await code_of(registrations["b1"]["id"])},  # wait-listed
        {"registration_id": registrations["b1"]["id"]},
        {"code": await code_of(elsewhere["c1"]["id"])},  # another event's
        {"registration_id": elsewhere["c1"]["id"]},
        {"registration_id": 10**9},
    ):
        assert_problem(await post_check_in(client, world, event_id, body), 404)
    for body in ({"code": await code_of(cancelled["a2"]["id"])}, {"registration_id": cancelled["a2"]["id"]}):
        assert_problem(await post_check_in(client, world, other_id, body), 404)  # cancelled
    assert_problem(await post_check_in(client, world, event_id, {}), 422)
    assert_problem(await post_check_in(client, world, event_id, {"code": "ab"}), 400)
    r = await post_check_in(client, world, 10**6, {"code": "ZZZZ9999"})
    assert_problem(r, 404)
    checked = await Registration.count().where(Registration.checked_in_at.is_not_null())
    assert checked == 0


async def test_fifty_concurrent_scans_of_one_code_record_one_check_in(client, world):
    event_id = await event_now(client, world)
    registrations = await register(client, world, event_id, "a1")
    code = await code_of(registrations["a1"]["id"])
    spellings = [code, code.lower(), f"DTZ-{code}", f"{code[:4]}-{code[4:]}", f"dtz-{code[:4]}-{code[4:]}"]
    answers = await asyncio.gather(
        *(post_check_in(client, world, event_id, {"code": spellings[i % len(spellings)]}) for i in range(50))
    )
    assert [r.status_code for r in answers] == [200] * 50, [r.text for r in answers if r.status_code != 200]
    firsts = [r.json() for r in answers if not r.json()["already_checked_in"]]
    assert len(firsts) == 1
    assert {r.json()["checked_in_at"] for r in answers} == {firsts[0]["checked_in_at"]}
    assert (
        datetime.fromisoformat(firsts[0]["checked_in_at"])
        == (await stored(registrations["a1"]["id"]))["checked_in_at"]
    )


# ---------------------------------------------------------------- walk-ins


async def test_a_walk_in_is_confirmed_and_checked_in_at_once_even_when_the_event_is_full(client, world):
    event_id = await event_now(client, world, capacity=1)
    await register(client, world, event_id, "a1")
    r = await client.post(
        "/api/people",
        json={
            "name": "Eva Mulder",
            "email": "eva.mulder@coevorden.example",
            "organisation_id": world.organisations["c"],
        },
        headers=world.actors["organiser"].headers,
    )
    assert r.status_code == 201, r.text
    person_id = r.json()["id"]

    r = await post_walk_in(client, world, event_id, person_id)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["already_checked_in"] is False
    assert body["person_name"] == "Eva Mulder"
    assert body["organisation_id"] == world.organisations["c"]
    row = await stored(body["registration_id"])
    assert (row["event"], row["person"], row["status"], row["walk_in"]) == (
        event_id,
        person_id,
        "confirmed",
        True,
    )
    assert row["checked_in_at"] == datetime.fromisoformat(body["checked_in_at"])
    assert row["checkin_code"]
    # Checked in already: a scan of the new code says so.
    r = await post_check_in(client, world, event_id, {"code": row["checkin_code"]})
    assert r.json()["already_checked_in"] is True

    assert_problem(await post_walk_in(client, world, event_id, 10**9), 422)


async def test_a_wait_listed_walk_in_becomes_confirmed(client, world):
    event_id = await event_now(client, world, capacity=1)
    registrations = await register(client, world, event_id, "a1", "b1")
    assert registrations["b1"]["status"] == "waitlisted"
    assert_problem(
        await post_check_in(client, world, event_id, {"registration_id": registrations["b1"]["id"]}), 404
    )

    r = await post_walk_in(client, world, event_id, world.people["b1"])
    assert r.status_code == 201, r.text
    assert r.json()["registration_id"] == registrations["b1"]["id"]  # the same registration, no second one
    row = await stored(registrations["b1"]["id"])
    assert (row["status"], row["walk_in"]) == ("confirmed", True)
    assert row["checked_in_at"] is not None
    assert (
        await Registration.count().where(
            (Registration.event == event_id) & (Registration.person == world.people["b1"])
        )
        == 1
    )
    r = await client.get(
        f"/api/registrations/{registrations['b1']['id']}", headers=world.actors["organiser"].headers
    )
    assert r.json()["status"] == "confirmed"
    assert r.json()["checked_in_at"] is not None


async def test_no_walk_in_for_a_cancelled_event(client, world):
    event_id = await event_now(client, world)
    organiser = world.actors["organiser"].headers
    assert (await client.post(f"/api/events/{event_id}/cancel", headers=organiser)).status_code == 200
    assert_problem(await post_walk_in(client, world, event_id, world.people["a1"]), 409)
