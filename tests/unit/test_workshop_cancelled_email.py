"""The host's cancellation in both languages: why the entry goes (the day, the workshop, the contact), the
day's details in the text, names escaped in HTML and themselves in the text."""

from __future__ import annotations

import pytest

from dtz_events.core.templating import render_email
from tests.unit.test_rotation_emails import COMMON, EVENT

WORKSHOP = {"title": "Lassen <robot>", "place": "Hal 3", "capacity": 30}
SUBJECT = {
    "nl": "Vervallen: Lassen <robot> op Techniekdag <Emmen>",
    "en": "Cancelled: Lassen <robot> at Techniekdag <Emmen>",
}
WHY = {
    "nl": {
        "day": "Techniekdag <Emmen> gaat niet door.",
        "withdrawn": "De workshop Lassen <robot> is teruggetrokken van Techniekdag <Emmen>.",
        "replaced": "Een andere collega is nu contactpersoon van je workshop Lassen <robot>",
    },
    "en": {
        "day": "Techniekdag <Emmen> will not take place.",
        "withdrawn": "The workshop Lassen <robot> is withdrawn from Techniekdag <Emmen>.",
        "replaced": "A colleague is now the contact of your workshop Lassen <robot>",
    },
}


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("reason", ["day", "withdrawn", "replaced"])
def test_host_cancelled(lang: str, reason: str) -> None:
    context = {**COMMON, "event": EVENT, "workshop": WORKSHOP, "reason": reason}
    email = render_email("workshop_cancelled_to_host", lang, context)
    assert email.subject == SUBJECT[lang]
    assert WHY[lang][reason] in email.text
    assert EVENT["when"] in email.text
    assert "Lassen &lt;robot&gt;" in email.html
    assert "<robot>" not in email.html
