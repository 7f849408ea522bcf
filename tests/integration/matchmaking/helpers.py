"""Shared steps of the matchmaking tests: a network meeting with matchmaking, participants and their links."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import icalendar

from dtz_events.events.tables import Event
from tests.support.fixtures import MailEnv, World

EMAILS = {
    "a1": "anouk.jansen@emmtec.example",
    "a2": "bram.devries@emmtec.example",
    "b1": "c.bakker@drenthecollege.example",
    "c1": "d.smit@coevorden.example",
}


@dataclass
class Setup:
    event_id: int
    starts_at: datetime
    tokens: dict[str, str]  # person key -> matchmaking link token


async def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def matchmaking_event(
    client: httpx.AsyncClient,
    world: World,
    people: tuple[str, ...] = ("a1", "b1", "c1"),
    *,
    tables: int = 3,
    slots: int = 6,
) -> Setup:
    """The world's network meeting, with these people confirmed, a matchmaking window of `slots` slots of
    20 minutes from its start (a break after the third), and a link for each person."""
    event_id = world.events["network"]
    organiser = world.actors["organiser"].headers
    for key in people:
        r = await client.post(
            f"/api/events/{event_id}/registrations", json={"person_id": world.people[key]}, headers=organiser
        )
        body = await ok(r, 201)
        assert body["status"] == "confirmed", body
    event = await Event.select(Event.starts_at).where(Event.id == event_id).first()
    assert event is not None
    starts_at = event["starts_at"]
    settings = {
        "starts_at": starts_at.isoformat(),
        "slot_minutes": 20,
        "slots": slots,
        "breaks": [{"after_slot": 2, "minutes": 15}] if slots > 3 else [],
        "tables": tables,
        "max_meetings": 4,
        "booking_closes_at": (starts_at - timedelta(days=1)).isoformat(),
    }
    await ok(await client.put(f"/api/events/{event_id}/matchmaking", json=settings, headers=organiser))
    tokens = {}
    for key in people:
        r = await client.post(
            f"/api/events/{event_id}/matchmaking/people/{world.people[key]}/link", headers=organiser
        )
        tokens[key] = (await ok(r))["token"]
    return Setup(event_id=event_id, starts_at=starts_at, tokens=tokens)


async def profile(client: httpx.AsyncClient, token: str, **fields: Any) -> dict[str, Any]:
    body = {"offers": "", "seeks": "", "visible": True, **fields}
    return await ok(await client.put(f"/api/matchmaking/{token}/profile", json=body))  # type: ignore[no-any-return]


def calendar_of(message: Any) -> tuple[str, icalendar.cal.Component]:
    """The text/calendar part's method parameter and its VEVENT."""
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    event = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")[0]
    return str(part.get_param("method")), event


async def schedule(
    client: httpx.AsyncClient, event_id: int, headers: Any, mail_env: MailEnv
) -> dict[str, Any]:
    """Ask for a schedule run as the organiser does (202 and a status URL), let the worker make it, and
    return the finished run's figures."""
    response = await client.post(f"/api/events/{event_id}/matchmaking/schedule", headers=headers)
    run = await ok(response, 202)
    assert run["status"] == "queued"
    assert (
        response.headers["location"]
        == run["status_url"]
        == f"/api/events/{event_id}/matchmaking/runs/{run['id']}"
    )
    await mail_env.flush()
    done = await ok(await client.get(run["status_url"], headers=headers))
    assert done["status"] == "done", done
    assert done["started_at"] is not None
    assert done["finished_at"] is not None
    return done["result"]  # type: ignore[no-any-return]


@contextmanager
def workers_away() -> Iterator[None]:
    """For a moment no worker takes messages (nothing is dispatched): what is queued stays queued, so a test
    can look at it before a worker starts; dispatch it by hand afterwards."""
    from dtz_events.core import dispatch

    worker = dispatch._current
    dispatch.set_dispatcher(None)
    try:
        yield
    finally:
        dispatch.set_dispatcher(worker)
