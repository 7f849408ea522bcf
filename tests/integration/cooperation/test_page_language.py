"""The cooperation pages in both languages: the header (log-out button, language switch) and the charts'
texts follow the page's language, as on the other organiser pages."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.support.fixtures import World
from tests.support.pages import PASSWORD, organiser_with_password

pytestmark = pytest.mark.sqlite

TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')
PAGES = ("/organiser/cooperation", "/organiser/cooperation/funder-report")


def token_of(page: httpx.Response) -> str:
    found = TOKEN.search(page.text)
    assert found, page.text[:300]
    return found[1]


async def test_the_cooperation_pages_in_dutch_and_in_english(client: httpx.AsyncClient, world: World) -> None:
    email = await organiser_with_password(world)
    login = await client.get("/login")
    data = {"email": email, "password": PASSWORD, "next": PAGES[0], "_csrf_token": token_of(login)}
    assert (await client.post("/login", data=data)).status_code == 303

    report = await client.get(PAGES[0])
    assert report.status_code == 200
    assert '<html lang="nl">' in report.text  # the account's language
    assert ">Uitloggen</button>" in report.text
    assert 'value="en" lang="en">English</button>' in report.text  # the switch offers the other one
    assert 'aria-label="Kleuren"' in report.text

    switch = {"lang": "en", "next": PAGES[0], "_csrf_token": token_of(report)}
    r = await client.post("/language", data=switch)
    assert (r.status_code, r.headers["location"]) == (303, PAGES[0])
    report = await client.get(PAGES[0])
    assert '<html lang="en">' in report.text
    assert ">Log out</button>" in report.text
    assert "Uitloggen" not in report.text
    assert 'value="nl" lang="nl">Nederlands</button>' in report.text
    assert 'aria-label="Colours"' in report.text
    funder = await client.get(PAGES[1])
    assert funder.status_code == 200
    assert '<html lang="en">' in funder.text
    assert "<title>Cooperation report" in funder.text
