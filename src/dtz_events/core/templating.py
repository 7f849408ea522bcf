"""Jinja2 for emails (top-level emails/) and pages. Email templates are one file per email and language,
`<what>_to_<audience>.<lang>.j2`, with `subject`, `text` and `html` blocks."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import css_inline
from babel.dates import format_date, format_datetime, format_time
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from dtz_events.core.clock import LOCAL_TZ

EMAILS_DIR = Path(os.environ.get("DTZ_EMAILS_DIR") or Path(__file__).resolve().parents[3] / "emails")
LANGUAGES = ("nl", "en")


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def format_when(starts_at: datetime, ends_at: datetime, language: str) -> str:
    """`donderdag 12 maart 2026, 15:00–18:00` (or across days with both dates), in Amsterdam time."""
    start, end = starts_at.astimezone(LOCAL_TZ), ends_at.astimezone(LOCAL_TZ)
    if start.date() == end.date():
        day = format_date(start, "full", locale=language)
        begin, finish = (format_time(t, "HH:mm", locale=language) for t in (start, end))
        return f"{day}, {begin}–{finish}"
    pattern = "EEEE d MMMM y, HH:mm"
    first, last = (format_datetime(t, pattern, locale=language) for t in (start, end))
    return f"{first} – {last}"


_CONTROL = dict.fromkeys(range(32), " ") | {127: " "}


def one_line(text: str) -> str:
    """Folds whitespace and control characters, CR and LF included, so a value fits a header or subject."""
    return " ".join(str(text).translate(_CONTROL).split())


def jinja_environment(directory: Path, **options: Any) -> Environment:
    """The one Jinja set-up of emails and pages: autoescaped, strict about missing values."""
    return Environment(
        loader=FileSystemLoader(str(directory)),
        autoescape=select_autoescape(enabled_extensions=("j2", "html"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        **options,
    )


@cache
def email_environment() -> Environment:
    # No auto_reload: it would stat the template and each import of the layout on every email.
    env = jinja_environment(EMAILS_DIR, keep_trailing_newline=True, auto_reload=False)
    env.filters["one_line"] = one_line
    return env


def _block(template: Any, name: str, context: dict[str, Any]) -> str:
    rendered = "".join(template.blocks[name](template.new_context(context)))
    return rendered


def render_email(what: str, language: str, context: dict[str, Any]) -> RenderedEmail:
    """Renders the three blocks. The template is autoescaped; subject and text are unescaped afterwards,
    so `<script>` in a name is `&lt;script&gt;` in HTML and itself in the plain text."""
    language = language if language in LANGUAGES else "nl"
    template = email_environment().get_template(f"{what}.{language}.j2")
    context = {**context, "lang": language}
    # Markup() here only wraps output the template already escaped, to undo that escaping for plain text.
    subject = one_line(Markup(_block(template, "subject", context)).unescape())  # noqa: S704
    text = Markup(_block(template, "text", context)).unescape().strip() + "\n"  # noqa: S704
    html = css_inline.inline(_block(template, "html", context))
    return RenderedEmail(subject=subject, text=text, html=html)
