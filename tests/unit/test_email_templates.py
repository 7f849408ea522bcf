"""Every participant email in both languages, rendered with hostile input: one-line subjects with the title,
plain text without our markup, escaped and CSS-inlined HTML, date/time and place in both bodies, RSVP links
only when given, the calendar note only when a calendar is attached."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from dtz_events.core.clock import LOCAL_TZ
from dtz_events.core.templating import EMAILS_DIR, RenderedEmail, format_when, one_line, render_email

pytestmark = pytest.mark.sqlite

EMAILS = (
    "invitation_to_participant",
    "registration_confirmed_to_participant",
    "waitlisted_to_participant",
    "promoted_to_participant",
    "event_changed_to_participant",
    "event_cancelled_to_participant",
    "registration_cancelled_to_participant",
    "reminder_to_participant",
)
LANGS = ("nl", "en")
CASES = [pytest.param(what, lang, id=f"{what}.{lang}") for what in EMAILS for lang in LANGS]

SUBJECT_WORDS = {
    ("invitation_to_participant", "nl"): "Uitnodiging:",
    ("invitation_to_participant", "en"): "Invitation:",
    ("registration_confirmed_to_participant", "nl"): "Aanmelding bevestigd",
    ("registration_confirmed_to_participant", "en"): "Registration confirmed",
    ("waitlisted_to_participant", "nl"): "Wachtlijst",
    ("waitlisted_to_participant", "en"): "Waiting list",
    ("promoted_to_participant", "nl"): "plek vrijgekomen",
    ("promoted_to_participant", "en"): "seat has become available",
    ("event_changed_to_participant", "nl"): "Gewijzigd",
    ("event_changed_to_participant", "en"): "Changed",
    ("event_cancelled_to_participant", "nl"): "Geannuleerd",
    ("event_cancelled_to_participant", "en"): "Cancelled",
    ("registration_cancelled_to_participant", "nl"): "geannuleerd",
    ("registration_cancelled_to_participant", "en"): "cancelled",
    ("reminder_to_participant", "nl"): "Herinnering",
    ("reminder_to_participant", "en"): "Reminder",
}
# A cancellation has nothing left to answer, so these two never show RSVP links.
WITHOUT_RSVP = {"event_cancelled_to_participant", "registration_cancelled_to_participant"}
# Where the event's description is repeated.
WITH_DESCRIPTION = {
    "invitation_to_participant",
    "registration_confirmed_to_participant",
    "promoted_to_participant",
    "event_changed_to_participant",
    "reminder_to_participant",
}
KIND_LABELS = {"nl": "Netwerkbijeenkomst", "en": "Network meeting"}
CALENDAR_NOTE = {"nl": "bijlage", "en": "attached"}
RSVP_LABELS = {"nl": ("Ik kom", "Misschien", "Ik kom niet"), "en": ("Accept", "Maybe", "Decline")}

SCRIPT = "<script>alert(1)</script>"
NAME = f'Zoë 🚀 {SCRIPT} O\'Brien "Jo"\r\nBcc: evil@example.com'
TITLE = f"Netwerkbijeenkomst {SCRIPT} & \"Smart\" 'Industry'\r\nHub\n🚀 Zoë"
DESCRIPTION = "Eerste regel met <b>vet</b> & co.\r\nTweede regel.\n\nVierde regel: één 🚀"
LOCATION = 'Zernikeplein 11 & "Co", 7811 AP Emmen'
ORGANISER = "events@dutchtechzone.nl"
RSVP = {
    "accepted": "http://testserver.local/rsvp/acc-token?answer=accepted&src=mail",
    "tentative": "http://testserver.local/rsvp/ten-token?answer=tentative&src=mail",
    "declined": "http://testserver.local/rsvp/dec-token?answer=declined&src=mail",
}
# Tags the templates may write; anything else in the HTML came from somewhere it should not have.
OUR_TAGS = {
    "html", "head", "meta", "title", "body", "table", "tbody", "tr", "td", "th",
    "h1", "p", "a", "strong", "br",
}  # fmt: skip


def make_context(
    *,
    lang: str,
    rsvp: dict[str, str] | None = RSVP,
    has_calendar: bool = True,
    description: str = DESCRIPTION,
    location: str = LOCATION,
    municipality: str | None = "Emmen",
    name: str = NAME,
    kind: str = "network_meeting",
    ticket_url: str | None = None,
    survey: dict[str, str] | None = None,
) -> dict[str, Any]:
    starts_at = datetime(2026, 3, 12, 15, 0, tzinfo=LOCAL_TZ)
    ends_at = starts_at + timedelta(hours=3)
    return {
        "lang": lang,
        "person": {"name": name},
        "event": {
            "title": TITLE,
            "kind": kind,
            "kind_label": KIND_LABELS.get(lang, KIND_LABELS["nl"]),
            "description": description,
            "venue": "Zernike College",
            "address": "Zernikeplein 11",
            "municipality": municipality,
            "location": location,
            "when": format_when(starts_at, ends_at, lang),
            "starts_at": starts_at,
            "ends_at": ends_at,
        },
        "rsvp": rsvp,
        "ticket_url": ticket_url,
        "survey": survey,
        "has_calendar": has_calendar,
        "organiser_email": ORGANISER,
        "base_url": "http://testserver.local",
        "reminder_hours": 48,
    }


def render(what: str, lang: str, **kwargs: Any) -> tuple[RenderedEmail, dict[str, Any]]:
    context = make_context(lang=lang, **kwargs)
    return render_email(what, lang, context), context


def html_attr(value: str) -> str:
    """How an attribute value comes out of css_inline's serialiser."""
    return value.replace("&", "&amp;").replace('"', "&quot;")


def test_every_email_exists_in_both_languages() -> None:
    for what in EMAILS + SURVEY_EMAILS:
        for lang in LANGS:
            assert (EMAILS_DIR / f"{what}.{lang}.j2").is_file()
    assert (EMAILS_DIR / "_layout.j2").is_file()


@pytest.mark.parametrize(("what", "lang"), CASES)
def test_subject_is_one_line_with_title_and_keyword(what: str, lang: str) -> None:
    email, _ = render(what, lang)
    assert "\n" not in email.subject
    assert "\r" not in email.subject
    assert email.subject == email.subject.strip()
    assert one_line(TITLE) in email.subject
    assert SUBJECT_WORDS[(what, lang)] in email.subject
    assert "&lt;" not in email.subject
    assert "&amp;" not in email.subject


@pytest.mark.parametrize(("what", "lang"), CASES)
def test_text_is_plain_and_repeats_when_and_where(what: str, lang: str) -> None:
    email, context = render(what, lang)
    text = email.text
    assert context["event"]["when"] in text
    assert LOCATION in text
    assert one_line(TITLE) in text
    assert ORGANISER in text
    assert "Dutch TechZone" in text
    # The hostile values come through as they are (plain text is not HTML) but never escaped twice.
    assert SCRIPT in text
    assert "&lt;" not in text
    assert "&amp;" not in text
    assert "&quot;" not in text
    assert "&#" not in text
    # No markup of ours: strip the user's own "tags" and nothing tag-like may remain.
    ours = text.replace(SCRIPT, "").replace("<b>", "").replace("</b>", "")
    assert not re.search(r"</?[a-zA-Z][^>]*>", ours)
    assert text.endswith("\n")
    assert not text.startswith((" ", "\n"))
    assert "\n\n\n" not in text


@pytest.mark.parametrize(("what", "lang"), CASES)
def test_html_is_escaped_inlined_and_complete(what: str, lang: str) -> None:
    email, context = render(what, lang)
    html = email.html
    assert "&lt;script&gt;" in html
    assert "<script" not in html.lower()
    assert "<b>" not in html
    assert re.search(rf'<html[^>]*\blang="{lang}"', html)
    assert html.lstrip().lower().startswith("<!doctype html>")
    # css_inline moved the <style> block into style attributes.
    assert "<style" not in html
    assert 'style="' in html
    assert "max-width: 600px" in html
    assert "Dutch TechZone" in html
    # Date/time and place, escaped like any other text.
    assert context["event"]["when"] in html
    assert LOCATION.replace("&", "&amp;") in html
    assert f'href="mailto:{ORGANISER}"' in html
    # No external resources, nothing that loads by itself.
    assert "<img" not in html
    assert "<link" not in html
    assert "@import" not in html
    assert "{{" not in html
    assert "{%" not in html
    tags = {t.lower() for t in re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", html)}
    assert tags <= OUR_TAGS, tags - OUR_TAGS


@pytest.mark.parametrize(("what", "lang"), CASES)
def test_rsvp_links_present_when_given(what: str, lang: str) -> None:
    email, _ = render(what, lang, rsvp=RSVP)
    if what in WITHOUT_RSVP:
        for url in RSVP.values():
            assert url not in email.text
            assert html_attr(url) not in email.html
        return
    for url in RSVP.values():
        assert url in email.text
        assert f'href="{html_attr(url)}"' in email.html
    for label in RSVP_LABELS[lang]:
        assert f"{label}: " in email.text
        assert f">{label}</a>" in email.html


@pytest.mark.parametrize(("what", "lang"), CASES)
def test_rsvp_links_absent_when_none(what: str, lang: str) -> None:
    email, _ = render(what, lang, rsvp=None)
    assert "/rsvp/" not in email.text
    assert "/rsvp/" not in email.html
    for label in RSVP_LABELS[lang]:
        assert f">{label}</a>" not in email.html
        assert f"\n{label}: " not in email.text


@pytest.mark.parametrize(("what", "lang"), CASES)
def test_calendar_note_only_with_a_calendar(what: str, lang: str) -> None:
    with_calendar, _ = render(what, lang, has_calendar=True)
    without_calendar, _ = render(what, lang, has_calendar=False)
    note = CALENDAR_NOTE[lang]
    assert note in with_calendar.text
    assert note in with_calendar.html
    assert note not in without_calendar.text
    assert note not in without_calendar.html


@pytest.mark.parametrize(("what", "lang"), CASES)
def test_description_keeps_its_line_breaks(what: str, lang: str) -> None:
    email, _ = render(what, lang)
    if what not in WITH_DESCRIPTION:
        assert "Tweede regel" not in email.text
        return
    assert "Eerste regel met <b>vet</b> & co.\nTweede regel.\n\nVierde regel: één 🚀" in email.text
    assert "\r" not in email.text
    assert "Eerste regel met &lt;b&gt;vet&lt;/b&gt; &amp; co.<br>" in email.html
    assert "Tweede regel.<br>" in email.html


@pytest.mark.parametrize(("what", "lang"), CASES)
def test_sparse_event_still_renders(what: str, lang: str) -> None:
    """Empty description, empty location and no municipality: the place falls back to venue and address,
    and without even those to a 'to be confirmed' line; an empty name still gives a greeting."""
    email, _ = render(what, lang, description="", location="", municipality=None, name="", rsvp=None)
    assert "Zernike College, Zernikeplein 11" in email.text
    assert "Zernike College, Zernikeplein 11" in email.html
    assert 'class="description"' not in email.html
    greeting = {"nl": "Hallo,", "en": "Hello,"}[lang]
    assert greeting in email.text
    assert greeting in email.html

    context = make_context(lang=lang, description="   ", location="", municipality=None)
    context["event"].update(venue="", address=None)
    bare = render_email(what, lang, context)
    tba = {"nl": "Locatie volgt", "en": "Location to be confirmed"}[lang]
    assert tba in bare.text
    assert tba in bare.html
    assert 'class="description"' not in bare.html


@pytest.mark.parametrize("kind", ["promotion_day", "network_meeting", "board_session"])
@pytest.mark.parametrize("lang", LANGS)
def test_invitation_for_every_kind(kind: str, lang: str) -> None:
    email, context = render("invitation_to_participant", lang, kind=kind)
    assert context["event"]["when"] in email.text
    assert email.subject.startswith({"nl": "Uitnodiging: ", "en": "Invitation: "}[lang])


def test_unknown_language_falls_back_to_dutch() -> None:
    email = render_email("reminder_to_participant", "de", make_context(lang="de"))
    assert email.subject.startswith("Herinnering")
    assert 'lang="nl"' in email.html


# ---------------------------------------------------------------- check-in code link and survey emails

TICKET_URL = "http://testserver.local/ticket/tick-token?x=1&src=mail"
TICKET_LABELS = {"nl": "Je toegangscode / QR-code", "en": "Your check-in code"}
WITH_TICKET = ("registration_confirmed_to_participant", "promoted_to_participant")
TICKET_CASES = [pytest.param(what, lang, id=f"{what}.{lang}") for what in WITH_TICKET for lang in LANGS]


@pytest.mark.parametrize(("what", "lang"), TICKET_CASES)
def test_ticket_link_when_given(what: str, lang: str) -> None:
    email, _ = render(what, lang, ticket_url=TICKET_URL)
    assert f"{TICKET_LABELS[lang]}: {TICKET_URL}" in email.text
    assert f'href="{html_attr(TICKET_URL)}"' in email.html
    assert f">{TICKET_LABELS[lang]}</a>" in email.html
    assert "\n\n\n" not in email.text


@pytest.mark.parametrize(("what", "lang"), TICKET_CASES)
def test_no_ticket_link_without_url(what: str, lang: str) -> None:
    email, _ = render(what, lang, ticket_url=None)
    assert "/ticket/" not in email.text
    assert "/ticket/" not in email.html
    assert TICKET_LABELS[lang] not in email.text
    assert TICKET_LABELS[lang] not in email.html


SURVEY_EMAILS = (
    "survey_invitation_to_participant",
    "survey_reminder_to_participant",
    "survey_followup_to_participant",
)
SURVEY_CASES = [pytest.param(what, lang, id=f"{what}.{lang}") for what in SURVEY_EMAILS for lang in LANGS]
SURVEY = {"url": 'http://testserver.local/survey/surv-token?a=1&b="2"', "closes_on": "26 maart 2026"}
SURVEY_SUBJECT_WORDS = {
    ("survey_invitation_to_participant", "nl"): "vragenlijst",
    ("survey_invitation_to_participant", "en"): "survey",
    ("survey_reminder_to_participant", "nl"): "Herinnering: vragenlijst",
    ("survey_reminder_to_participant", "en"): "Reminder: survey",
    ("survey_followup_to_participant", "nl"): "contacten",
    ("survey_followup_to_participant", "en"): "contacts",
}
CLOSES = {"nl": "De vragenlijst sluit op 26 maart 2026", "en": "The survey closes on 26 maart 2026"}


def render_survey(what: str, lang: str, **kwargs: Any) -> tuple[RenderedEmail, dict[str, Any]]:
    kwargs.setdefault("survey", SURVEY)
    kwargs.setdefault("rsvp", None)
    kwargs.setdefault("has_calendar", False)
    return render(what, lang, **kwargs)


@pytest.mark.parametrize(("what", "lang"), SURVEY_CASES)
def test_survey_subject_is_one_line_with_title(what: str, lang: str) -> None:
    email, _ = render_survey(what, lang)
    assert "\n" not in email.subject
    assert "\r" not in email.subject
    assert email.subject == email.subject.strip()
    assert one_line(TITLE) in email.subject
    assert SURVEY_SUBJECT_WORDS[(what, lang)] in email.subject
    assert "&lt;" not in email.subject
    assert "&amp;" not in email.subject


@pytest.mark.parametrize(("what", "lang"), SURVEY_CASES)
def test_survey_text_is_plain_with_link_and_closing_date(what: str, lang: str) -> None:
    email, context = render_survey(what, lang)
    text = email.text
    assert SURVEY["url"] in text
    assert CLOSES[lang] in text
    assert context["event"]["when"] in text
    assert LOCATION in text
    assert one_line(TITLE) in text
    assert ORGANISER in text
    assert SCRIPT in text
    for escaped in ("&lt;", "&amp;", "&quot;", "&#"):
        assert escaped not in text
    assert not re.search(r"</?[a-zA-Z][^>]*>", text.replace(SCRIPT, ""))
    assert text.endswith("\n")
    assert not text.startswith((" ", "\n"))
    assert "\n\n\n" not in text
    # No RSVP links, no calendar, no check-in code: this is about an event that is over.
    assert "/rsvp/" not in text
    assert "/ticket/" not in text
    assert CALENDAR_NOTE[lang] not in text


@pytest.mark.parametrize(("what", "lang"), SURVEY_CASES)
def test_survey_html_is_escaped_with_a_button(what: str, lang: str) -> None:
    email, context = render_survey(what, lang)
    html = email.html
    assert "&lt;script&gt;" in html
    assert "<script" not in html.lower()
    assert re.search(rf'<html[^>]*\blang="{lang}"', html)
    assert "<style" not in html
    assert f'href="{html_attr(SURVEY["url"])}"' in html
    assert re.search(r'<a class="button primary" href="[^"]+"[^>]*>[^<]+</a>', html)
    assert CLOSES[lang] in html
    assert context["event"]["when"] in html
    assert LOCATION.replace("&", "&amp;") in html
    assert f'href="mailto:{ORGANISER}"' in html
    assert "<img" not in html
    assert "{{" not in html
    tags = {t.lower() for t in re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", html)}
    assert tags <= OUR_TAGS, tags - OUR_TAGS


@pytest.mark.parametrize(("what", "lang"), SURVEY_CASES)
def test_survey_email_without_closing_date_or_link(what: str, lang: str) -> None:
    email, _ = render_survey(what, lang, survey={"url": SURVEY["url"], "closes_on": ""})
    assert SURVEY["url"] in email.text
    assert CLOSES[lang].split(" 26")[0] not in email.text
    bare, _ = render_survey(what, lang, survey=None, description="", location="", name="")
    assert "/survey/" not in bare.text
    assert "/survey/" not in bare.html
    assert {"nl": "Hallo,", "en": "Hello,"}[lang] in bare.text


def test_followup_asks_how_contacts_developed() -> None:
    nl, _ = render_survey("survey_followup_to_participant", "nl")
    en, _ = render_survey("survey_followup_to_participant", "en")
    assert "ontwikkeld" in nl.text
    assert "develop" in en.text
