"""Every board email in Dutch and English, rendered with hostile names: one-line subjects, escaped HTML,
plain text without our markup, and the agenda in the body."""

from __future__ import annotations

from typing import Any

import pytest

from dtz_events.board.schemas import Quorum, QuorumRule
from dtz_events.core.templating import render_email

pytestmark = pytest.mark.sqlite


@pytest.fixture(autouse=True)
def empty_tables() -> None:
    """Overrides conftest's emptying of the tables: these tests touch no database."""


HOSTILE = 'Eve <script>alert("x")</script>\r\nBcc: evil@example.com'
EVENT = {
    "title": "Bestuurlijk Overleg DTZ <b>",
    "kind": "board_session",
    "kind_label": "Bestuurlijk Overleg",
    "description": "",
    "venue": "Raadhuis Hoogeveen",
    "address": "Raadhuisplein 1",
    "municipality": "Hoogeveen",
    "location": "Raadhuis Hoogeveen, Raadhuisplein 1, Hoogeveen",
    "when": "donderdag 14 januari 2027, 14:00–16:00",
}
AGENDA = [
    {
        "number": 1,
        "title": "Opening",
        "presenter": "Guido Rink",
        "minutes": 10,
        "kind": "ter informatie",
        "at": "14:00",
        "documents": [],
    },
    {
        "number": 2,
        "title": HOSTILE,
        "presenter": "",
        "minutes": 30,
        "kind": "besluitvorming",
        "at": "14:10",
        "documents": [{"title": "Stukken", "url": "https://dutchtechzone.nl/stukken.pdf"}],
    },
]
BASE = {
    "person": {"name": HOSTILE},
    "organiser_email": "events@dutchtechzone.nl",
    "base_url": "https://events.dutchtechzone.nl",
}
CONTEXTS: dict[str, dict[str, Any]] = {
    "board_invitation_to_member": {
        "event": EVENT,
        "agenda": AGENDA,
        "rsvp": {
            a: f"https://events.dutchtechzone.nl/rsvp/t?answer={a}"
            for a in ("accepted", "tentative", "declined")
        },
        "page_url": "https://events.dutchtechzone.nl/board/m/t/sessions/1",
        "handover_url": "https://events.dutchtechzone.nl/board/m/t/sessions/1?answer=handover",
        "as_deputy": True,
        "seat": "Gemeente Emmen",
        "member_name": HOSTILE,
        "deputy_name": "Sanne Hoekstra",
        "has_calendar": True,
    },
    "board_invitation_cancelled_to_deputy": {
        "event": EVENT,
        "seat": "Gemeente Emmen",
        "member_name": HOSTILE,
        "has_calendar": True,
    },
    "board_agenda_changed_to_member": {
        "event": EVENT,
        "agenda": AGENDA,
        "page_url": "https://events.dutchtechzone.nl/board/m/t/sessions/1",
    },
    "board_poll_to_member": {
        "title": EVENT["title"],
        "dates": ["donderdag 14 januari 2027, 14:00–16:00"],
        "page_url": "https://events.dutchtechzone.nl/board/m/t/sessions/1",
    },
    "board_quorum_warning_to_secretary": {
        "event": EVENT,
        "quorum": Quorum(
            rule=QuorumRule.majority,
            seats=7,
            required=4,
            represented=2,
            undecided=3,
            reached=False,
            at_risk=True,
        ),
        "page_url": "https://events.dutchtechzone.nl/board/secretary/sessions/1",
    },
    "board_action_due_to_owner": {
        "description": HOSTILE,
        "due_on": "vrijdag 15 januari 2027",
        "session_title": EVENT["title"],
    },
}
CASES = [pytest.param(what, lang, id=f"{what}.{lang}") for what in CONTEXTS for lang in ("nl", "en")]


@pytest.mark.parametrize(("what", "lang"), CASES)
def test_board_email_renders_safely(what: str, lang: str) -> None:
    email = render_email(what, lang, {**BASE, **CONTEXTS[what]})
    assert "\n" not in email.subject
    assert "\r" not in email.subject
    assert "<script>" not in email.html
    assert "&lt;script&gt;" in email.html
    assert "<strong>" not in email.text
    assert "<p>" not in email.text
    assert f'lang="{lang}"' in email.html
    if "agenda" in CONTEXTS[what]:
        for body in (email.text, email.html):
            assert "Opening" in body
            assert "https://dutchtechzone.nl/stukken.pdf" in body


def test_the_invitation_offers_the_hand_over_to_the_deputy() -> None:
    context = {**BASE, **CONTEXTS["board_invitation_to_member"], "as_deputy": False}
    email = render_email("board_invitation_to_member", "nl", context)
    assert "Draag je zetel over aan je plaatsvervanger Sanne Hoekstra" in email.text
    assert "?answer=handover" in email.html
