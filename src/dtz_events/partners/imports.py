"""Bulk import of organisations and people from CSV. A dry run checks every row and reports each bad one
(row number as a spreadsheet shows it, field, reason); the real run checks the same way and then writes
all rows in one transaction, or nothing at all when any row is bad."""

from __future__ import annotations

import csv
import io
from enum import StrEnum
from typing import Any

import msgspec

from dtz_events.core.db import is_unique_violation, write_transaction
from dtz_events.core.errors import Conflict, InvalidInput, field_errors_from_msgspec
from dtz_events.core.schemas import Output, normalise_email
from dtz_events.partners.schemas import HELIX_OF_KIND, OrganisationCreate, OrganisationKind, PersonCreate
from dtz_events.partners.tables import Organisation, Person

MAX_ROWS = 10_000
MAX_BYTES = 5_000_000


class ImportKind(StrEnum):
    organisations = "organisations"
    people = "people"


COLUMNS = {
    ImportKind.organisations: ("name", "kind", "municipality", "kvk_number", "website"),
    ImportKind.people: ("name", "email", "organisation", "language", "job_title"),
}
REQUIRED = {ImportKind.organisations: ("name", "kind"), ImportKind.people: ("name", "email", "organisation")}


class RowError(Output):
    row: int
    field: str
    reason: str


class ImportReport(Output):
    kind: ImportKind
    dry_run: bool
    rows: int
    valid: int
    created: int
    errors: list[RowError]


def _read(text: str, kind: ImportKind) -> list[dict[str, str]]:
    if len(text.encode()) > MAX_BYTES:
        raise InvalidInput("file", f"the file is larger than {MAX_BYTES // 1_000_000} MB")
    text = text.lstrip("\ufeff")
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","  # Dutch spreadsheets write ';'
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED[kind] if c not in header]
    if missing:
        raise InvalidInput("file", f"the first line must name the columns; missing: {', '.join(missing)}")
    unknown = [h for h in header if h and h not in COLUMNS[kind]]
    if unknown:
        raise InvalidInput("file", f"unknown columns: {', '.join(unknown)}")
    reader.fieldnames = header
    rows = []
    for raw in reader:
        rows.append({k: (v or "").strip() for k, v in raw.items() if k})
        if len(rows) > MAX_ROWS:
            raise InvalidInput("file", f"at most {MAX_ROWS} rows at a time")
    return rows


def _problems(exc: msgspec.ValidationError, number: int) -> list[RowError]:
    return [
        RowError(row=number, field=e.field.split("[")[0], reason=e.message)
        for e in field_errors_from_msgspec(str(exc))
    ]


async def _check_organisations(rows: list[dict[str, str]]) -> tuple[list[dict[str, Any]], list[RowError]]:
    errors: list[RowError] = []
    valid: list[dict[str, Any]] = []
    kvks = [r["kvk_number"] for r in rows if r.get("kvk_number")]
    taken = (
        {
            o["kvk_number"]
            for o in await Organisation.select(Organisation.kvk_number).where(
                Organisation.kvk_number.is_in(kvks)
            )
        }
        if kvks
        else set()
    )
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        number = index + 2  # the header is line 1
        body = {k: v or None for k, v in row.items() if k in COLUMNS[ImportKind.organisations]}
        body["name"] = row.get("name", "")
        body["kind"] = row.get("kind", "").lower()
        try:
            data = msgspec.convert(body, OrganisationCreate)
        except msgspec.ValidationError as exc:
            errors.extend(_problems(exc, number))
            continue
        if data.kvk_number and data.kvk_number in taken:
            errors.append(
                RowError(row=number, field="kvk_number", reason="an organisation with this KvK number exists")
            )
            continue
        if data.kvk_number and data.kvk_number in seen:
            errors.append(
                RowError(
                    row=number,
                    field="kvk_number",
                    reason=f"the same KvK number as row {seen[data.kvk_number]}",
                )
            )
            continue
        if data.kvk_number:
            seen[data.kvk_number] = number
        valid.append(
            {
                "name": data.name,
                "kind": data.kind.value,
                "helix": HELIX_OF_KIND[OrganisationKind(data.kind)].value,
                "municipality": data.municipality,
                "kvk_number": data.kvk_number,
                "website": data.website,
            }
        )
    return valid, errors


async def _organisation_index() -> dict[str, int | None]:
    """Organisation by lower-case name and by KvK number; a name two organisations share maps to None."""
    index: dict[str, int | None] = {}
    for org in await Organisation.select(Organisation.id, Organisation.name, Organisation.kvk_number):
        key = org["name"].strip().lower()
        index[key] = None if key in index else org["id"]
        if org["kvk_number"]:
            index[org["kvk_number"]] = org["id"]
        index[f"#{org['id']}"] = org["id"]
    return index


async def _check_people(rows: list[dict[str, str]]) -> tuple[list[dict[str, Any]], list[RowError]]:
    errors: list[RowError] = []
    valid: list[dict[str, Any]] = []
    organisations = await _organisation_index()
    seen: dict[str, int] = {}
    checked: list[tuple[int, dict[str, Any]]] = []
    for index, row in enumerate(rows):
        number = index + 2
        reference = row.get("organisation", "")
        key = reference.lower() if not reference.isdigit() or len(reference) == 8 else f"#{reference}"
        organisation_id = organisations.get(key)
        if not reference or organisation_id is None:
            reason = (
                "name two organisations share; use the KvK number"
                if key in organisations
                else "no such organisation (give its name, KvK number or id)"
            )
            errors.append(
                RowError(row=number, field="organisation", reason=reason if reference else "fill this in")
            )
            continue
        body = {
            "name": row.get("name", ""),
            "email": row.get("email", ""),
            "organisation_id": organisation_id,
            "language": (row.get("language") or "nl").lower(),
            "job_title": row.get("job_title") or None,
        }
        try:
            data = msgspec.convert(body, PersonCreate)
            email = normalise_email(data.email)
        except msgspec.ValidationError as exc:
            errors.extend(_problems(exc, number))
            continue
        except InvalidInput as exc:
            errors.append(RowError(row=number, field="email", reason=exc.errors[0].message))
            continue
        if email in seen:
            errors.append(
                RowError(row=number, field="email", reason=f"the same email address as row {seen[email]}")
            )
            continue
        seen[email] = number
        checked.append(
            (
                number,
                {
                    "name": data.name,
                    "email": email,
                    "organisation": organisation_id,
                    "language": data.language,
                    "job_title": data.job_title,
                },
            )
        )
    emails = [p["email"] for _, p in checked]
    taken = set()
    for start in range(0, len(emails), 1000):
        chunk = emails[start : start + 1000]
        taken |= {p["email"] for p in await Person.select(Person.email).where(Person.email.is_in(chunk))}
    for number, person in checked:
        if person["email"] in taken:
            errors.append(
                RowError(row=number, field="email", reason="a person with this email address exists")
            )
        else:
            valid.append(person)
    errors.sort(key=lambda e: e.row)
    return valid, errors


async def import_csv(kind: ImportKind, text: str, *, dry_run: bool) -> ImportReport:
    rows = _read(text, kind)
    if kind is ImportKind.organisations:
        valid, errors = await _check_organisations(rows)
    else:
        valid, errors = await _check_people(rows)
    created = 0
    if not dry_run and not errors and valid:
        try:
            async with write_transaction():
                for start in range(0, len(valid), 500):
                    chunk = valid[start : start + 500]
                    if kind is ImportKind.organisations:
                        await Organisation.insert(*(Organisation(**values) for values in chunk))
                    else:
                        await Person.insert(*(Person(**values) for values in chunk))
        except Exception as exc:  # a KvK number or email added by someone else since the check
            if is_unique_violation(exc):
                raise Conflict(
                    "a row was added elsewhere meanwhile; check the file again", field="file"
                ) from exc
            raise
        created = len(valid)
    return ImportReport(
        kind=kind, dry_run=dry_run, rows=len(rows), valid=len(valid), created=created, errors=errors
    )
