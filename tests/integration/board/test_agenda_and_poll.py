"""The agenda travels in the email body and on the members' page; a change after the invitations sends a
change notice. The date poll: candidate dates, members answer, the secretary picks one and the
invitations go out for that date."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from dtz_events.core.clock import LOCAL_TZ
from tests.integration.board.helpers import (
    AGENDA,
    board_session,
    build_board,
    calendar_of,
    link_in,
    post_form,
    text_of,
)
from tests.support.fixtures import World, at


async def test_an_agenda_change_sends_a_notice_with_the_new_agenda(
    client: httpx.AsyncClient, world: World, mail_env
) -> None:
    board = await build_board(client, world)
    h = board.secretary
    event_id = await board_session(client, board)
    # Before the invitations, changes send nothing.
    r = await client.put(f"/api/board/sessions/{event_id}/agenda", json={"items": AGENDA[:2]}, headers=h)
    assert r.status_code == 200
    assert (await client.post(f"/api/board/sessions/{event_id}/invitations", headers=h)).status_code == 200
    await mail_env.flush()
    chair = board.emails["Gemeente Emmen"]
    assert len(mail_env.sink.to(chair)) == 1

    items = r.json()["agenda"]
    new_agenda = [
        {"id": items[0]["id"], "title": items[0]["title"], "kind": "information", "minutes_allotted": 10},
        {
            "title": "Regionale acquisitiestrategie",
            "kind": "decision",
            "presenter": "Henk Brink",
            "minutes_allotted": 25,
        },
        {"id": items[1]["id"], "title": items[1]["title"], "kind": "discussion", "minutes_allotted": 30},
    ]
    r = await client.put(f"/api/board/sessions/{event_id}/agenda", json={"items": new_agenda}, headers=h)
    assert r.status_code == 200, r.text
    assert [i["title"] for i in r.json()["agenda"]] == [
        "Opening en vaststellen agenda",
        "Regionale acquisitiestrategie",
        "Strategische Koers 2022-2025: voortgang",
    ]
    # The same agenda again is no change, and sends nothing.
    r = await client.put(
        f"/api/board/sessions/{event_id}/agenda",
        json={
            "items": [*new_agenda[:1], {"id": r.json()["agenda"][1]["id"], **new_agenda[1]}, new_agenda[2]]
        },
        headers=h,
    )
    assert r.status_code == 200, r.text
    await mail_env.flush()

    for email in list(board.emails.values()):
        received = mail_env.sink.to(email)
        assert len(received) == 2, email
    notice = mail_env.sink.to(chair)[1].message
    assert notice["Subject"] == "Agenda gewijzigd: Bestuurlijk Overleg DTZ"
    text = text_of(notice)
    assert "2. 14:10 Regionale acquisitiestrategie (besluitvorming, 25 min, Henk Brink)" in text
    assert list(notice.iter_attachments()) == []  # never the agenda as an attachment, and no calendar
    english = mail_env.sink.to(board.emails["Bedrijfsleven"])[1].message
    assert english["Subject"] == "Agenda changed: Bestuurlijk Overleg DTZ"
    # The page has it too, from the link in the notice.
    page = await client.get(link_in(notice, r"/board/m/[^\s]+/sessions/\d+"))
    assert page.status_code == 200
    assert "Regionale acquisitiestrategie" in page.text

    bad = await client.put(
        f"/api/board/sessions/{event_id}/agenda",
        json={"items": [{"id": 999999, "title": "x", "kind": "information"}]},
        headers=h,
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "items[0].id"


async def test_date_poll_then_the_invitations_go_out_for_the_picked_date(
    client: httpx.AsyncClient, world: World, mail_env
) -> None:
    board = await build_board(client, world)
    h = board.secretary
    event_id = await board_session(client, board, days=50)
    options = [{"starts_at": at(days, 14), "ends_at": at(days, 16)} for days in (40, 47, 54)]
    r = await client.post(f"/api/board/sessions/{event_id}/poll", json={"options": options}, headers=h)
    assert r.status_code == 200, r.text
    poll = r.json()["poll"]
    assert len(poll) == 3
    await mail_env.flush()
    for email in board.emails.values():
        assert len(mail_env.sink.to(email)) == 1, email
    assert all(mail_env.sink.to(d) == [] for d in board.deputy_emails.values())
    chair_mail = mail_env.sink.to(board.emails["Gemeente Emmen"])[0].message
    assert chair_mail["Subject"].startswith("Welke datum past jou?")
    assert calendar_of(chair_mail) is None

    # Three members answer on the page from their email.
    for seat, choices in [
        ("Gemeente Emmen", ("no", "yes", "maybe")),
        ("Gemeente Coevorden", ("yes", "yes", "no")),
        ("Provincie Drenthe", ("no", "yes", "yes")),
    ]:
        page = link_in(mail_env.sink.to(board.emails[seat])[0].message, r"/board/m/[^\s]+/sessions/\d+")
        form = {f"option_{o['id']}": c for o, c in zip(poll, choices, strict=True)}
        r = await post_form(client, page, page + "/poll", form)
        assert r.status_code == 200, r.text
        client.cookies.clear()
    session = (await client.get(f"/api/board/sessions/{event_id}", headers=h)).json()
    assert [(o["yes"], o["maybe"], o["no"]) for o in session["poll"]] == [(1, 0, 2), (3, 0, 0), (1, 1, 1)]
    assert session["status"] == "draft"

    r = await client.post(
        f"/api/board/sessions/{event_id}/poll/pick", json={"option_id": poll[1]["id"]}, headers=h
    )
    assert r.status_code == 200, r.text
    picked = r.json()
    assert picked["status"] == "published"
    assert picked["poll_status"] == "picked"
    assert datetime.fromisoformat(picked["starts_at"]) == datetime.fromisoformat(options[1]["starts_at"])
    await mail_env.flush()
    invitation = mail_env.sink.to(board.emails["Gemeente Emmen"])[1].message
    request = calendar_of(invitation)
    assert request is not None
    assert request["METHOD"] == "REQUEST"
    start = request.walk("VEVENT")[0]["DTSTART"].dt
    assert start.astimezone(LOCAL_TZ) == datetime.fromisoformat(options[1]["starts_at"]).astimezone(LOCAL_TZ)
    # The poll is over: answering again is refused.
    page = link_in(mail_env.sink.to(board.emails["Onderwijs"])[0].message, r"/board/m/[^\s]+/sessions/\d+")
    r = await post_form(client, page, page + "/poll", {f"option_{poll[0]['id']}": "yes"})
    assert r.status_code == 409
    assert timedelta(0) < datetime.fromisoformat(picked["ends_at"]) - datetime.fromisoformat(
        picked["starts_at"]
    )
