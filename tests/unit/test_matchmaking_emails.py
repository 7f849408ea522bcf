"""The matchmaking emails in both languages, with hostile names: one-line subjects, plain text without our
markup, escaped HTML, and the time and table of the meeting in both bodies."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from dtz_events.core.clock import LOCAL_TZ
from dtz_events.core.templating import EMAILS_DIR, format_when, render_email

pytestmark = pytest.mark.sqlite

HOSTILE = 'Anouk <script>alert("x")</script>\r\nBcc: evil@example.org'
ORGANISATION = "Emmtec & Partners <BV>"
START = datetime(2026, 12, 17, 15, 40, tzinfo=LOCAL_TZ)
EMAILS = (
    "meeting_scheduled_to_participant",
    "meeting_cancelled_to_participant",
    "meeting_request_to_participant",
    "meeting_agenda_to_participant",
)
CASES = [pytest.param(what, lang, id=f"{what}.{lang}") for what in EMAILS for lang in ("nl", "en")]


def context(lang: str, changed: bool = False) -> dict[str, object]:
    when = format_when(START, START + timedelta(minutes=20), lang)
    other = {"name": HOSTILE, "organisation_name": ORGANISATION}
    return {
        "person": {"name": "Cor <b>Bakker</b>"},
        "other": other,
        "requester": other,
        "message": "Zullen we <i>praten</i>?",
        "event": {
            "title": "Netwerkbijeenkomst <Waterstof>",
            "kind_label": "Netwerkbijeenkomst",
            "location": "Emmtec Industry & Business Park, Emmen",
            "venue": "Emmtec",
            "address": "",
            "municipality": "Emmen",
            "when": format_when(START, START + timedelta(hours=3), lang),
            "description": "",
        },
        "meeting": {"when": when, "starts_at": START, "table_number": 12, "changed": changed},
        "meetings": [
            {
                "when": when,
                "time": "15:40–16:00",
                "table_number": 12,
                "other_name": HOSTILE,
                "other_organisation": ORGANISATION,
            }
        ],
        "agenda_url": "http://testserver.local/matchmaking/matchmaking_abc",
        "organiser_email": "events@dutchtechzone.nl",
        "base_url": "http://testserver.local",
    }


def test_every_matchmaking_email_exists_in_both_languages() -> None:
    for what in EMAILS:
        for lang in ("nl", "en"):
            assert (EMAILS_DIR / f"{what}.{lang}.j2").is_file()


@pytest.mark.parametrize(("what", "lang"), CASES)
def test_rendered_safely_with_time_and_table(what: str, lang: str) -> None:
    email = render_email(what, lang, context(lang))
    assert "\n" not in email.subject
    assert "\r" not in email.subject
    assert "<script>" not in email.html
    assert "&lt;script&gt;" in email.html
    assert "<b>Bakker</b>" not in email.html
    assert "&lt;" not in email.text  # the plain text is not HTML-escaped
    assert "<p>" not in email.text
    if what == "meeting_request_to_participant":
        assert "http://testserver.local/matchmaking/matchmaking_abc" in email.text
        assert 'href="http://testserver.local/matchmaking/matchmaking_abc"' in email.html
        assert "Zullen we <i>praten</i>?" in email.text
        return
    assert "12" in email.text
    assert "12" in email.html
    assert "15:40" in email.text
    assert "15:40" in email.html


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_moved_meeting_says_changed(lang: str) -> None:
    first = render_email("meeting_scheduled_to_participant", lang, context(lang))
    moved = render_email("meeting_scheduled_to_participant", lang, context(lang, changed=True))
    word = {"nl": "Gewijzigd", "en": "Changed"}[lang]
    assert word not in first.subject
    assert moved.subject.startswith(word)
    cancelled = render_email("meeting_cancelled_to_participant", lang, context(lang))
    assert {"nl": "Geannuleerd", "en": "Cancelled"}[lang] in cancelled.subject
