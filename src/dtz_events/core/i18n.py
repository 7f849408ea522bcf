"""Page translations with Babel: source strings in English, `locale/<lang>/LC_MESSAGES/*.po`
compiled in memory at first use (no build step), and Jinja's i18n extension reading the page's `lang`."""

from __future__ import annotations

from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import Environment, pass_context
from jinja2.runtime import Context

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
LANGUAGES = ("nl", "en")


@cache
def translations(language: str) -> NullTranslations:
    """Every `.po` file of the language (one per domain: `messages.po`, `board.po`, ...) as one catalog."""
    files = sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po"))
    if not files:
        return NullTranslations()
    catalog = _read(files[0], language)
    for extra in files[1:]:
        for message in _read(extra, language):
            if message.id:
                catalog[message.id] = message
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def _read(po: Path, language: str) -> Catalog:
    with po.open("rb") as handle:
        return read_po(handle, locale=language)


def pick_language(*candidates: str | None) -> str:
    for candidate in candidates:
        if candidate:
            code = candidate.split(",")[0].split(";")[0].strip().lower()[:2]
            if code in LANGUAGES:
                return code
    return "nl"


def gettext(language: str, message: str) -> str:
    return translations(language).gettext(message)


@pass_context
def _gettext(context: Context, message: str) -> str:
    return gettext(context.get("lang", "nl"), message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return translations(context.get("lang", "nl")).ngettext(singular, plural, n)


def install(env: Environment) -> None:
    env.add_extension("jinja2.ext.i18n")
    install_callables: Any = env.install_gettext_callables  # type: ignore[attr-defined]
    install_callables(gettext=_gettext, ngettext=_ngettext, newstyle=True)
