"""The promotion-day emails in both languages: one-line subjects that say what changed, the rounds in the
plain text, names escaped in HTML and themselves in the text."""

from __future__ import annotations

import pytest

from dtz_events.core.templating import render_email

EVENT = {
    "title": "Techniekdag <Emmen>",
    "kind": "promotion_day",
    "kind_label": "Techniekpromotiedag",
    "description": "",
    "venue": "Emmtec",
    "address": "Phileas Foggstraat 1",
    "municipality": "Emmen",
    "location": "Emmtec, Phileas Foggstraat 1, Emmen",
    "when": "donderdag 14 januari 2027, 09:00–15:00",
}
COMMON = {
    "person": {"name": "Juf <Anja>"},
    "organiser_email": "events@dutchtechzone.nl",
    "base_url": "https://x.nl",
}
GROUP = {"class_name": "8A <b>", "school_name": "Esdal College", "level": "groep 7/8", "pupil_count": 24}
VISITS = [
    {"round": 1, "time": "10:00–10:45", "title": "Lassen met een robot", "host": "Emmtec", "place": "Hal 3"},
    {
        "round": 2,
        "time": "11:00–11:45",
        "title": "Proefjes met waterstof",
        "host": "NHL Stenden",
        "place": "",
    },
]


def teacher(changed: bool) -> dict:
    return {
        **COMMON,
        "event": EVENT,
        "group": GROUP,
        "visits": VISITS,
        "changed": changed,
        "has_calendar": True,
    }


def host(changed: bool) -> dict:
    rounds = [
        {
            "round": 1,
            "time": "10:00–10:45",
            "pupils": 24,
            "groups": [
                {
                    "school_name": "Esdal College",
                    "class_name": "8A <b>",
                    "level": "vmbo",
                    "pupil_count": 24,
                    "supervisor_count": 2,
                }
            ],
        },
        {"round": 2, "time": "11:00–11:45", "pupils": 0, "groups": []},
    ]
    workshop = {"title": "Lassen <robot>", "place": "Hal 3", "capacity": 30}
    return {**COMMON, "event": EVENT, "workshop": workshop, "rounds": rounds, "changed": changed}


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("changed", [False, True])
def test_teacher_schedule(lang: str, changed: bool) -> None:
    email = render_email("rotation_schedule_to_teacher", lang, teacher(changed))
    assert "\n" not in email.subject
    assert "8A <b>" in email.subject
    assert ({"nl": "Gewijzigd", "en": "Changed"}[lang] in email.subject) is changed
    assert "Lassen met een robot (Emmtec), Hal 3" in email.text
    assert "Juf <Anja>" in email.text
    assert "&lt;Anja&gt;" in email.html
    assert "<Anja>" not in email.html
    assert "&lt;b&gt;" in email.html


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_group_cancelled(lang: str) -> None:
    context = {**teacher(True), "visits": [], "replaced": False}
    email = render_email("rotation_cancelled_to_teacher", lang, context)
    assert {"nl": "Afgemeld", "en": "Cancelled"}[lang] in email.subject
    assert "Esdal College" in email.text
    replaced = render_email("rotation_cancelled_to_teacher", lang, {**context, "replaced": True})
    assert {"nl": "Een andere docent", "en": "Another teacher"}[lang] in replaced.text


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("changed", [False, True])
def test_host_schedule(lang: str, changed: bool) -> None:
    email = render_email("workshop_schedule_to_host", lang, host(changed))
    assert "Lassen <robot>" in email.subject
    pupils = {"nl": "24 leerlingen", "en": "24 pupils"}[lang]
    assert pupils in email.text
    assert {"nl": "geen groep", "en": "no group"}[lang] in email.text
    assert "&lt;robot&gt;" in email.html
