"""The board pages in real Chromium: a member hands the seat over on the page from the email's link, and
the secretary logs in and reads the live quorum; axe-core finds no serious or critical violation."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser, expect

from dtz_events.accounts.services import set_password
from dtz_events.registrations.links import LinkPurpose, create_link
from tests.browser.conftest import PHONE, axe_violations, browser, describe, server  # noqa: F401
from tests.integration.board.helpers import board_session, build_board, quorum
from tests.support.fixtures import LiveServer, World
from tests.support.pages import PASSWORD

pytestmark = pytest.mark.browser


async def test_a_member_hands_over_and_the_secretary_sees_the_quorum(
    server: LiveServer,  # noqa: F811
    browser: Browser,  # noqa: F811
    client: httpx.AsyncClient,
    world: World,
) -> None:
    board = await build_board(client, world)
    event_id = await board_session(client, board)
    assert (
        await client.post(f"/api/board/sessions/{event_id}/invitations", headers=board.secretary)
    ).status_code == 200
    token = await create_link(LinkPurpose.board, person_id=board.members["Gemeente Emmen"])
    context = await browser.new_context(viewport=PHONE, locale="nl-NL", is_mobile=True, has_touch=True)
    page = await context.new_page()
    found: dict[str, str] = {}
    try:
        await page.goto(f"{server.url}/board/m/{token}/sessions/{event_id}?answer=handover")
        await expect(page.get_by_role("heading", name="Agenda")).to_be_visible()
        violations = await axe_violations(page)
        if violations:
            found["member's session page"] = describe(violations)
        choice = page.get_by_label(
            "Nee, ik kan niet: ik draag mijn zetel over aan mijn plaatsvervanger", exact=False
        )
        await expect(choice).to_be_checked()
        await page.locator('form[action$="/answer"] button[type=submit]').click()
        await expect(page.get_by_role("status")).to_contain_text("plaatsvervanger")
        figures = await quorum(client, board, event_id)
        assert figures["represented"] == 0
        session = (await client.get(f"/api/board/sessions/{event_id}", headers=board.secretary)).json()
        assert [i["person"]["name"] for i in session["invitations"] if i["as_deputy"]] == ["Sanne Hoekstra"]

        secretary = world.actors["board_secretary"].principal
        assert secretary is not None
        await set_password(secretary.account_id, PASSWORD)
        await page.goto(f"{server.url}/login?next=/board/secretary/sessions/{event_id}")
        await page.get_by_label("E-mailadres").fill(secretary.email)
        await page.get_by_label("Wachtwoord").fill(PASSWORD)
        await page.get_by_label("Wachtwoord").press("Enter")
        await expect(page.locator("#quorum")).to_contain_text("0 van de 7 zetels vertegenwoordigd, 4 nodig")
        await expect(page.get_by_role("cell", name="Sanne Hoekstra plaatsvervanger")).to_be_visible()
        violations = await axe_violations(page)
        if violations:
            found["secretary's session page"] = describe(violations)
    finally:
        await context.close()
    assert not found, found
