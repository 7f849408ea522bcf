"""The organiser's check-in page on a phone in real Chromium: log in through /login, type a code, see the
answer in the live region, and find the registration checked in."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Page, expect

from dtz_events.registrations.tables import Registration
from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.support.fixtures import LiveServer, World
from tests.support.pages import PASSWORD, event_with_people, organiser_with_password

pytestmark = pytest.mark.browser


async def code_of(registration_id: int) -> str:
    row = (
        await Registration.select(Registration.checkin_code).where(Registration.id == registration_id).first()
    )
    assert row is not None
    return str(row["checkin_code"])


async def checked_in(registration_id: int) -> bool:
    row = (
        await Registration.select(Registration.checked_in_at)
        .where(Registration.id == registration_id)
        .first()
    )
    assert row is not None
    return row["checked_in_at"] is not None


async def log_in(page: Page, server: LiveServer, email: str, path: str) -> None:
    """Open the page, get sent to /login, log in, and land back on the page."""
    await page.goto(server.url + path)
    assert page.url.startswith(server.url + "/login?next=")
    await page.get_by_label("E-mailadres").fill(email)
    await page.get_by_label("Wachtwoord").fill(PASSWORD)
    await page.get_by_role("button", name="Inloggen").click()
    await page.wait_for_url(server.url + path)


async def test_organiser_logs_in_and_checks_in_by_typed_code(
    server: LiveServer, phone: Page, client: httpx.AsyncClient, world: World
) -> None:
    setup = await event_with_people(client, world, days=0, people=("a1", "b1", "c1"))
    email = await organiser_with_password(world)
    path = f"/organiser/events/{setup.event_id}/check-in"
    await log_in(phone, server, email, path)
    await expect(phone.get_by_role("heading", level=1)).to_contain_text("Inchecken")
    await expect(phone.locator("#counter")).to_have_text("0 van 3 ingecheckt")

    # A typed code, in lower case and with the dash as it is shown on the ticket.
    code = await code_of(setup.registrations["b1"])
    box = phone.get_by_label("Toegangscode of naam")
    await box.fill(f"{code[:4]}-{code[4:]}".lower())
    await box.press("Enter")
    result = phone.get_by_role("status")
    await expect(result).to_have_text("Cor Bakker is ingecheckt.")
    await expect(box).to_be_focused()  # ready for the next person
    await expect(box).to_have_value("")
    await expect(phone.locator("#counter")).to_have_text("1 van 3 ingecheckt")
    await expect(phone.locator(f"#reg-{setup.registrations['b1']} .state")).to_contain_text("Ingecheckt om")
    assert await checked_in(setup.registrations["b1"])
    assert not await checked_in(setup.registrations["a1"])

    # The same code again says so; an unknown code says it is unknown.
    await box.fill(code)
    await box.press("Enter")
    await expect(result).to_contain_text("Cor Bakker was al ingecheckt om")
    await box.fill("ZZZZ-ZZZZ")
    await box.press("Enter")
    await expect(result).to_have_text("Geen aanmelding voor deze bijeenkomst heeft deze code.")

    # The list: a name filters it, and its button checks in by keyboard alone.
    await box.fill("anouk")
    await expect(phone.locator(f"#reg-{setup.registrations['c1']}")).to_be_hidden()
    button = phone.get_by_role("button", name="Anouk Jansen inchecken")
    await button.focus()
    await phone.keyboard.press("Enter")
    await expect(result).to_have_text("Anouk Jansen is ingecheckt.")
    await expect(phone.locator("#counter")).to_have_text("2 van 3 ingecheckt")
    assert await checked_in(setup.registrations["a1"])
    # The camera button appears only where the browser can read QR codes (not in headless Linux Chromium).
    if await phone.evaluate("'BarcodeDetector' in window"):
        await expect(phone.locator("#scan")).to_be_visible()
    else:
        await expect(phone.locator("#scan")).to_be_hidden()


async def test_check_in_page_screenshots(
    server: LiveServer, phone: Page, desktop: Page, client: httpx.AsyncClient, world: World
) -> None:
    setup = await event_with_people(client, world, days=0, people=("a1", "b1", "c1", "a2"))
    email = await organiser_with_password(world)
    path = f"/organiser/events/{setup.event_id}/check-in"
    for page, size in ((phone, "phone"), (desktop, "desktop")):
        await log_in(page, server, email, path)
        await page.get_by_label("Toegangscode of naam").fill(await code_of(setup.registrations["b1"]))
        await page.get_by_label("Toegangscode of naam").press("Enter")
        await expect(page.get_by_role("status")).to_contain_text("Cor Bakker")
        shot = await screenshot(page, f"checkin-{size}")
        assert shot.stat().st_size > 1000
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= (PHONE if size == "phone" else DESKTOP)["width"]


async def test_partner_coordinator_gets_no_check_in_page(
    server: LiveServer, phone: Page, client: httpx.AsyncClient, world: World
) -> None:
    from dtz_events.accounts.services import set_password

    setup = await event_with_people(client, world, days=0, people=("a1",))
    partner = world.actors["partner_a"].principal
    assert partner is not None
    await set_password(partner.account_id, PASSWORD)
    path = f"/organiser/events/{setup.event_id}/check-in"
    await phone.goto(server.url + path)
    await phone.get_by_label("E-mailadres").fill(partner.email)
    await phone.get_by_label("Wachtwoord").fill(PASSWORD)
    response_info = phone.expect_response(lambda r: r.url == server.url + path)
    async with response_info as info:
        await phone.get_by_role("button", name="Inloggen").click()
    response = await info.value
    assert response.status == 404
    await expect(phone.get_by_role("heading", level=1)).to_have_text("Pagina niet gevonden")


# A stand-in for a phone's camera and QR reader: a canvas as the camera, and a detector that "sees" the code
# on its third look. Chromium on Linux has no BarcodeDetector, so without this the button stays hidden.
FAKE_CAMERA = """
window.__scannedCode = null;
window.BarcodeDetector = class {
  constructor(options) { this.looks = 0; this.formats = options.formats; }
  async detect(source) {
    this.looks += 1;
    const seen = this.looks >= 3 && window.__scannedCode;
    return seen ? [{rawValue: window.__scannedCode, format: "qr_code"}] : [];
  }
};
navigator.mediaDevices.getUserMedia = async (constraints) => {
  window.__cameraConstraints = constraints;
  const canvas = document.createElement("canvas");
  canvas.width = 64; canvas.height = 64;
  canvas.getContext("2d").fillRect(0, 0, 64, 64);
  return canvas.captureStream(5);
};
"""


async def test_camera_scan_checks_in_where_the_browser_can_read_qr_codes(
    server: LiveServer, phone: Page, client: httpx.AsyncClient, world: World
) -> None:
    setup = await event_with_people(client, world, days=0, people=("a1", "b1"))
    email = await organiser_with_password(world)
    path = f"/organiser/events/{setup.event_id}/check-in"
    await phone.add_init_script(FAKE_CAMERA)
    await log_in(phone, server, email, path)
    scan = phone.get_by_role("button", name="QR-code scannen")
    await expect(scan).to_be_visible()
    code = await code_of(setup.registrations["a1"])
    await phone.evaluate(
        "code => { window.__scannedCode = code; }", f"DTZ-{code}"
    )  # what the ticket's QR holds
    await scan.click()
    await expect(phone.get_by_role("status")).to_have_text("Anouk Jansen is ingecheckt.")
    await expect(phone.locator("#camera")).to_be_hidden()  # the camera is off again
    await expect(scan).to_have_text("QR-code scannen")
    assert await phone.evaluate("window.__cameraConstraints.video.facingMode") == "environment"
    assert await checked_in(setup.registrations["a1"])
