"""A published promotion day with two workshops of Emmtec (organisation a), whose contact is Anouk Jansen."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from tests.support.fixtures import World, at


@dataclass
class Day:
    event_id: int
    workshops: list[int]


async def make_day(client: httpx.AsyncClient, world: World, *, rounds: int = 2, per_group: int = 2) -> Day:
    admin = world.actors["admin"].headers
    body = {
        "kind": "promotion_day",
        "title": "Techniekdag Emmen",
        "starts_at": at(30, 9),
        "ends_at": at(30, 15),
        "capacity": 300,
        "venue": "Emmtec Industry & Business Park",
        "municipality": "Emmen",
    }
    r = await client.post("/api/events", json=body, headers=admin)
    assert r.status_code == 201, r.text
    event_id = r.json()["id"]
    assert (await client.post(f"/api/events/{event_id}/publish", headers=admin)).status_code == 200
    workshops = []
    for title_nl, title_en, place in [
        ("Lassen met een robot", "Welding with a robot", "Hal 3"),
        ("Proefjes met waterstof", "Hydrogen experiments", "Lab 1"),
        ("Programmeer een PLC", "Program a PLC", "Lokaal 2"),
    ]:
        r = await client.post(
            f"/api/events/{event_id}/workshops",
            json={
                "title_nl": title_nl,
                "title_en": title_en,
                "capacity": 30,
                "levels": ["primary_7_8", "vmbo", "havo_vwo"],
                "place": place,
                "host_id": world.organisations["a"],
                "contact_person_id": world.people["a1"],
            },
            headers=admin,
        )
        assert r.status_code == 201, r.text
        workshops.append(r.json()["id"])
    settings = {
        "workshops_per_group": per_group,
        "rounds": [{"starts_at": at(30, 10 + i), "ends_at": at(30, 11 + i)} for i in range(rounds)],
    }
    r = await client.put(f"/api/events/{event_id}/rotation", json=settings, headers=admin)
    assert r.status_code == 200, r.text
    return Day(event_id=event_id, workshops=workshops)


@pytest.fixture
async def day(client: httpx.AsyncClient, world: World) -> Day:
    return await make_day(client, world)


def group_body(class_name: str, teacher_email: str, pupils: int = 24, level: str = "vmbo") -> dict:
    return {
        "class_name": class_name,
        "level": level,
        "pupil_count": pupils,
        "teacher": {
            "name": "Mevrouw Smit",
            "email": teacher_email,
            "phone": "06 1234 5678",
            "language": "nl",
        },
        "supervisors": [{"name": "Meneer Bos", "phone": "06 8765 4321"}],
        "accessibility_needs": "een rolstoeltoegankelijke route",
    }
