"""Minutes are Markdown rendered safely: raw HTML stays text, script links are not made, whatever is typed."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dtz_events.board.services import render_markdown

pytestmark = pytest.mark.sqlite


@pytest.fixture(autouse=True)
def empty_tables() -> None:
    """Overrides conftest's emptying of the tables: these tests touch no database."""


ELEMENT = re.compile(r"<\s*(script|img|iframe|object|embed|style|svg|math|form|input)\b", re.I)
HANDLER = re.compile(r"<[^>]*\son\w+\s*=", re.I)
SCRIPT_URL = re.compile(r"<[^>]*\s(href|src)\s*=\s*[\"']?\s*(javascript|vbscript|data):", re.I)


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
        '<img src=x onerror="alert(1)">',
        "<iframe src=https://evil.example></iframe>",
        "[klik](javascript:alert(1))",
        "[klik](JaVaScRiPt:alert(1))",
        "[klik](data:text/html;base64,PHNjcmlwdD4=)",
        "![plaatje](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "<style>body{display:none}</style>",
    ],
)
def test_hostile_markdown_is_inert(text: str) -> None:
    html = render_markdown(text)
    assert not ELEMENT.search(html), html
    assert not HANDLER.search(html), html
    assert not SCRIPT_URL.search(html), html


def test_ordinary_minutes_keep_their_markup() -> None:
    html = render_markdown(
        "## Besluit\n\nHet BO stemt in met **de begroting**.\n\n- Emmen\n- Coevorden\n\n[Stukken](https://dutchtechzone.nl/bo)"
    )
    assert "<h2>Besluit</h2>" in html
    assert "<strong>de begroting</strong>" in html
    assert "<li>Emmen</li>" in html
    assert '<a href="https://dutchtechzone.nl/bo" rel="noopener noreferrer">Stukken</a>' in html


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>/=\"' abcjsvrptonerf():[]!*#-\n")), max_size=80))
def test_no_typed_text_becomes_a_script_or_handler(text: str) -> None:
    html = render_markdown(text)
    assert not ELEMENT.search(html), (text, html)
    assert not HANDLER.search(html), (text, html)
    assert not SCRIPT_URL.search(html), (text, html)
