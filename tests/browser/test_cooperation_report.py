"""The cooperation ledger's organiser page and funder report in real Chromium: the charts and the network
picture exist, carry labels, and show the API's numbers; axe-core finds nothing serious; the funder report
prints on one page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, ViewportSize

from dtz_events.accounts.services import set_password
from dtz_events.cooperation.refresh import refresh
from dtz_events.core.auth import Role
from tests.browser.conftest import DESKTOP, axe_violations, describe, screenshot
from tests.browser.test_organiser_check_in import log_in
from tests.integration.cooperation.world import build_ledger
from tests.support.fixtures import LiveServer, make_actor
from tests.support.pages import PASSWORD

pytestmark = pytest.mark.browser

QUERY = {"period": "2025"}


@pytest.fixture
async def desktop(browser: Browser) -> AsyncIterator[Page]:
    """A desktop page that lets the test add axe-core to it (the site's CSP refuses inline scripts)."""
    viewport = ViewportSize(width=DESKTOP["width"], height=DESKTOP["height"])
    context = await browser.new_context(viewport=viewport, locale="nl-NL", bypass_csp=True)
    page = await context.new_page()
    yield page
    await context.close()


async def _api(client: httpx.AsyncClient, headers: dict[str, str], figure: str, **extra: Any) -> Any:
    r = await client.get(f"/api/cooperation/{figure}", params={**QUERY, **extra}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def _counts(page: Page, selector: str) -> list[int]:
    values = await page.locator(selector).evaluate_all("els => els.map(e => e.getAttribute('data-count'))")
    return [int(v) for v in values]


async def _named_by(page: Page, chart: str) -> str:
    """The text of the heading a chart's aria-labelledby points at."""
    label_id = await page.locator(chart).get_attribute("aria-labelledby")
    assert label_id
    return (await page.locator(f"#{label_id}").inner_text()).strip()


async def test_report_page_shows_the_apis_numbers(
    server: LiveServer, desktop: Page, client: httpx.AsyncClient
) -> None:
    ledger = await build_ledger()
    await refresh()
    organiser = await make_actor(Role.organiser, "organisator@dutchtechzone.nl")
    assert organiser.principal is not None
    await set_password(organiser.principal.account_id, PASSWORD)
    h = organiser.headers
    summary = await _api(client, h, "summary")
    new = await _api(client, h, "new-links")
    helix = await _api(client, h, "helix")
    funnel = await _api(client, h, "funnel")
    network = await _api(client, h, "network")

    await log_in(desktop, server, organiser.principal.email, "/organiser/cooperation")
    await desktop.goto(server.url + "/organiser/cooperation?period=2025")

    for key in ("active-organisations", "links", "reported", "confirmed", "new-links", "moved-up", "pupils"):
        shown = await desktop.locator(f"#{key} strong").inner_text()
        assert int(shown) == summary[key.replace("-", "_")], key

    # Every chart is an image named by its heading.
    for chart in ("#chart-new-links", "#chart-helix", "#chart-funnel", "#network"):
        assert await desktop.locator(f"{chart}[role=img]").count() == 1, chart
        assert await _named_by(desktop, chart), chart

    # New links per quarter: one column per quarter, labelled with it.
    assert await _counts(desktop, "#chart-new-links rect.chart-bar") == [q["new"] for q in new["quarters"]]
    labels = await desktop.locator("#chart-new-links text.chart-label").all_text_contents()
    assert labels == [q["quarter"] for q in new["quarters"]]
    values = await desktop.locator("#chart-new-links text.chart-value").all_text_contents()
    assert [int(v) for v in values] == [q["new"] for q in new["quarters"]]

    # The helix matrix: nine cells (the pairs off the diagonal twice), rows and columns labelled.
    cells = await desktop.locator("#chart-helix rect.cell").evaluate_all(
        "els => els.map(e => [e.getAttribute('data-pair'), Number(e.getAttribute('data-count'))])"
    )
    assert len(cells) == 9
    assert dict(cells) == {c["pair"]: c["links"] for c in helix["cells"]}
    assert len(await desktop.locator("#chart-helix text.row-label").all_text_contents()) == 3
    assert all(t.strip() for t in await desktop.locator("#chart-helix text.chart-label").all_text_contents())

    # The funnel: one bar per rung, labelled, and the moves up the ladder.
    assert await _counts(desktop, "#chart-funnel rect.chart-bar") == [r["links"] for r in funnel["rungs"]]
    rung_labels = await desktop.locator("#chart-funnel text.chart-label").all_text_contents()
    assert len(rung_labels) == 5
    assert all(t.strip() for t in rung_labels)
    assert int(await desktop.locator("#moved-up-count").inner_text()) == funnel["moved_up"] == 1

    # The network picture: one circle per drawn organisation, coloured by helix, named in its title.
    nodes = await desktop.locator("#network g.org").evaluate_all(
        "els => els.map(e => [Number(e.getAttribute('data-organisation')), e.getAttribute('data-helix'),"
        " e.querySelector('circle').getAttribute('class'), e.querySelector('title').textContent])"
    )
    assert [n[0] for n in nodes] == [d["organisation_id"] for d in network["drawn"]]
    for (_, helix_name, css, title), drawn in zip(nodes, network["drawn"], strict=True):
        assert helix_name == drawn["helix"]
        assert f"helix-{drawn['helix']}" in css
        assert title.startswith(drawn["name"])
    assert await desktop.locator("#network line.edge").count() == len(network["edges"]) == 3
    assert await desktop.locator("#network line.edge.confirmed").count() == 1
    fills = await desktop.locator("#network circle").evaluate_all(
        "els => els.map(e => getComputedStyle(e).fill)"
    )
    assert len(set(fills)) == len({d["helix"] for d in network["drawn"]})  # one colour per helix
    assert int(await desktop.locator("#network-links strong").inner_text()) == network["links"]
    isolated = await desktop.locator("#isolated li").evaluate_all(
        "els => els.map(e => Number(e.getAttribute('data-organisation')))"
    )
    assert isolated == [i["organisation_id"] for i in (await _api(client, h, "isolated"))["items"]]
    assert ledger.orgs["C"] in isolated  # its last link was in October 2024

    violations = await axe_violations(desktop)
    assert not violations, describe(violations)
    await screenshot(desktop, "cooperation-report-desktop")

    # The funder report: the same numbers, on one printed A4 page.
    await desktop.goto(server.url + "/organiser/cooperation/funder-report?period=2025")
    for key in ("active-organisations", "links", "confirmed", "new-links", "moved-up", "pupils"):
        assert int(await desktop.locator(f"#{key} strong").inner_text()) == summary[key.replace("-", "_")]
    assert await _counts(desktop, "#chart-funnel rect.chart-bar") == [r["links"] for r in funnel["rungs"]]
    violations = await axe_violations(desktop)
    assert not violations, describe(violations)
    await desktop.emulate_media(media="print")
    assert not await desktop.locator("header").is_visible()
    pdf = await desktop.pdf(format="A4", print_background=True)
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1  # one page
    await screenshot(desktop, "cooperation-funder-report-print")
