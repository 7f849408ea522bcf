"""Participants in real Chromium: the survey answered from the link in the email (and changed), bad and
closed links, the ticket page from the confirmation email, and screenshots for review."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from playwright.async_api import Page, expect

from dtz_events import scheduler
from dtz_events.core.clock import utcnow
from dtz_events.registrations.tables import Registration
from dtz_events.surveys.tables import ReportedContact, SurveyResponse
from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.support.fixtures import LiveServer, MailEnv, World
from tests.support.pages import close_survey, event_with_people

pytestmark = pytest.mark.browser

EMAIL_LINK = r"http://testserver\.local(/{what}/[A-Za-z0-9_\-]+)"


def link_in(mail_env: MailEnv, address: str, what: str) -> str:
    """The path of the newest `what` link (survey, ticket) in the plain text of this person's emails."""
    paths = []
    for received in mail_env.sink.to(address):
        text = received.message.get_body(("plain",)).get_content()
        paths += re.findall(EMAIL_LINK.format(what=what), text)
    assert paths, f"no /{what}/ link in the emails to {address}"
    return str(paths[-1])


async def survey_sent(client: httpx.AsyncClient, world: World, mail_env: MailEnv) -> tuple[int, str]:
    """Yesterday's meeting, everyone checked in, the scheduler's tick sends the survey: event id and the
    survey link's path from Anouk's email."""
    setup = await event_with_people(client, world, days=-1)
    for registration_id in setup.registrations.values():
        r = await client.post(
            f"/api/events/{setup.event_id}/check-ins",
            json={"registration_id": registration_id},
            headers=world.actors["organiser"].headers,
        )
        assert r.status_code == 200, r.text
    await scheduler.tick(utcnow())
    await scheduler.tick(utcnow() + timedelta(minutes=1))
    await mail_env.flush()
    return setup.event_id, link_in(mail_env, "anouk.jansen@emmtec.example", "survey")


async def test_survey_from_the_email_is_answered_and_changed(
    server: LiveServer, phone: Page, client: httpx.AsyncClient, world: World, mail_env: MailEnv
) -> None:
    _, path = await survey_sent(client, world, mail_env)
    response = await phone.goto(server.url + path)
    assert response is not None
    assert response.status == 200
    await expect(phone.get_by_role("heading", level=1)).to_have_text("Hoe was het?")

    # Sending without the required answer: the form comes back with the error, and focus on the summary.
    await phone.get_by_role("button", name="Verstuur mijn antwoorden").click()
    await expect(phone.locator("#error-summary")).to_be_focused()
    await expect(phone.locator("#q-overall-error")).to_contain_text("Beantwoord deze vraag.")
    assert await SurveyResponse.count() == 0

    await phone.locator("#q-overall").get_by_role("radio", name="4").check()
    await phone.locator("#q-recommend").get_by_role("radio", name="9").check()
    await phone.get_by_role("checkbox", name="Nieuwe contacten").check()
    await phone.get_by_label("Drenthe College").select_option("follow_up")
    await phone.get_by_label("Wat kan er beter?").fill("Meer tijd voor 1:1-gesprekken")
    await phone.get_by_role("button", name="Verstuur mijn antwoorden").click()
    await expect(phone.get_by_role("heading", level=1)).to_have_text("Bedankt, je antwoorden zijn opgeslagen")

    rows = await SurveyResponse.select(SurveyResponse.answers)
    assert len(rows) == 1
    answers = rows[0]["answers"].replace(" ", "")
    assert '"overall":4' in answers
    assert '"recommend":9' in answers
    assert "1:1-gesprekken" in answers
    contacts = await ReportedContact.select(ReportedContact.other, ReportedContact.outcome)
    assert contacts == [{"other": world.organisations["b"], "outcome": "follow_up"}]

    # Change: the same link opens the form with the earlier answers, and saving replaces them.
    await phone.get_by_role("link", name="Mijn antwoorden wijzigen").click()
    await expect(phone.locator("#q-overall").get_by_role("radio", name="4")).to_be_checked()
    await expect(phone.get_by_label("Drenthe College")).to_have_value("follow_up")
    await phone.locator("#q-overall").get_by_role("radio", name="5").check()
    await phone.get_by_label("Drenthe College").select_option("joint_project")
    await phone.get_by_role("button", name="Verstuur mijn antwoorden").click()
    await expect(phone.get_by_role("heading", level=1)).to_have_text("Bedankt, je antwoorden zijn opgeslagen")
    rows = await SurveyResponse.select(SurveyResponse.answers)
    assert len(rows) == 1
    assert '"overall":5' in rows[0]["answers"].replace(" ", "")
    assert await ReportedContact.select(ReportedContact.outcome) == [{"outcome": "joint_project"}]


async def test_tampered_and_closed_links_show_clear_pages(
    server: LiveServer, phone: Page, client: httpx.AsyncClient, world: World, mail_env: MailEnv
) -> None:
    event_id, path = await survey_sent(client, world, mail_env)
    for bad in (path[:-3] + "abc", path + "x", "/survey/" + "A" * 400, path.replace("/survey/", "/ticket/")):
        response = await phone.goto(server.url + bad)
        assert response is not None
        assert response.status == 404, bad
        await expect(phone.get_by_role("heading", level=1)).to_have_text("Deze link is niet geldig")

    await close_survey(event_id)
    response = await phone.goto(server.url + path)
    assert response is not None
    assert response.status == 200
    await expect(phone.get_by_role("heading", level=1)).to_have_text("Deze vragenlijst is gesloten")
    assert await phone.locator("form").count() == 0


async def test_ticket_page_from_the_confirmation_email(
    server: LiveServer, phone: Page, client: httpx.AsyncClient, world: World, mail_env: MailEnv
) -> None:
    setup = await event_with_people(client, world, days=3, people=("a1",))
    await mail_env.flush()
    path = link_in(mail_env, "anouk.jansen@emmtec.example", "ticket")
    response = await phone.goto(server.url + path)
    assert response is not None
    assert response.status == 200
    row = (
        await Registration.select(Registration.checkin_code)
        .where(Registration.id == setup.registrations["a1"])
        .first()
    )
    assert row is not None
    code = row["checkin_code"]
    await expect(phone.locator(".code")).to_contain_text(f"{code[:4]}-{code[4:]}")
    qr = phone.get_by_role("img", name=re.compile("QR-code voor toegangscode"))
    await expect(qr).to_be_visible()
    box = await qr.locator("svg").bounding_box()
    assert box is not None
    assert box["width"] >= 200  # large enough to scan from a phone held up at the door
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"]


async def test_screenshots_for_review(
    server: LiveServer,
    phone: Page,
    desktop: Page,
    client: httpx.AsyncClient,
    world: World,
    mail_env: MailEnv,
) -> None:
    _, survey_path = await survey_sent(client, world, mail_env)
    ticket_path = link_in(mail_env, "anouk.jansen@emmtec.example", "ticket")
    saved = []
    for page, size in ((phone, "phone"), (desktop, "desktop")):
        await page.goto(server.url + survey_path)
        saved.append(await screenshot(page, f"survey-{size}"))
        await page.get_by_role("button", name="Verstuur mijn antwoorden").click()
        saved.append(await screenshot(page, f"survey-errors-{size}"))
        await page.goto(server.url + ticket_path)
        saved.append(await screenshot(page, f"ticket-{size}"))
        # Nothing sticks out sideways: no horizontal scrolling on a phone.
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= (PHONE if size == "phone" else DESKTOP)["width"]
    assert all(p.is_file() and p.stat().st_size > 1000 for p in saved)
