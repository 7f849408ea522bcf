"""Issue 9's acceptance in real Chromium: an organiser creates and publishes a network meeting; a partner
coordinator registers two people; their emails arrive at the SMTP server; one accepts through the email's
link; the organiser sees both registrations and that answer. axe-core on every page on the way; phone and
desktop screenshots of the main pages in tests/artifacts/."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from dtz_events.accounts.services import set_password
from tests.browser.conftest import DESKTOP, PHONE, axe_violations, describe, screenshot
from tests.support.fixtures import LiveServer, World, free_port, start_server, stop_server
from tests.support.pages import PASSWORD, organiser_with_password
from tests.support.smtp import SmtpSink

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sink() -> Iterator[SmtpSink]:
    smtp = SmtpSink(free_port())
    smtp.start()
    yield smtp
    smtp.stop()


@pytest.fixture(scope="module")
def server(database: None, sink: SmtpSink) -> Iterator[LiveServer]:
    """The web process with its in-process worker sending to the SMTP sink."""
    live = start_server(workers=1, env={"DTZ_SCHEDULER_INTERVAL": "3600", "DTZ_SMTP_URL": sink.url})
    yield live
    stop_server(live)


async def check_axe(page: Page) -> None:
    violations = await axe_violations(page)
    assert not violations, f"{page.url}\n{describe(violations)}"


async def log_in(page: Page, server: LiveServer, email: str, path: str) -> None:
    await page.goto(server.url + path)
    await page.get_by_label("E-mailadres").fill(email)
    await page.get_by_label("Wachtwoord").fill(PASSWORD)
    await page.get_by_role("button", name="Inloggen").click()
    await page.wait_for_url(server.url + path)


def text_of(received: object) -> str:
    message = received.message  # type: ignore[attr-defined]
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return str(part.get_content())
    return ""


async def arrivals(sink: SmtpSink, address: str, seconds: float = 20) -> list[object]:
    for _ in range(int(seconds * 10)):
        found = sink.to(address)
        if found:
            return list(found)
        await asyncio.sleep(0.1)
    raise AssertionError(f"no email for {address}")


async def test_organiser_publishes_partner_registers_and_the_answer_shows(
    server: LiveServer, sink: SmtpSink, browser: Browser, client: httpx.AsyncClient, world: World
) -> None:
    organiser_email = await organiser_with_password(world)
    partner = world.actors["partner_a"].principal
    assert partner is not None
    await set_password(partner.account_id, PASSWORD)
    organiser_context = await browser.new_context(viewport=DESKTOP, locale="nl-NL")
    organiser = await organiser_context.new_page()
    partner_context = await browser.new_context(
        viewport=PHONE, locale="nl-NL", is_mobile=True, has_touch=True
    )
    coordinator = await partner_context.new_page()
    try:
        # The organiser creates the meeting.
        await log_in(organiser, server, organiser_email, "/organiser/events/new")
        await check_axe(organiser)
        await organiser.get_by_label("Titel").fill("Netwerkbijeenkomst Circulaire Maakindustrie")
        await organiser.get_by_label("Beschrijving").fill(
            "Bedrijven, scholen en overheid over circulair maken."
        )
        await organiser.get_by_label("Locatie").fill("Emmtec Industry & Business Park")
        await organiser.get_by_label("Gemeente").fill("Emmen")
        await organiser.get_by_label("Capaciteit").fill("40")
        await organiser.get_by_role("button", name="Concept maken").click()
        await expect(organiser.get_by_role("heading", level=1)).to_have_text(
            "Netwerkbijeenkomst Circulaire Maakindustrie"
        )
        event_url = organiser.url
        await check_axe(organiser)
        # The email preview, then publishing after the confirmation says who is told.
        await organiser.get_by_role("link", name="Voorbeeld e-mail").click()
        await expect(organiser.locator("#email-subject")).to_contain_text("Circulaire Maakindustrie")
        await check_axe(organiser)
        await organiser.goto(event_url)
        await organiser.get_by_role("link", name="Publiceren").click()
        await expect(organiser.locator("#who-total")).to_contain_text("Niemand krijgt een e-mail")
        await check_axe(organiser)
        await organiser.get_by_role("button", name="Publiceren").click()
        await expect(organiser.get_by_role("status")).to_be_visible()
        await check_axe(organiser)

        # The partner coordinator registers two of its people, on a phone.
        await log_in(coordinator, server, partner.email, "/partner")
        await check_axe(coordinator)
        await coordinator.get_by_role("link", name="Netwerkbijeenkomst Circulaire Maakindustrie").click()
        await coordinator.get_by_label("Anouk Jansen").check()
        await coordinator.get_by_label("Bram de Vries").check()
        await coordinator.get_by_role("button", name="Aanmelden", exact=True).click()
        await expect(coordinator.locator("#registrations")).to_contain_text("Anouk Jansen")
        await expect(coordinator.locator("#registrations")).to_contain_text("Bram de Vries")
        await check_axe(coordinator)
        await screenshot(coordinator, "partner-event-phone")

        # Both emails arrive, each with its own answer links; Anouk accepts through hers.
        anouk = await arrivals(sink, "anouk.jansen@emmtec.example")
        await arrivals(sink, "bram.devries@emmtec.example")
        link = re.search(r"https?://\S+/rsvp/(\S+)\?answer=accepted", text_of(anouk[0]))
        assert link, text_of(anouk[0])
        answer_page = await organiser_context.new_page()
        await answer_page.goto(f"{server.url}/rsvp/{link.group(1)}?answer=accepted")
        await answer_page.get_by_role("button", name="Verstuur mijn antwoord").click()
        await expect(answer_page.get_by_role("heading", level=1)).to_be_visible()
        await answer_page.close()

        # The organiser sees both registrations and Anouk's answer.
        await organiser.goto(event_url + "/attendees")
        table = organiser.locator("#attendees")
        await expect(table).to_contain_text("Anouk Jansen")
        await expect(table).to_contain_text("Bram de Vries")
        anouk_row = organiser.locator("#attendees tr", has_text="Anouk Jansen")
        await expect(anouk_row.locator(".rsvp")).to_have_text("Komt")
        bram_row = organiser.locator("#attendees tr", has_text="Bram de Vries")
        await expect(bram_row.locator(".rsvp")).to_have_text("Nog niet beantwoord")
        await check_axe(organiser)
        await screenshot(organiser, "attendees-desktop")
        await organiser.goto(server.url + "/organiser")
        await check_axe(organiser)
        await screenshot(organiser, "dashboard-desktop")
    finally:
        await organiser_context.close()
        await partner_context.close()


async def test_main_pages_on_a_phone_and_a_desktop(
    server: LiveServer, browser: Browser, client: httpx.AsyncClient, world: World
) -> None:
    """Screenshots for review, axe on the pages not yet checked, and no sideways scrolling on a phone."""
    email = await organiser_with_password(world)
    event = world.events["network"]
    for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        context = await browser.new_context(viewport=viewport, locale="nl-NL", is_mobile=size == "phone")
        page = await context.new_page()
        try:
            await log_in(page, server, email, "/organiser")
            await screenshot(page, f"dashboard-{size}")
            for name, path in (
                ("event", f"/organiser/events/{event}"),
                ("quotas", f"/organiser/events/{event}/quotas"),
                ("invite", f"/organiser/events/{event}/invite?q=a"),
                ("programmes", "/organiser/programmes"),
                ("programme", "/organiser/programmes/smart-industry-hub"),
                ("themes", "/organiser/themes"),
                ("import", "/organiser/import"),  # last: the import's dry run below starts here
            ):
                await page.goto(server.url + path)
                if size == "phone":
                    await check_axe(page)
                width = await page.evaluate("document.documentElement.scrollWidth")
                assert width <= viewport["width"], (path, width)
                await screenshot(page, f"{name}-{size}")
            if size == "desktop":  # the import's dry run, from a real file upload
                csv_text = (
                    "name;email;organisation\n"
                    "Eva Mulder;eva@nhlstenden.example;Drenthe College\n"
                    "Frank;;Drenthe College\n"
                )
                await page.get_by_label("Mensen").check()
                await page.get_by_label("CSV-bestand").set_input_files(
                    files=[{"name": "mensen.csv", "mimeType": "text/csv", "buffer": csv_text.encode()}]
                )
                await page.get_by_role("button", name="Alleen controleren").click()
                await expect(page.locator("#row-errors")).to_contain_text("email")
                await expect(page.locator("#n-valid")).to_have_text("1")
                await check_axe(page)
                await screenshot(page, "import-report-desktop")
        finally:
            await context.close()
    # The accounts page is for admins only.
    admin = world.actors["admin"].principal
    assert admin is not None
    await set_password(admin.account_id, PASSWORD)
    context = await browser.new_context(viewport=PHONE, locale="nl-NL", is_mobile=True)
    try:
        page = await context.new_page()
        await log_in(page, server, admin.email, "/organiser/accounts")
        await check_axe(page)
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        await screenshot(page, "accounts-phone")
    finally:
        await context.close()
