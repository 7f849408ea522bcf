"""The organiser's survey results page in real Chromium: its charts exist, carry labels, and show the
same numbers as the API; and axe-core finds nothing serious."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Page

from dtz_events.surveys import services as surveys
from tests.browser.conftest import axe_violations, describe, screenshot
from tests.browser.test_organiser_check_in import log_in
from tests.support.fixtures import LiveServer, World
from tests.support.pages import organiser_with_password, past_event_with_survey, survey_link

pytestmark = pytest.mark.browser


async def test_results_page_charts_match_the_api(
    server: LiveServer, desktop: Page, client: httpx.AsyncClient, world: World
) -> None:
    setup = await past_event_with_survey(client, world)
    answers = {"a1": ("5", "10", "contacts"), "b1": ("4", "6", "knowledge")}
    for person, (overall, recommend, value) in answers.items():
        token = await survey_link(world, setup, person)
        await surveys.submit(token, {"overall": [overall], "recommend": [recommend], "value": [value]})
    r = await client.get(
        f"/api/events/{setup.event_id}/survey/results", headers=world.actors["organiser"].headers
    )
    api = r.json()

    email = await organiser_with_password(world)
    await log_in(desktop, server, email, f"/organiser/events/{setup.event_id}/survey")
    assert await desktop.locator("#invited strong").inner_text() == str(api["invited"])
    assert await desktop.locator("#responded strong").inner_text() == str(api["responded"])

    charts = desktop.locator("svg.chart[role=img]")
    with_distribution = [q for q in api["questions"] if q["distribution"]]
    assert await charts.count() == len(with_distribution) > 0
    for question in with_distribution:
        chart = desktop.locator(f"svg[aria-labelledby='q-{question['id']}']")
        label = await desktop.locator(f"#q-{question['id']}").inner_text()
        assert label == question["label"]  # the chart is named by its question
        bars = chart.locator("rect.chart-bar")
        shown = [int(await bars.nth(i).get_attribute("data-count") or -1) for i in range(await bars.count())]
        assert shown == [item["count"] for item in question["distribution"]]
        texts = await chart.locator("text.chart-label").all_text_contents()
        assert len(texts) == len(shown)
        assert all(t.strip() for t in texts)
    assert "NPS 0.0" in await desktop.locator("#q-recommend + p").inner_text()  # one promoter, one detractor

    violations = await axe_violations(desktop)
    assert not violations, describe(violations)
    await screenshot(desktop, "survey-results-desktop")
