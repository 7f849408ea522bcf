"""The personal page behind the link, as a browser uses it: fill in the profile and availability, see the
others, ask one of them, the other accepts on their page; then the agenda lists the meeting with its table.
In the participant's language (nl here; en for an English speaker)."""

from __future__ import annotations

import json

import httpx
import pytest

from dtz_events.matchmaking.tables import MatchmakingProfile, Meeting, MeetingRequest
from dtz_events.pages.csrf import COOKIE
from dtz_events.partners.tables import Person
from tests.integration.matchmaking.helpers import matchmaking_event, schedule
from tests.support.fixtures import MailEnv, World

pytestmark = pytest.mark.sqlite


async def post_form(client: httpx.AsyncClient, path: str, data: dict[str, object]) -> httpx.Response:
    page = path.split("/")
    await client.get("/" + "/".join(page[1:3]))  # the page sets the CSRF cookie
    return await client.post(path, data={**data, "_csrf_token": client.cookies.get(COOKIE)})


async def test_profile_request_and_answer_on_the_page(
    client: httpx.AsyncClient, world: World, mail_env: MailEnv
) -> None:
    setup = await matchmaking_event(client, world, ("a1", "b1"))
    a1, b1 = setup.tokens["a1"], setup.tokens["b1"]
    await Person.update({Person.language: "en"}).where(Person.id == world.people["b1"])

    page = await client.get(f"/matchmaking/{a1}")
    assert page.status_code == 200
    assert "Je profiel" in page.text
    assert "Nog geen andere deelnemers" in page.text

    for token, offers in ((a1, "Procesautomatisering"), (b1, "Stagiairs techniek")):
        saved = await post_form(
            client,
            f"/matchmaking/{token}/profile",
            {"offers": offers, "seeks": "", "visible": "on", "slot": ["0", "1", "4"]},
        )
        assert saved.status_code == 303, saved.text
    rows = {r["person"]: r for r in await MatchmakingProfile.select()}
    assert rows[world.people["a1"]]["offers"] == "Procesautomatisering"
    stored = rows[world.people["a1"]]["available_slots"]
    assert (stored if isinstance(stored, list) else json.loads(stored)) == [0, 1, 4]

    page = await client.get(f"/matchmaking/{a1}")
    assert "Cor Bakker" in page.text
    assert "Stagiairs techniek" in page.text
    asked = await post_form(
        client,
        f"/matchmaking/{a1}/requests",
        {"recipient_id": world.people["b1"], "priority": "3", "message": "Hoi!"},
    )
    assert asked.status_code == 303, asked.text
    [request] = await MeetingRequest.select()
    assert (request["priority"], request["message"]) == (3, "Hoi!")
    assert "You already have a request with this person." not in (await client.get(f"/matchmaking/{a1}")).text
    assert "Je hebt al een verzoek lopen met deze persoon." in (await client.get(f"/matchmaking/{a1}")).text

    b1_page = await client.get(f"/matchmaking/{b1}")
    assert "Requests to you" in b1_page.text  # b1 reads English
    assert "Hoi!" in b1_page.text
    accepted = await post_form(client, f"/matchmaking/{b1}/requests/{request['id']}/accept", {})
    assert accepted.status_code == 303
    assert await Meeting.count() == 1

    organiser = world.actors["organiser"].headers
    await schedule(client, setup.event_id, organiser, mail_env)
    [meeting] = await Meeting.select()
    assert meeting["slot"] in (0, 1, 4)
    agenda = await client.get(f"/matchmaking/{b1}")
    assert f"<td>{meeting['table_number']}</td>" in agenda.text
    assert "Anouk Jansen" in agenda.text

    # A bad form is refused with a page, not a 500.
    bad = await post_form(client, f"/matchmaking/{a1}/profile", {"offers": "x", "slot": ["99"]})
    assert bad.status_code == 409
    bad = await post_form(client, f"/matchmaking/{a1}/requests", {"recipient_id": "abc"})
    assert bad.status_code == 409
    # Without the CSRF token (a cross-site form), nothing is saved.
    forged = await client.post(f"/matchmaking/{a1}/profile", data={"offers": "gehackt"})
    assert forged.status_code == 403
