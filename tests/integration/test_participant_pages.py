"""The survey, ticket, login and check-in pages over HTTP: statuses, languages, errors next to fields, and
bad links that show a page instead of an error. The browser tests (tests/browser) drive the same pages."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from dtz_events.accounts.services import set_password
from dtz_events.core.clock import utcnow
from dtz_events.partners.tables import Person
from dtz_events.registrations.links import LinkPurpose, create_link
from dtz_events.registrations.tables import Registration
from dtz_events.surveys import services as surveys
from dtz_events.surveys.services import normalise_code
from dtz_events.surveys.tables import ReportedContact, SurveyInvitation, SurveyResponse
from tests.support.fixtures import World
from tests.support.pages import (
    PASSWORD,
    close_survey,
    event_with_people,
    organiser_with_password,
    past_event_with_survey,
    rsvp_link,
    send_csrf_token,
    survey_link,
)

pytestmark = pytest.mark.sqlite


@pytest.fixture(autouse=True)
async def _forms_carry_the_csrf_token(client: httpx.AsyncClient) -> None:
    """Every form of these pages carries the CSRF token, as a browser sends it."""
    await send_csrf_token(client)


def html(r: httpx.Response) -> str:
    assert r.headers["content-type"].startswith("text/html"), r.headers["content-type"]
    return r.text


async def test_survey_form_is_in_the_participants_language_with_organisations_present(
    client: httpx.AsyncClient, world: World
) -> None:
    setup = await past_event_with_survey(client, world)
    token = await survey_link(world, setup, "a1")
    page = html(await client.get(f"/survey/{token}"))
    assert '<html lang="nl">' in page
    assert "Hoe waardeer je deze bijeenkomst?" in page
    assert "Netwerkbijeenkomst Waterstof &amp; Energie" in page
    # Organisations present, without the respondent's own.
    assert "Drenthe College" in page
    assert "Gemeente Coevorden" in page
    assert f'name="contacts.{world.organisations["a"]}"' not in page
    assert f'name="contacts.{world.organisations["b"]}"' in page
    assert "Vervolgafspraak gepland" in page
    assert page.count('type="radio" id="q-recommend-') == 11
    assert page.count('type="radio" id="q-overall-') == 5

    await Person.update({Person.language: "en"}).where(Person.id == world.people["b1"])
    english = html(await client.get(f"/survey/{await survey_link(world, setup, 'b1')}"))
    assert '<html lang="en">' in english
    assert "How do you rate this event?" in english
    assert "Follow-up planned" in english


async def test_survey_answer_is_saved_prefilled_and_changed_in_place(
    client: httpx.AsyncClient, world: World
) -> None:
    setup = await past_event_with_survey(client, world)
    token = await survey_link(world, setup, "a1")
    drenthe = world.organisations["b"]
    form = {
        "overall": "4",
        "recommend": "8",
        "value": ["contacts", "project"],
        f"contacts.{drenthe}": "follow_up",
        "remarks": "Meer tijd voor <b>gesprekken</b>",
    }
    r = await client.post(f"/survey/{token}", data=form)
    assert r.status_code == 200, r.text
    assert "Bedankt, je antwoorden zijn opgeslagen" in html(r)
    assert f'href="/survey/{token}"' in r.text
    rows = await SurveyResponse.select()
    assert len(rows) == 1
    contacts = await ReportedContact.select(ReportedContact.other, ReportedContact.outcome)
    assert contacts == [{"other": drenthe, "outcome": "follow_up"}]

    page = html(await client.get(f"/survey/{token}"))
    assert re.search(r'name="overall" value="4" checked', page)
    assert re.search(r'name="recommend" value="8" checked', page)
    assert re.search(r'name="value" value="project" checked', page)
    assert re.search(r'<option value="follow_up" selected>', page)
    assert "Meer tijd voor &lt;b&gt;gesprekken&lt;/b&gt;</textarea>" in page

    r = await client.post(
        f"/survey/{token}", data={**form, "overall": "5", f"contacts.{drenthe}": "agreement"}
    )
    assert r.status_code == 200
    assert await SurveyResponse.count() == 1
    response = await SurveyResponse.select(SurveyResponse.answers).first()
    assert response is not None
    assert '"overall":5' in response["answers"].replace(" ", "")
    assert await ReportedContact.select(ReportedContact.outcome) == [{"outcome": "agreement"}]


async def test_invalid_answers_show_the_form_again_with_errors_next_to_the_fields(
    client: httpx.AsyncClient, world: World
) -> None:
    setup = await past_event_with_survey(client, world)
    token = await survey_link(world, setup, "a1")
    drenthe = world.organisations["b"]
    r = await client.post(
        f"/survey/{token}",
        data={"recommend": "11", f"contacts.{drenthe}": "married", "remarks": "Goed geregeld"},
    )
    assert r.status_code == 400
    page = html(r)
    assert 'class="error-summary" role="alert"' in page
    assert "Beantwoord deze vraag." in page  # overall is required
    assert "Kies een getal van 0 tot en met 10." in page
    assert "Kies een van de uitkomsten." in page
    assert 'id="q-overall-error"' in page
    assert 'aria-describedby="q-overall-hint q-overall-error"' in page
    assert f'href="#q-contacts-{drenthe}"' in page
    assert "Goed geregeld</textarea>" in page  # what was typed stays
    assert await SurveyResponse.count() == 0


async def test_bad_links_show_a_page_never_an_error(client: httpx.AsyncClient, world: World) -> None:
    setup = await past_event_with_survey(client, world)
    token = await survey_link(world, setup, "a1")
    rsvp_token = await rsvp_link(world, setup, "a1")
    for path in (
        f"/survey/{token[:-2]}xx",
        f"/survey/{token}x",
        "/survey/" + "x" * 600,
        f"/survey/{rsvp_token}",  # a link of another purpose
        f"/ticket/{token}",
        "/ticket/%E2%80%8Bnothing",
    ):
        r = await client.get(path, headers={"Accept-Language": "en-GB,en;q=0.8"})
        assert r.status_code == 404, (path, r.status_code)
        assert "This link is not valid" in html(r)
    r = await client.post(f"/survey/{token[:-2]}xx", data={"overall": "3"})
    assert r.status_code == 404
    assert "Deze link is niet geldig" in html(r)


async def test_closed_survey_says_so_and_keeps_the_answers(client: httpx.AsyncClient, world: World) -> None:
    setup = await past_event_with_survey(client, world)
    token = await survey_link(world, setup, "a1")
    assert (await client.post(f"/survey/{token}", data={"overall": "3"})).status_code == 200
    await close_survey(setup.event_id)
    r = await client.get(f"/survey/{token}")
    assert r.status_code == 200
    page = html(r)
    assert "Deze vragenlijst is gesloten" in page
    assert "Je antwoorden zijn ontvangen" in page
    assert "<form" not in page
    r = await client.post(f"/survey/{token}", data={"overall": "1"})
    assert r.status_code == 409
    assert "Deze vragenlijst is gesloten" in html(r)
    response = await SurveyResponse.select(SurveyResponse.answers).first()
    assert response is not None
    assert '"overall":3' in response["answers"].replace(" ", "")


async def test_followup_asks_only_about_the_organisations_reported(
    client: httpx.AsyncClient, world: World
) -> None:
    setup = await past_event_with_survey(client, world)
    token = await survey_link(world, setup, "a1")
    drenthe = world.organisations["b"]
    r = await client.post(f"/survey/{token}", data={"overall": "4", f"contacts.{drenthe}": "contact"})
    assert r.status_code == 200
    wave0 = (
        await SurveyInvitation.select()
        .where(SurveyInvitation.registration == setup.registrations["a1"])
        .first()
    )
    assert wave0 is not None
    followup = SurveyInvitation(
        survey=wave0["survey"],
        registration=wave0["registration"],
        organisation=wave0["organisation"],
        wave=3,
        closes_at=wave0["closes_at"],
    )
    await followup.save()
    page = html(await client.get(f"/survey/{token}"))
    assert "Hoe hebben je contacten zich ontwikkeld?" in page
    assert "Drenthe College" in page
    assert "Gemeente Coevorden" not in page
    assert 'name="overall"' not in page
    assert '<option value="contact" selected>' in page
    r = await client.post(f"/survey/{token}", data={f"contacts.{drenthe}": "joint_project"})
    assert r.status_code == 200, r.text
    page = html(await client.get(f"/survey/{token}"))
    assert '<option value="joint_project" selected>' in page


async def test_ticket_page_shows_the_code_only_for_a_confirmed_registration(
    client: httpx.AsyncClient, world: World
) -> None:
    setup = await event_with_people(client, world, days=5, people=("a1", "b1"))
    token = await rsvp_link(world, setup, "a1")
    row = (
        await Registration.select(Registration.checkin_code)
        .where(Registration.id == setup.registrations["a1"])
        .first()
    )
    assert row is not None
    code = row["checkin_code"]
    page = html(await client.get(f"/ticket/{token}"))
    assert "<svg" in page
    assert f"{code[:4]}-{code[4:]}" in page
    assert 'role="img"' in page
    assert "Bevestigd" in page
    assert f'href="/rsvp/{token}"' in page

    organiser = world.actors["organiser"].headers
    r = await client.delete(f"/api/registrations/{setup.registrations['a1']}", headers=organiser)
    if r.status_code == 405:
        r = await client.post(f"/api/registrations/{setup.registrations['a1']}/cancel", headers=organiser)
    assert r.status_code in (200, 204), r.text
    page = html(await client.get(f"/ticket/{token}"))
    assert "<svg" not in page
    assert code not in page
    assert "geannuleerd" in page


async def test_login_and_the_check_in_page(client: httpx.AsyncClient, world: World) -> None:
    setup = await event_with_people(client, world, days=0, people=("a1", "b1", "c1"))
    path = f"/organiser/events/{setup.event_id}/check-in"
    r = await client.get(path)
    assert r.status_code == 303
    assert r.headers["location"] == f"/login?next={path}"
    assert "<form" in html(await client.get(r.headers["location"]))

    email = await organiser_with_password(world)
    r = await client.post("/login", data={"email": email, "password": "wrong", "next": path})
    assert r.status_code == 400
    assert "Onjuist e-mailadres of wachtwoord" in html(r)
    r = await client.post("/login", data={"email": email, "password": PASSWORD, "next": "//evil.example/x"})
    assert r.status_code == 303
    assert r.headers["location"] == "/organiser"
    r = await client.post("/login", data={"email": email, "password": PASSWORD, "next": path})
    assert r.status_code == 303
    assert r.headers["location"] == path

    page = html(await client.get(path))
    assert "Anouk Jansen" in page
    assert 'role="status"' in page
    assert "0 van 3 ingecheckt" in page
    assert '<script src="/static/checkin.js"' in page  # the script (no inline scripts: the CSP) ...
    assert "/api/events/" in (await client.get("/static/checkin.js")).text  # ... calls the API

    code = (
        await Registration.select(Registration.checkin_code)
        .where(Registration.id == setup.registrations["b1"])
        .first()
    )
    assert code is not None
    # Without JavaScript the form posts to the page.
    r = await client.post(path, data={"code": f"dtz-{code['checkin_code'].lower()}"})
    assert r.status_code == 200
    assert "Cor Bakker is ingecheckt" in html(r)
    assert "1 van 3 ingecheckt" in r.text
    r = await client.post(path, data={"code": "ZZZZ-ZZZZ"})
    assert r.status_code == 404
    assert "Geen aanmelding voor deze bijeenkomst" in html(r)
    # With JavaScript the page calls the JSON API with the same session cookie.
    r = await client.post(
        f"/api/events/{setup.event_id}/check-ins", json={"registration_id": setup.registrations["a1"]}
    )
    assert r.status_code == 200, r.text
    assert r.json()["person_name"] == "Anouk Jansen"

    assert (await client.get("/organiser")).status_code == 200
    r = await client.post("/logout")
    assert r.status_code == 303
    assert (await client.get(path)).status_code == 303


async def test_partner_coordinators_get_no_check_in_page(client: httpx.AsyncClient, world: World) -> None:
    setup = await event_with_people(client, world, days=0, people=("a1",))
    partner = world.actors["partner_a"].principal
    assert partner is not None
    await set_password(partner.account_id, PASSWORD)
    r = await client.post("/login", data={"email": partner.email, "password": PASSWORD, "next": "/"})
    assert r.status_code == 303
    r = await client.get(f"/organiser/events/{setup.event_id}/check-in")
    assert r.status_code == 404
    assert "Anouk" not in html(r)
    r = await client.post(f"/organiser/events/{setup.event_id}/check-in", data={"registration_id": "1"})
    assert r.status_code == 404
    assert await Registration.count().where(Registration.checked_in_at.is_not_null()) == 0


def test_check_in_codes_are_normalised() -> None:
    assert normalise_code("dtz-abcd-2345") == "ABCD2345"
    assert normalise_code(" ABCD 2345 ") == "ABCD2345"
    assert normalise_code("DTZ-DTZ45678") == "DTZ45678"
    # A code that itself begins with DTZ keeps its letters.
    assert normalise_code("DTZ45678") == "DTZ45678"
    assert normalise_code("dtz4-5678") == "DTZ45678"


async def test_ticket_page_for_a_board_member_who_is_invited(client: httpx.AsyncClient, world: World) -> None:
    r = await client.post(
        f"/api/events/{world.events['board']}/registrations/bulk",
        json={"person_ids": [world.people["c1"]]},
        headers=world.actors["organiser"].headers,
    )
    assert r.status_code in (200, 201), r.text
    [registration] = r.json()
    token = await create_link(
        LinkPurpose.rsvp, registration_id=registration["id"], person_id=world.people["c1"]
    )
    assert registration["status"] == "invited"  # board members are invited, never confirmed
    page = html(await client.get(f"/ticket/{token}"))
    assert "Uitgenodigd" in page
    assert "<svg" in page
    await Registration.update({Registration.rsvp: "declined"}).where(Registration.id == registration["id"])
    page = html(await client.get(f"/ticket/{token}"))
    assert "<svg" not in page
    assert "afgemeld" in page


async def test_two_submissions_at_once_keep_one_response(client: httpx.AsyncClient, world: World) -> None:
    """A double click sends the form twice at the same moment: one response row, and no error."""
    setup = await past_event_with_survey(client, world)
    token = await survey_link(world, setup, "a1")
    drenthe = world.organisations["b"]
    form = {"overall": "4", f"contacts.{drenthe}": "contact"}
    first, second = await asyncio.gather(
        client.post(f"/survey/{token}", data=form), client.post(f"/survey/{token}", data=form)
    )
    assert (first.status_code, second.status_code) == (200, 200), (first.text[-300:], second.text[-300:])
    assert await SurveyResponse.count() == 1
    assert await ReportedContact.count() == 1


async def test_hostile_names_and_titles_are_escaped_on_every_page(
    client: httpx.AsyncClient, world: World
) -> None:
    script = "<script>alert(1)</script>"
    await Person.update({Person.name: f"Anouk {script}"}).where(Person.id == world.people["a1"])
    setup = await event_with_people(client, world, days=-1, title=f'Borrel {script} & "Co"')
    organiser = world.actors["organiser"].headers
    for registration_id in setup.registrations.values():
        r = await client.post(
            f"/api/events/{setup.event_id}/check-ins",
            json={"registration_id": registration_id},
            headers=organiser,
        )
        assert r.status_code == 200
    await surveys.send_due_surveys(utcnow())
    pages = [
        await client.get(f"/survey/{await survey_link(world, setup, 'a1')}"),
        await client.get(f"/ticket/{await rsvp_link(world, setup, 'a1')}"),
    ]
    email = await organiser_with_password(world)
    await client.post("/login", data={"email": email, "password": PASSWORD, "next": "/"})
    pages.append(await client.get(f"/organiser/events/{setup.event_id}/check-in"))
    pages.append(await client.get("/organiser"))
    for r in pages:
        assert r.status_code == 200, r.url
        assert script not in r.text, r.url
        assert "&lt;script&gt;" in r.text, r.url
