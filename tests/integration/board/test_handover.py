"""Acceptance 1, end to end through the SMTP server: a member declines and hands the seat over; the deputy
gets an invitation of their own; the quorum follows; the member accepts again; the deputy gets a CANCEL."""

from __future__ import annotations

import httpx

from tests.integration.board.helpers import (
    answer,
    board_session,
    build_board,
    calendar_of,
    link_in,
    post_form,
    quorum,
    text_of,
)
from tests.support.fixtures import World


async def test_hand_over_to_the_deputy_and_take_the_seat_back(
    client: httpx.AsyncClient, world: World, mail_env
) -> None:
    board = await build_board(client, world)
    event_id = await board_session(client, board)
    r = await client.post(f"/api/board/sessions/{event_id}/invitations", headers=board.secretary)
    assert r.status_code == 200, r.text
    await mail_env.flush()

    # Every member has the invitation: the agenda in the body, the calendar REQUEST, no other attachment.
    emmen = mail_env.sink.to(board.emails["Gemeente Emmen"])
    assert len(emmen) == 1
    invitation = emmen[0].message
    assert "Strategische Koers 2022-2025: voortgang" in text_of(invitation)
    assert "https://dutchtechzone.nl/docs/voortgang.pdf" in text_of(invitation)
    attachments = [p.get_filename() for p in invitation.iter_attachments()]
    assert attachments == ["invite.ics"]
    request = calendar_of(invitation)
    assert request is not None
    assert request["METHOD"] == "REQUEST"
    uid = str(request.walk("VEVENT")[0]["UID"])
    for seat in board.emails:
        assert len(mail_env.sink.to(board.emails[seat])) == 1, seat
    assert all(mail_env.sink.to(d) == [] for d in board.deputy_emails.values())

    # Four of seven seats accept: the first through the RSVP link in the email, the rest by the secretary.
    accept = link_in(invitation, r"/rsvp/[^?\s]+\?answer=accepted")
    r = await post_form(client, accept, accept.split("?")[0], {"answer": "accepted"})
    assert r.status_code == 200, r.text
    for seat in ("Gemeente Coevorden", "Gemeente Hoogeveen", "Provincie Drenthe"):
        await answer(client, board, event_id, seat, "accepted")
    figures = await quorum(client, board, event_id)
    assert (figures["seats"], figures["required"], figures["represented"], figures["reached"]) == (
        7,
        4,
        4,
        True,
    )

    # The chair cannot come after all and hands the seat to the deputy, from the link in the email.
    handover = link_in(invitation, r"/board/m/[^?\s]+/sessions/\d+\?answer=handover")
    page = handover.split("?")[0]
    r = await post_form(client, handover, page + "/answer", {"answer": "handover"})
    assert r.status_code == 200, r.text
    assert "Sanne Hoekstra" in (await client.get(handover)).text
    await mail_env.flush()
    deputy_mail = mail_env.sink.to(board.deputy_emails["Gemeente Emmen"])
    assert len(deputy_mail) == 1
    deputy_invitation = deputy_mail[0].message
    assert "Guido Rink" in deputy_invitation["Subject"]
    assert "Begroting Smart Industry Hub 2027" in text_of(deputy_invitation)
    deputy_request = calendar_of(deputy_invitation)
    assert deputy_request is not None
    assert deputy_request["METHOD"] == "REQUEST"
    deputy_event = deputy_request.walk("VEVENT")[0]
    assert str(deputy_event["UID"]) == uid
    attendee = deputy_event["ATTENDEE"]
    assert str(attendee).lower() == "mailto:" + board.deputy_emails["Gemeente Emmen"]
    figures = await quorum(client, board, event_id)
    assert (figures["represented"], figures["reached"]) == (3, False)
    overview = await client.get(f"/board/secretary/sessions/{event_id}", headers=board.secretary)
    assert overview.status_code == 200
    assert "Quorum: 3 van de 7 zetels vertegenwoordigd, 4 nodig" in overview.text
    assert "Nog niet gehaald." in overview.text

    # The deputy accepts: the seat is represented again.
    r = await post_form(
        client,
        link_in(deputy_invitation, r"/rsvp/[^?\s]+\?answer=accepted"),
        link_in(deputy_invitation, r"/rsvp/[^?\s]+"),
        {"answer": "accepted"},
    )
    assert r.status_code == 200, r.text
    assert (await quorum(client, board, event_id))["represented"] == 4

    # The chair can come after all: accepting takes the seat back, and the deputy's calendar gets a CANCEL.
    r = await post_form(client, accept, accept.split("?")[0], {"answer": "accepted"})
    assert r.status_code == 200, r.text
    await mail_env.flush()
    deputy_mail = mail_env.sink.to(board.deputy_emails["Gemeente Emmen"])
    assert len(deputy_mail) == 2
    cancel = calendar_of(deputy_mail[1].message)
    assert cancel is not None
    assert cancel["METHOD"] == "CANCEL"
    cancelled = cancel.walk("VEVENT")[0]
    assert str(cancelled["UID"]) == uid
    assert int(cancelled["SEQUENCE"]) > int(deputy_event["SEQUENCE"])
    assert str(cancelled["STATUS"]) == "CANCELLED"
    figures = await quorum(client, board, event_id)
    assert (figures["represented"], figures["reached"]) == (4, True)
    session = (await client.get(f"/api/board/sessions/{event_id}", headers=board.secretary)).json()
    deputy_rows = [i for i in session["invitations"] if i["as_deputy"]]
    assert [(d["person"]["name"], d["status"]) for d in deputy_rows] == [("Sanne Hoekstra", "cancelled")]
    # The chair got nothing more than the one invitation.
    assert len(mail_env.sink.to(board.emails["Gemeente Emmen"])) == 1

    # Handing over a second time invites the deputy again, above the CANCEL in the calendar's order.
    r = await post_form(client, handover, page + "/answer", {"answer": "handover"})
    assert r.status_code == 200, r.text
    await mail_env.flush()
    deputy_mail = mail_env.sink.to(board.deputy_emails["Gemeente Emmen"])
    assert len(deputy_mail) == 3
    again = calendar_of(deputy_mail[2].message)
    assert again is not None
    assert again["METHOD"] == "REQUEST"
    assert int(again.walk("VEVENT")[0]["SEQUENCE"]) > int(cancelled["SEQUENCE"])


async def test_the_secretary_records_a_hand_over_given_by_phone(
    client: httpx.AsyncClient, world: World, mail_env
) -> None:
    board = await build_board(client, world)
    h = board.secretary
    event_id = await board_session(client, board)
    assert (await client.post(f"/api/board/sessions/{event_id}/invitations", headers=h)).status_code == 200
    url = f"/api/board/sessions/{event_id}/rsvp"
    member = board.members["Gemeente Hoogeveen"]

    r = await client.post(url, json={"person_id": member, "answer": "accepted", "hand_over": True}, headers=h)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "hand_over"
    r = await client.post(url, json={"person_id": world.people["a1"], "answer": "declined"}, headers=h)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "person_id"

    r = await client.post(url, json={"person_id": member, "answer": "declined", "hand_over": True}, headers=h)
    assert r.status_code == 200, r.text
    again = await client.post(
        url, json={"person_id": member, "answer": "declined", "hand_over": True}, headers=h
    )
    assert again.status_code == 200  # handed over already: no second invitation
    await mail_env.flush()
    deputy = mail_env.sink.to(board.deputy_emails["Gemeente Hoogeveen"])
    assert len(deputy) == 1
    assert "Erik Bosma" in deputy[0].message["Subject"]

    # A seat without a deputy cannot be handed over.
    r = await client.patch(
        f"/api/board/members/{board.seats['Onderwijs']}", json={"deputy_id": None}, headers=h
    )
    assert r.status_code == 200
    assert r.json()["deputy"] is None
    r = await client.post(
        url,
        json={"person_id": board.members["Onderwijs"], "answer": "declined", "hand_over": True},
        headers=h,
    )
    assert r.status_code == 409
    assert r.json()["errors"][0]["field"] == "hand_over"
