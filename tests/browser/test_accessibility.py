"""axe-core in real Chromium on every participant and organiser page, in the states people see: no serious
or critical violations. Plus the keyboard: a skip link, and a focus ring that can be seen."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from dtz_events.core.clock import utcnow
from dtz_events.partners.tables import Person
from dtz_events.surveys import services as surveys
from tests.browser.conftest import axe_violations, describe
from tests.support.fixtures import LiveServer, World
from tests.support.pages import (
    PASSWORD,
    close_survey,
    event_with_people,
    organiser_with_password,
    rsvp_link,
    survey_link,
)

pytestmark = pytest.mark.browser


async def check(page: Page, name: str, found: dict[str, str]) -> None:
    violations = await axe_violations(page)
    if violations:
        found[name] = describe(violations)


@pytest.mark.parametrize("lang", ["nl", "en"])
async def test_no_serious_or_critical_violations(
    server: LiveServer, browser: Browser, client: httpx.AsyncClient, world: World, lang: str
) -> None:
    context = await browser.new_context(
        viewport={"width": 390, "height": 844}, locale="nl-NL" if lang == "nl" else "en-GB"
    )
    page = await context.new_page()
    found: dict[str, str] = {}
    try:
        if lang == "en":
            await Person.update({Person.language: "en"}).where(Person.id.is_in(list(world.people.values())))
        # A past meeting with its survey, a coming one for the RSVP and ticket pages, one today for the door.
        past = await event_with_people(client, world, days=-1)
        for registration_id in past.registrations.values():
            r = await client.post(
                f"/api/events/{past.event_id}/check-ins",
                json={"registration_id": registration_id},
                headers=world.actors["organiser"].headers,
            )
            assert r.status_code == 200, r.text
        assert await surveys.send_due_surveys(utcnow()) == 3
        coming = await event_with_people(client, world, days=5, people=("a1", "b1"), title="Techniekdag")
        today = await event_with_people(client, world, days=0, people=("a1", "b1", "c1"), title="Vandaag")

        survey = server.url + "/survey/" + await survey_link(world, past, "a1")
        await page.goto(survey)
        await check(page, "survey form", found)
        await page.locator("form button[type=submit]").click()
        await expect(page.locator("#error-summary")).to_be_visible()
        await check(page, "survey form with errors", found)
        await page.locator("#q-overall-3").check()
        await page.locator("form button[type=submit]").click()
        await expect(page.locator("a.button.secondary")).to_be_visible()
        await check(page, "survey thank-you", found)
        await close_survey(past.event_id)
        await page.goto(survey)
        await check(page, "survey closed", found)
        await page.goto(server.url + "/survey/not-a-real-token")
        await check(page, "invalid link", found)

        token = await rsvp_link(world, coming, "a1")
        await page.goto(server.url + f"/ticket/{token}")
        await expect(page.locator(".qr svg")).to_be_visible()
        await check(page, "ticket", found)
        await page.goto(server.url + f"/rsvp/{token}")
        await check(page, "rsvp", found)
        await page.locator("input[value=accepted]").check()
        await page.locator("form button[type=submit]").click()
        await expect(page.locator("h1")).to_be_visible()
        await check(page, "rsvp thank-you", found)

        email = await organiser_with_password(world)
        check_in = f"/organiser/events/{today.event_id}/check-in"
        await page.goto(server.url + check_in)
        await check(page, "login", found)
        await page.locator("#email").fill(email)
        await page.locator("#password").fill("not the password")
        await page.locator("form button[type=submit]").click()
        await expect(page.locator("#login-error")).to_be_visible()
        await check(page, "login with error", found)
        await page.locator("#password").fill(PASSWORD)
        await page.locator("form button[type=submit]").click()
        await page.wait_for_url(server.url + check_in)
        await check(page, "check-in", found)
        await page.locator("#code").fill("ZZZZ-ZZZZ")
        await page.locator("#code").press("Enter")
        await expect(page.locator("#result")).to_have_class("notice error")
        await check(page, "check-in with a result", found)
        await page.goto(server.url + "/organiser")
        await check(page, "organiser events", found)
    finally:
        await context.close()
    assert not found, "\n\n".join(f"{name}:\n{text}" for name, text in found.items())


async def test_keyboard_reaches_the_form_with_a_visible_focus(
    server: LiveServer, phone: Page, client: httpx.AsyncClient, world: World
) -> None:
    past = await event_with_people(client, world, days=-1, people=("a1", "b1"))
    for registration_id in past.registrations.values():
        await client.post(
            f"/api/events/{past.event_id}/check-ins",
            json={"registration_id": registration_id},
            headers=world.actors["organiser"].headers,
        )
    await surveys.send_due_surveys(utcnow())
    await phone.goto(server.url + "/survey/" + await survey_link(world, past, "a1"))

    await phone.keyboard.press("Tab")
    skip = phone.get_by_role("link", name="Naar de inhoud")
    await expect(skip).to_be_focused()
    box = await skip.bounding_box()
    assert box is not None
    assert box["x"] >= 0  # shown when focused
    await phone.keyboard.press("Enter")

    # Tab to the first rating, choose with the arrow keys, and see the ring around the focused choice.
    for _ in range(10):
        await phone.keyboard.press("Tab")
        if await phone.evaluate("document.activeElement.name") == "overall":
            break
    assert await phone.evaluate("document.activeElement.name") == "overall"
    await phone.keyboard.press("ArrowRight")
    await phone.keyboard.press("ArrowRight")
    assert await phone.evaluate("document.activeElement.value") in ("2", "3")
    ring = await phone.evaluate("getComputedStyle(document.activeElement.closest('label')).outlineStyle")
    assert ring == "solid"


async def test_the_check_itself_finds_violations(phone: Page) -> None:
    """Guards the tests above against passing vacuously: a page with known faults fails axe."""
    await phone.set_content(
        '<!doctype html><html lang="nl"><head><title>x</title></head><body><main>'
        '<p style="color:#bbb;background:#fff">te licht</p><input type="text"></main></body></html>'
    )
    found = {v["id"] for v in await axe_violations(phone)}
    assert {"color-contrast", "label"} <= found
