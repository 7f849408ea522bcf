"""`dtz-events demo`: the demo data is what a user sees through the API, and a second run adds nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest

from dtz_events.core.clock import utcnow
from dtz_events.demo import ACCOUNTS, DEMO_PASSWORD, NETWORK_MEETING, ORGANISATIONS, load_demo
from dtz_events.settings import Settings

pytestmark = pytest.mark.sqlite

ADMIN = "beheer@dutchtechzone.example"
COORDINATOR = "inge.mulder@metaalbewerking-coevorden.example"
MUNICIPALITIES = {"Gemeente Emmen", "Gemeente Coevorden", "Gemeente Hoogeveen", "Gemeente Hardenberg"}


async def log_in(client: httpx.AsyncClient, email: str) -> dict[str, Any]:
    r = await client.post("/api/auth/login", json={"email": email, "password": DEMO_PASSWORD})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def get(client: httpx.AsyncClient, path: str, **params: Any) -> Any:
    r = await client.get(path, params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def snapshot(client: httpx.AsyncClient) -> dict[str, Any]:
    """Everything the demo creates, as counts an admin reads through the API."""
    await log_in(client, ADMIN)
    events = (await get(client, "/api/events", per_page=200))["items"]
    per_event = {}
    for event in events:
        registrations = await get(client, f"/api/events/{event['id']}/registrations", per_page=200)
        quotas = await get(client, f"/api/events/{event['id']}/quotas")
        per_event[event["title"]] = (
            registrations["total"],
            [(q["organisation_id"], q["seats"]) for q in quotas],
        )
    return {
        "programmes": len(await get(client, "/api/programmes")),
        "themes": len(await get(client, "/api/themes")),
        "organisations": (await get(client, "/api/organisations", per_page=1))["total"],
        "people": (await get(client, "/api/people", per_page=1))["total"],
        "accounts": len(await get(client, "/api/accounts")),
        "events": sorted((e["kind"], e["status"], e["sequence"]) for e in events),
        "per_event": per_event,
    }


async def test_demo_data_through_the_api_and_a_second_run_adds_nothing(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    summary = await load_demo(settings)
    assert "loaded" in summary
    assert DEMO_PASSWORD in summary
    assert COORDINATOR in summary

    await log_in(client, ADMIN)
    programmes = {p["slug"] for p in await get(client, "/api/programmes")}
    assert programmes == {
        "chemical-cluster-emmen",
        "smart-industry-hub",
        "it-hub",
        "regiocampus",
        "ik-ben-drents-ondernemer",
    }
    themes = await get(client, "/api/themes")
    assert len(themes) == 5
    assert all(t["name_nl"] and t["name_en"] for t in themes)

    municipalities = await get(client, "/api/organisations", kind="municipality")
    assert {o["name"] for o in municipalities["items"]} == MUNICIPALITIES
    assert all(o["helix"] == "government" for o in municipalities["items"])
    companies = await get(client, "/api/organisations", kind="company")
    assert companies["total"] == 12
    assert all(len(o["kvk_number"]) == 8 for o in companies["items"])
    assert (await get(client, "/api/organisations", kind="school"))["total"] >= 4
    assert (await get(client, "/api/organisations", kind="knowledge_institution"))["total"] == 1
    people = (await get(client, "/api/people", per_page=200))["items"]
    assert all(p["email"].split("@")[1].endswith(".example") for p in people)
    assert {p["language"] for p in people} == {"nl", "en"}

    events = await get(client, "/api/events", status="published")
    assert events["total"] == 3
    by_kind = {e["kind"]: e for e in events["items"]}
    assert set(by_kind) == {"promotion_day", "network_meeting", "board_session"}
    for event in events["items"]:
        starts_at = datetime.fromisoformat(event["starts_at"])
        assert starts_at.utcoffset() is not None
        assert starts_at > utcnow()
    promotion = by_kind["promotion_day"]
    assert promotion["programme"] == "regiocampus"
    assert promotion["municipality"] in {"Coevorden", "Emmen"}
    assert promotion["capacity"]
    network = by_kind["network_meeting"]
    assert network["programme"] == "smart-industry-hub"
    assert network["seats"]["confirmed"] >= 5
    board = by_kind["board_session"]
    assert board["title"] == "Bestuurlijk Overleg DTZ"
    assert board["visibility"] == "invited"
    invitees = [r for d in ORGANISATIONS if d.kind in {"municipality", "province"} for r in d.people]
    assert board["seats"]["invited"] == len(invitees)

    me = await log_in(client, COORDINATOR)
    assert me["role"] == "partner_coordinator"
    assert me["organisation_id"] is not None
    own = await get(client, "/api/organisations")
    assert [o["name"] for o in own["items"]] == ["Metaalbewerking Coevorden B.V."]
    quotas = await get(client, f"/api/events/{network['id']}/quotas")
    assert [(q["organisation_id"], q["seats"]) for q in quotas] == [(me["organisation_id"], 4)]
    assert quotas[0]["confirmed"] >= 1
    seen = await get(client, "/api/events")
    assert NETWORK_MEETING.title in {e["title"] for e in seen["items"]}
    for email, _, _, _ in ACCOUNTS:
        await log_in(client, email)

    before = await snapshot(client)
    again = await load_demo(settings)
    assert "already present" in again
    assert await snapshot(client) == before
