"""Acceptance 4: minutes per agenda item in Markdown, rendered safely (`<script>` stays inert), and frozen
once approved (409 on every change)."""

from __future__ import annotations

import httpx
import pytest

from dtz_events.registrations.links import LinkPurpose, create_link
from tests.integration.board.helpers import board_session, build_board, csrf_headers
from tests.support.fixtures import World

pytestmark = pytest.mark.sqlite

HOSTILE = (
    "Besproken: **de voortgang**.\n\n<script>alert('xss')</script>\n\n"
    '<img src=x onerror="alert(1)">\n\n[klik](javascript:alert(1)) en [DTZ](https://dutchtechzone.nl)\n'
)


async def test_markdown_with_script_renders_inert_in_the_api_and_on_the_pages(
    client: httpx.AsyncClient, world: World
) -> None:
    board = await build_board(client, world)
    event_id = await board_session(client, board, days=-1, publish=True)
    h = board.secretary
    session = (await client.get(f"/api/board/sessions/{event_id}", headers=h)).json()
    item = session["agenda"][1]["id"]
    r = await client.put(
        f"/api/board/sessions/{event_id}/agenda/{item}/minutes", json={"text": HOSTILE}, headers=h
    )
    assert r.status_code == 200, r.text
    html = r.json()["minutes_html"]
    assert "<strong>de voortgang</strong>" in html
    # Raw HTML stays text: no element is made of it, no event handler, no script link.
    assert "<script" not in html
    assert "<img" not in html
    assert 'href="javascript' not in html
    assert "&lt;script&gt;alert" in html
    assert 'href="https://dutchtechzone.nl"' in html
    assert r.json()["minutes"] == HOSTILE  # kept as written

    token = await create_link(LinkPurpose.board, person_id=board.members["Provincie Drenthe"])
    page = await client.get(f"/board/m/{token}/sessions/{event_id}")
    assert page.status_code == 200
    assert "<strong>de voortgang</strong>" in page.text
    assert "<script>alert" not in page.text
    assert "<img src=x" not in page.text
    assert 'href="javascript' not in page.text
    assert "&lt;script&gt;alert" in page.text


async def test_approved_minutes_are_frozen(client: httpx.AsyncClient, world: World) -> None:
    board = await build_board(client, world)
    h = board.secretary
    future = await board_session(client, board, days=30)
    r = await client.post(f"/api/board/sessions/{future}/minutes/approve", json={}, headers=h)
    assert r.status_code == 409  # a session that has not taken place has no minutes to approve

    event_id = await board_session(client, board, days=-2)
    item = (await client.get(f"/api/board/sessions/{event_id}", headers=h)).json()["agenda"][0]["id"]
    minutes_url = f"/api/board/sessions/{event_id}/agenda/{item}/minutes"
    assert (await client.put(minutes_url, json={"text": "Opening om 14:02."}, headers=h)).status_code == 200
    r = await client.post(
        f"/api/board/sessions/{event_id}/minutes/approve", json={"approved_in_event_id": event_id}, headers=h
    )
    assert r.status_code == 422  # approved in a later session, not in itself
    r = await client.post(
        f"/api/board/sessions/{event_id}/minutes/approve", json={"approved_in_event_id": future}, headers=h
    )
    assert r.status_code == 200, r.text
    assert r.json()["minutes_approved_at"] is not None

    changes = [
        ("PUT", minutes_url, {"text": "Toch anders."}),
        ("PUT", f"/api/board/sessions/{event_id}/attendance", {"present": []}),
        ("POST", f"/api/board/sessions/{event_id}/decisions", {"text": "Achteraf besloten"}),
        (
            "POST",
            f"/api/board/sessions/{event_id}/actions",
            {"description": "x", "owner_id": board.members["Onderwijs"], "due_on": "2027-03-01"},
        ),
        ("PUT", f"/api/board/sessions/{event_id}/agenda", {"items": []}),
        ("POST", f"/api/board/sessions/{event_id}/minutes/approve", {}),
    ]
    for method, url, body in changes:
        r = await client.request(method, url, json=body, headers=h)
        assert r.status_code == 409, (method, url, r.text)
        assert (
            r.json()["detail"] == "the minutes of this session are approved and can no longer be changed"
            or method == "POST"
        )
    after = (await client.get(f"/api/board/sessions/{event_id}", headers=h)).json()
    assert after["agenda"][0]["minutes"] == "Opening om 14:02."

    # The secretary's page says so too, and its form posts are refused in the same way.
    secretary_login = world.actors["board_secretary"].headers
    page = await client.get(f"/board/secretary/sessions/{event_id}", headers=secretary_login)
    assert page.status_code == 200
    assert "Opening om 14:02." in page.text
    r = await client.post(
        f"/board/secretary/sessions/{event_id}/minutes/{item}",
        data={"text": "Toch anders."},
        headers={**secretary_login, **await csrf_headers(client)},
    )
    assert r.status_code == 409


async def test_after_the_session_attendance_decisions_actions_and_minutes_reach_the_members(
    client: httpx.AsyncClient, world: World
) -> None:
    from datetime import timedelta

    from dtz_events.core.clock import utcnow
    from dtz_events.events.tables import Event
    from tests.integration.board.helpers import answer

    board = await build_board(client, world)
    h = board.secretary
    event_id = await board_session(client, board, days=3)
    assert (await client.post(f"/api/board/sessions/{event_id}/invitations", headers=h)).status_code == 200
    for seat in ("Gemeente Emmen", "Gemeente Coevorden"):
        await answer(client, board, event_id, seat, "accepted")
    r = await client.put(f"/api/board/sessions/{event_id}/attendance", json={"present": []}, headers=h)
    assert r.status_code == 409  # not before the session
    # The session takes place (time passes).
    await Event.update(
        {Event.starts_at: utcnow() - timedelta(hours=3), Event.ends_at: utcnow() - timedelta(hours=1)}
    ).where(Event.id == event_id)

    present = [board.members["Gemeente Emmen"], board.members["Gemeente Coevorden"]]
    r = await client.put(f"/api/board/sessions/{event_id}/attendance", json={"present": present}, headers=h)
    assert r.status_code == 200, r.text
    attended = {i["person"]["id"]: i["attended"] for i in r.json()["invitations"]}
    assert attended[present[0]] is True
    assert attended[board.members["Onderwijs"]] is False
    r = await client.put(
        f"/api/board/sessions/{event_id}/attendance", json={"present": [world.people["a1"]]}, headers=h
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "present[0]"

    item = (await client.get(f"/api/board/sessions/{event_id}", headers=h)).json()["agenda"][2]["id"]
    await client.put(
        f"/api/board/sessions/{event_id}/agenda/{item}/minutes",
        json={"text": "De begroting wordt **vastgesteld**."},
        headers=h,
    )
    decision = await client.post(
        f"/api/board/sessions/{event_id}/decisions",
        json={"text": "Het BO stelt de begroting Smart Industry Hub 2027 vast.", "agenda_item_id": item},
        headers=h,
    )
    assert decision.status_code == 201, decision.text
    action = await client.post(
        f"/api/board/sessions/{event_id}/actions",
        json={
            "description": "Begroting naar de raden sturen",
            "owner_id": board.members["Gemeente Hoogeveen"],
            "due_on": "2027-01-31",
            "decision_id": decision.json()["id"],
        },
        headers=h,
    )
    assert action.status_code == 201, action.text

    token = await create_link(LinkPurpose.board, person_id=board.deputies["Gemeente Hardenberg"])
    page = await client.get(f"/board/m/{token}/sessions/{event_id}")
    assert page.status_code == 200
    assert "<strong>vastgesteld</strong>" in page.text
    assert decision.json()["code"] in page.text
    assert "Begroting naar de raden sturen" in page.text
    assert "Concept" in page.text or "Draft" in page.text
