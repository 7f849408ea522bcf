"""The secretary's board pages follow the site's language switch, as the other pages of logged-in people
do; a member's link pages stay in the member's own language."""

from __future__ import annotations

import re

import httpx
import pytest

from dtz_events.accounts.services import set_password
from tests.integration.board.helpers import board_session, build_board, post_form
from tests.support.fixtures import World
from tests.support.pages import PASSWORD

pytestmark = pytest.mark.sqlite

TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def log_in_as_secretary(client: httpx.AsyncClient, world: World) -> None:
    principal = world.actors["board_secretary"].principal
    assert principal is not None
    await set_password(principal.account_id, PASSWORD)
    page = await client.get("/login")
    found = TOKEN.search(page.text)
    assert found
    data = {
        "email": principal.email,
        "password": PASSWORD,
        "next": "/board/secretary",
        "_csrf_token": found[1],
    }
    r = await client.post("/login", data=data)
    assert r.status_code == 303, r.text


async def test_the_secretary_pages_follow_the_language_switch(
    client: httpx.AsyncClient, world: World
) -> None:
    board = await build_board(client, world)
    event_id = await board_session(client, board)
    await log_in_as_secretary(client, world)
    pages = ("/board/secretary", f"/board/secretary/sessions/{event_id}")
    for path in pages:
        page = await client.get(path)
        assert page.status_code == 200, path
        assert '<html lang="nl">' in page.text, path  # the account's language
        assert "Uitloggen" in page.text, path

    r = await post_form(client, "/board/secretary", "/language", {"lang": "en", "next": "/board/secretary"})
    assert (r.status_code, r.headers["location"]) == (303, "/board/secretary")
    for path in pages:
        page = await client.get(path)
        assert '<html lang="en">' in page.text, path
        assert "Log out" in page.text, path
        assert "Board sessions" in page.text, path

    await post_form(client, "/board/secretary", "/language", {"lang": "nl", "next": "/board/secretary"})
    page = await client.get("/board/secretary")
    assert '<html lang="nl">' in page.text
    assert "Bestuurlijk overleggen" in page.text
