"""The Bestuurlijk Overleg DTZ of the tests: its seats (the four municipalities, the province, business and
education), each member with a deputy, made through the API as the board secretary would."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import httpx
import icalendar

from tests.support.fixtures import World, at

# seat, organisation (name, kind, municipality), member, deputy, member's language
SEATS: list[tuple[str, tuple[str, str, str | None], tuple[str, str], tuple[str, str], str]] = [
    (
        "Gemeente Emmen",
        ("Gemeente Emmen", "municipality", "Emmen"),
        ("Guido Rink", "g.rink@emmen.example"),
        ("Sanne Hoekstra", "s.hoekstra@emmen.example"),
        "nl",
    ),
    (
        "Gemeente Coevorden",
        ("Gemeente Coevorden", "municipality", "Coevorden"),
        ("Jan Mulder", "j.mulder@coevorden.example"),
        ("Petra Kuipers", "p.kuipers@coevorden.example"),
        "nl",
    ),
    (
        "Gemeente Hoogeveen",
        ("Gemeente Hoogeveen", "municipality", "Hoogeveen"),
        ("Erik Bosma", "e.bosma@hoogeveen.example"),
        ("Linda Veenstra", "l.veenstra@hoogeveen.example"),
        "nl",
    ),
    (
        "Gemeente Hardenberg",
        ("Gemeente Hardenberg", "municipality", "Hardenberg"),
        ("Karin Schuurman", "k.schuurman@hardenberg.example"),
        ("Wim Post", "w.post@hardenberg.example"),
        "nl",
    ),
    (
        "Provincie Drenthe",
        ("Provincie Drenthe", "province", "Assen"),
        ("Henk Brink", "h.brink@drenthe.example"),
        ("Marieke Dijkstra", "m.dijkstra@drenthe.example"),
        "nl",
    ),
    (
        "Bedrijfsleven",
        ("Emmtec Industry & Business Park", "company", "Emmen"),
        ("Lars Meijer", "l.meijer@emmtec.example"),
        ("Femke de Boer", "f.deboer@emmtec.example"),
        "en",
    ),
    (
        "Onderwijs",
        ("Drenthe College", "school", "Emmen"),
        ("Ria Smit", "r.smit@drenthecollege.example"),
        ("Tom Visser", "t.visser@drenthecollege.example"),
        "nl",
    ),
]


@dataclass
class Board:
    secretary: dict[str, str]  # the secretary's headers
    seats: dict[str, int]  # seat -> membership id
    members: dict[str, int]  # seat -> member's person id
    deputies: dict[str, int]  # seat -> deputy's person id
    emails: dict[str, str]  # seat -> member's email
    deputy_emails: dict[str, str]


async def _ok(response: httpx.Response, *codes: int) -> Any:
    assert response.status_code in (codes or (200, 201)), response.text
    return response.json() if response.content else None


async def build_board(client: httpx.AsyncClient, world: World) -> Board:
    admin = world.actors["admin"].headers
    secretary = world.actors["board_secretary"].headers
    organisations: dict[str, int] = {}
    existing = await _ok(await client.get("/api/organisations", params={"per_page": 200}, headers=admin))
    for item in existing["items"]:
        organisations[item["name"]] = item["id"]
    board = Board(secretary=secretary, seats={}, members={}, deputies={}, emails={}, deputy_emails={})
    for seat, (org_name, kind, municipality), member, deputy, language in SEATS:
        if org_name not in organisations:
            body = {"name": org_name, "kind": kind, "municipality": municipality}
            organisations[org_name] = (
                await _ok(await client.post("/api/organisations", json=body, headers=admin))
            )["id"]
        ids = []
        for name, email in (member, deputy):
            body = {
                "name": name,
                "email": email,
                "organisation_id": organisations[org_name],
                "language": language,
            }
            ids.append((await _ok(await client.post("/api/people", json=body, headers=admin)))["id"])
        body = {
            "seat": seat,
            "member_id": ids[0],
            "deputy_id": ids[1],
            "organisation_id": organisations[org_name],
        }
        if seat == "Gemeente Emmen":
            body["role"] = "chair"
        membership = await _ok(await client.post("/api/board/members", json=body, headers=secretary), 201)
        board.seats[seat] = membership["id"]
        board.members[seat], board.deputies[seat] = ids
        board.emails[seat], board.deputy_emails[seat] = member[1], deputy[1]
    return board


AGENDA = [
    {
        "title": "Opening en vaststellen agenda",
        "kind": "information",
        "presenter": "Guido Rink",
        "minutes_allotted": 10,
    },
    {
        "title": "Strategische Koers 2022-2025: voortgang",
        "kind": "discussion",
        "presenter": "Programmabureau DTZ",
        "minutes_allotted": 30,
        "documents": [
            {"title": "Voortgangsrapportage", "url": "https://dutchtechzone.nl/docs/voortgang.pdf"}
        ],
    },
    {"title": "Begroting Smart Industry Hub 2027", "kind": "decision", "minutes_allotted": 20},
]


async def board_session(
    client: httpx.AsyncClient, board: Board, *, days: int = 30, agenda: bool = True, publish: bool = False
) -> int:
    body = {
        "kind": "board_session",
        "title": "Bestuurlijk Overleg DTZ",
        "starts_at": at(days, 14),
        "ends_at": at(days, 16),
        "venue": "Raadhuis Hoogeveen",
        "municipality": "Hoogeveen",
    }
    event = await _ok(await client.post("/api/events", json=body, headers=board.secretary), 201)
    if agenda:
        r = await client.put(
            f"/api/board/sessions/{event['id']}/agenda", json={"items": AGENDA}, headers=board.secretary
        )
        await _ok(r)
    if publish:
        await _ok(await client.post(f"/api/events/{event['id']}/publish", headers=board.secretary))
    return int(event["id"])


def calendar_of(message: EmailMessage) -> icalendar.Calendar | None:
    part = next((p for p in message.walk() if p.get_content_type() == "text/calendar"), None)
    return None if part is None else icalendar.Calendar.from_ical(part.get_content())


def text_of(message: EmailMessage) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return str(part.get_content())


def link_in(message: EmailMessage, pattern: str) -> str:
    """The first link in the plain text matching the pattern, as a path of the test client."""
    match = re.search(r"http://testserver\.local(" + pattern + r")", text_of(message))
    assert match, text_of(message)
    return match.group(1)


_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def post_form(
    client: httpx.AsyncClient, page: str, action: str, data: dict[str, str]
) -> httpx.Response:
    """As a browser does: load the page (which sets the CSRF cookie and field), then post its form."""
    shown = await client.get(page)
    assert shown.status_code == 200, shown.text
    token = _CSRF.search(shown.text)
    # The token goes in the header, as the pages' script sends it (some forms' strict bodies refuse extras).
    headers = {"X-CSRFToken": token.group(1)} if token else {}
    return await client.post(action, data=data, headers=headers)


async def quorum(client: httpx.AsyncClient, board: Board, event_id: int) -> dict[str, Any]:
    return await _ok(await client.get(f"/api/board/sessions/{event_id}/quorum", headers=board.secretary))


async def answer(client: httpx.AsyncClient, board: Board, event_id: int, seat: str, reply: str) -> None:
    body = {"person_id": board.members[seat], "answer": reply}
    await _ok(await client.post(f"/api/board/sessions/{event_id}/rsvp", json=body, headers=board.secretary))


async def csrf_headers(client: httpx.AsyncClient) -> dict[str, str]:
    """What a browser sends with a form after loading any page: the CSRF cookie's token in the header."""
    await client.get("/login")
    token = client.cookies.get("dtz_csrf")
    return {"X-CSRFToken": token} if token else {}
