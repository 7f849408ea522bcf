"""Form helpers shared by the organiser and partner pages: errors shown next to their field and in a summary,
local date-times, CSV that a spreadsheet does not execute."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from dtz_events.core.clock import LOCAL_TZ, local
from dtz_events.core.errors import DomainError, field_errors_from_msgspec
from dtz_events.core.i18n import gettext


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
