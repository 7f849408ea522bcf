"""Form helpers shared by the organiser and partner pages: errors shown next to their field and in a summary,
a form saved or shown again with its errors, local date-times, CSV that a spreadsheet does not execute."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import msgspec
from litestar.response import Template
from litestar.status_codes import HTTP_200_OK, HTTP_400_BAD_REQUEST

from dtz_events.core.auth import Principal
from dtz_events.core.clock import LOCAL_TZ, local
from dtz_events.core.errors import DomainError, NotFound, field_errors_from_msgspec
from dtz_events.core.i18n import gettext
from dtz_events.pages.access import PageResult, see_other

T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    """One error in a form: the field's id (the anchor), its label and the message."""

    anchor: str
    label: str
    message: str


class FormErrors(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


def problems(errors: dict[str, str], labels: dict[str, str], lang: str) -> list[Problem]:
    return [
        Problem(anchor=field, label=gettext(lang, labels.get(field, field)), message=message)
        for field, message in errors.items()
    ]


def domain_errors(exc: DomainError, default_field: str) -> dict[str, str]:
    """A service's error by field (`themes[0]` counts as `themes`); an error without a field goes to the
    form's main field."""
    if not exc.errors:
        return {default_field: exc.detail}
    return {e.field.split("[")[0]: e.message for e in exc.errors}


def msgspec_errors(exc: msgspec.ValidationError) -> dict[str, str]:
    return {e.field.split("[")[0].split(".")[0]: e.message for e in field_errors_from_msgspec(str(exc))}


def translated(errors: dict[str, str], lang: str) -> dict[str, str]:
    return {field: gettext(lang, message) for field, message in errors.items()}


def form_page(
    template: str,
    lang: str,
    principal: Principal,
    labels: dict[str, str],
    values: dict[str, Any],
    errors: dict[str, str] | None,
    /,
    **context: Any,
) -> Template:
    """A page with a form: the values typed, each error translated by its field and in the summary (labels
    name the fields there), status 400 while there are errors."""
    shown = translated(errors or {}, lang)
    context.update(
        lang=lang,
        principal=principal,
        values=values,
        errors=shown,
        error_list=problems(shown, labels, lang),
    )
    return Template(template, context=context, status_code=HTTP_400_BAD_REQUEST if shown else HTTP_200_OK)


async def save_or_rerender(
    save: Callable[[], Awaitable[T]],
    rerender: Callable[[dict[str, str]], Awaitable[Template]],
    *,
    main_field: str,
    done: str | Callable[[T], PageResult],
    missing: Callable[[], PageResult] | None = None,
) -> PageResult:
    """Save a form: on success see `done` (an address, or the answer made from what `save` returned); else
    the form again with its errors by field, from the page's own checks (FormErrors), from msgspec, or from
    the service (one without a field goes to `main_field`). With `missing`, a NotFound answers that page."""
    try:
        result = await save()
    except FormErrors as exc:
        errors = exc.errors
    except msgspec.ValidationError as exc:
        errors = msgspec_errors(exc)
    except DomainError as exc:
        if missing is not None and isinstance(exc, NotFound):
            return missing()
        errors = domain_errors(exc, main_field)
    else:
        return see_other(done) if isinstance(done, str) else done(result)
    return await rerender(errors)


def parse_local(value: str, field: str, errors: dict[str, str], required: bool = True) -> datetime | None:
    """`2026-12-01T15:00` from <input type=datetime-local>, in Amsterdam time."""
    if not value:
        if required:
            errors[field] = "Fill this in."
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        errors[field] = "Give a date and time."
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=LOCAL_TZ)
    return parsed


def local_input(value: datetime | None) -> str:
    return local(value).strftime("%Y-%m-%dT%H:%M") if value else ""


def form_id(raw: str) -> int:
    """An id chosen in a form; 0, which no row has, for anything that is not one."""
    return int(raw) if raw.isdigit() and len(raw) < 10 else 0


def parse_int(
    value: str,
    field: str,
    errors: dict[str, str],
    *,
    required: bool = True,
    low: int = 0,
    high: int = 100_000,
) -> int | None:
    if not value:
        if required:
            errors[field] = "Fill this in."
        return None
    if not value.isdigit() or not low <= int(value) <= high:
        errors[field] = f"Give a whole number from {low} to {high}."
        return None
    return int(value)


def csv_safe(text: Any) -> str:
    """A cell a spreadsheet shows as text: no formula from a name like `=HYPERLINK(...)`."""
    value = "" if text is None else str(text)
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_text(header: list[str], rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_safe(cell) for cell in row])
    return buffer.getvalue()
