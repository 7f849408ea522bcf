"""Set-ups for the page tests: an event that is over with its survey sent, links as in the emails, and an
organiser who logs in with a password."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx

from dtz_events.accounts.services import set_password
from dtz_events.core.clock import utcnow
from dtz_events.registrations.links import LinkPurpose, create_link
from dtz_events.surveys import services as surveys
from dtz_events.surveys.tables import Survey, SurveyInvitation
from tests.support.fixtures import World, at

PASSWORD = "correct horse battery staple"


@dataclass
class SurveyWorld:
    event_id: int
    registrations: dict[str, int]  # person key -> registration id


async def event_with_people(
    client: httpx.AsyncClient,
    world: World,
    *,
    days: int,
    people: tuple[str, ...] = ("a1", "b1", "c1"),
    title: str = "Netwerkbijeenkomst Waterstof & Energie",
) -> SurveyWorld:
    """A published network meeting `days` from today (negative: over), with these people confirmed."""
    organiser = world.actors["organiser"].headers
    r = await client.post(
        "/api/events",
        json={
            "kind": "network_meeting",
            "title": title,
            "starts_at": at(days, 9),
            "ends_at": at(days, 12),
            "capacity": 20,
            "municipality": "Emmen",
            "venue": "Emmtec Industry & Business Park",
            "address": "Bargermeerweg 12",
        },
        headers=organiser,
    )
    assert r.status_code == 201, r.text
    event_id = r.json()["id"]
    r = await client.post(f"/api/events/{event_id}/publish", headers=organiser)
    assert r.status_code == 200, r.text
    r = await client.post(
        f"/api/events/{event_id}/registrations/bulk",
        json={"person_ids": [world.people[p] for p in people]},
        headers=organiser,
    )
    assert r.status_code in (200, 201), r.text
    by_person = {item["person_id"]: item["id"] for item in r.json()}
    registrations = {p: by_person[world.people[p]] for p in people}
    return SurveyWorld(event_id=event_id, registrations=registrations)


async def past_event_with_survey(client: httpx.AsyncClient, world: World) -> SurveyWorld:
    """Yesterday's meeting; everyone checked in; the survey invitations written (wave 0)."""
    setup = await event_with_people(client, world, days=-1)
    organiser = world.actors["organiser"].headers
    for registration_id in setup.registrations.values():
        r = await client.post(
            f"/api/events/{setup.event_id}/check-ins",
            json={"registration_id": registration_id},
            headers=organiser,
        )
        assert r.status_code == 200, r.text
    assert await surveys.send_due_surveys(utcnow()) == len(setup.registrations)
    return setup


async def survey_link(world: World, setup: SurveyWorld, person: str) -> str:
    """A survey token for this person, as the survey email makes one."""
    return await create_link(
        LinkPurpose.survey, registration_id=setup.registrations[person], person_id=world.people[person]
    )


async def rsvp_link(world: World, setup: SurveyWorld, person: str) -> str:
    """An RSVP token (also the ticket page's) for this person, as the confirmation email makes one."""
    return await create_link(
        LinkPurpose.rsvp, registration_id=setup.registrations[person], person_id=world.people[person]
    )


async def close_survey(event_id: int) -> None:
    """Every invitation of the event's survey closed an hour ago."""
    await SurveyInvitation.update({SurveyInvitation.closes_at: utcnow() - timedelta(hours=1)}).where(
        SurveyInvitation.survey.is_in(Survey.select(Survey.id).where(Survey.event == event_id))
    )


async def organiser_with_password(world: World) -> str:
    """The world's organiser gets a password; returns the email address to log in with."""
    principal = world.actors["organiser"].principal
    assert principal is not None
    await set_password(principal.account_id, PASSWORD)
    return principal.email


async def send_csrf_token(client: httpx.AsyncClient) -> str:
    """What a browser does with the form's hidden field: fetch a page (which sets the CSRF cookie) and send
    its token with every later form post, here as the X-CSRFToken header. Returns the token."""
    from dtz_events.pages.csrf import COOKIE, HEADER

    r = await client.get("/login")
    assert r.status_code == 200, r.text
    token = client.cookies.get(COOKIE) or ""
    assert token, "the login page sets the CSRF cookie"
    client.headers[HEADER] = token
    return token
