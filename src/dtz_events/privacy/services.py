"""Export and erasure of one person's data, retention per kind of event, and the audit log.

What belongs to a person is found from the tables themselves: every table in all_tables() with a foreign key
to Person, then every table with a foreign key to one of those (registration -> survey invitation -> survey
response), and so on. A table another domain adds later is exported without a change here; OVERRIDES names
the few that need more than the default (columns to leave out, fields to blank on erasure)."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from piccolo.columns import ForeignKey
from piccolo.table import Table

from dtz_events.core.auth import Principal
from dtz_events.core.clock import utcnow
from dtz_events.core.db import write_transaction
from dtz_events.core.errors import Conflict, NotFound
from dtz_events.core.schemas import Page, Pagination
from dtz_events.privacy.schemas import AuditEntryOut, ErasureOut, PersonExport, RetentionOut
from dtz_events.privacy.tables import AuditEntry

ERASED_NAME = "(erased)"
ERASED_DOMAIN = "erased.invalid"
MAX_DEPTH = 4  # person -> registration -> survey invitation -> survey response / reported contact


@dataclass(frozen=True)
class Override:
    """How one table is treated beyond the default (export every column but secrets; keep rows on erasure,
    now pointing at the anonymised person)."""

    omit: frozenset[str] = frozenset()  # columns never exported (digests, claim tokens, bulky copies)
    skip: bool = False  # not personal data at all, or reached through another path
    erase: Callable[[list[int]], Awaitable[int]] | None = None  # what erasure does to these rows


async def _revoke_links(ids: list[int]) -> int:
    from dtz_events.registrations.tables import LinkToken

    rows = (
        await LinkToken.update({LinkToken.revoked_at: utcnow()})
        .where(LinkToken.id.is_in(ids) & LinkToken.revoked_at.is_null())
        .returning(LinkToken.id)
    )
    return len(rows)


async def _anonymise_registrations(ids: list[int]) -> int:
    """Kept (they are the counts), with the door code gone; the person they point at is anonymised."""
    from dtz_events.registrations.tables import Registration

    await Registration.update({Registration.checkin_code: None}).where(Registration.id.is_in(ids))
    return len(ids)


async def _blank_outbox(ids: list[int]) -> int:
    """Kept as counts of what was sent, with every personal field blanked; unsent ones are not sent."""
    from dtz_events.mail.tables import OutboxMessage

    await OutboxMessage.update(
        {
            OutboxMessage.status: "failed",
            OutboxMessage.last_error: "recipient erased",
            OutboxMessage.claim_token: None,
        }
    ).where(OutboxMessage.id.is_in(ids) & OutboxMessage.status.is_in(["queued", "sending"]))
    await OutboxMessage.update(
        {
            OutboxMessage.recipient_email: f"erased@{ERASED_DOMAIN}",
            OutboxMessage.recipient_name: "",
            OutboxMessage.subject: None,
            OutboxMessage.text_body: None,
            OutboxMessage.html_body: None,
            OutboxMessage.ics: None,
        }
    ).where(OutboxMessage.id.is_in(ids))
    return len(ids)


async def _detach_responses(ids: list[int]) -> int:
    """Answers stay in the results, no longer joined to anyone (as in an anonymous survey)."""
    from dtz_events.surveys.tables import SurveyResponse

    await SurveyResponse.update({SurveyResponse.invitation: None}).where(SurveyResponse.id.is_in(ids))
    return len(ids)


OVERRIDES: dict[str, Override] = {
    "link_token": Override(omit=frozenset({"digest"}), erase=_revoke_links),
    "registration": Override(erase=_anonymise_registrations),
    "outbox": Override(omit=frozenset({"html_body", "claim_token", "ics"}), erase=_blank_outbox),
    "survey_response": Override(erase=_detach_responses),
    "audit_entry": Override(skip=True),  # about accounts, not participants
}


def _override(table: type[Table]) -> Override:
    return OVERRIDES.get(table._meta.tablename, Override())


def _references(column: ForeignKey) -> type[Table]:  # type: ignore[type-arg]
    return column._foreign_key_meta.resolved_references


def person_graph() -> list[tuple[type[Table], ForeignKey, type[Table]]]:  # type: ignore[type-arg]
    """(table, its foreign key column, the table it points to) for every path from Person outwards,
    in the order to follow them."""
    from dtz_events.partners.tables import Person
    from dtz_events.tables import all_tables

    tables = [t for t in all_tables() if not _override(t).skip]
    reached: list[type[Table]] = [Person]
    edges: list[tuple[type[Table], ForeignKey, type[Table]]] = []  # type: ignore[type-arg]
    for _ in range(MAX_DEPTH):
        grown = False
        for table in tables:
            for column in table._meta.foreign_key_columns:
                target = _references(column)
                if target in reached and (table, column, target) not in edges and table is not Person:
                    edges.append((table, column, target))
                    if table not in reached:
                        reached.append(table)
                        grown = True
        if not grown:
            break
    return edges


async def _rows_of(person_id: int) -> dict[type[Table], dict[int, dict[str, Any]]]:
    from dtz_events.partners.tables import Person

    found: dict[type[Table], dict[int, dict[str, Any]]] = {}
    person = await Person.select().where(Person.id == person_id).output(load_json=True).first()
    if person is None:
        raise NotFound("person")
    found[Person] = {person_id: person}
    edges = person_graph()
    for _ in range(MAX_DEPTH):
        grown = False
        for table, column, target in edges:
            ids = list(found.get(target, {}))
            if not ids:
                continue
            rows = await table.select().where(column.is_in(ids)).output(load_json=True)
            bucket = found.setdefault(table, {})
            for row in rows:
                if row["id"] not in bucket:
                    bucket[row["id"]] = row
                    grown = True
        if not grown:
            break
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bytes):
        return value.hex()
    return value


def _exportable(table: type[Table], row: dict[str, Any]) -> dict[str, Any]:
    secret = {c._meta.name for c in table._meta.columns if getattr(c._meta, "secret", False)}
    omit = _override(table).omit | secret
    return {key: _plain(value) for key, value in row.items() if key not in omit}


async def export_person(person_id: int) -> PersonExport:
    found = await _rows_of(person_id)
    from dtz_events.partners.tables import Person

    data = {
        table._meta.tablename: [_exportable(table, row) for _, row in sorted(rows.items())]
        for table, rows in found.items()
        if table is not Person
    }
    return PersonExport(
        exported_at=utcnow(),
        person=_exportable(Person, found[Person][person_id]),
        data=dict(sorted(data.items())),
    )


async def erase_person(principal: Principal | None, person_id: int) -> ErasureOut:
    """Anonymise the person and whatever points at them: rows are kept (counts stay true) unless an
    override says what else to do."""
    from dtz_events.partners.tables import Person

    async with write_transaction():
        found = await _rows_of(person_id)
        person = found[Person][person_id]
        if str(person["email"]).endswith("@" + ERASED_DOMAIN):
            raise Conflict("this person was erased already")
        touched: dict[str, int] = {}
        for table, rows in found.items():
            action = _override(table).erase
            if action is not None and rows:
                touched[table._meta.tablename] = await action(sorted(rows))
            elif table is not Person and rows:
                touched[table._meta.tablename] = len(rows)
        await Person.update(
            {
                Person.name: ERASED_NAME,
                Person.email: f"erased-{person_id}@{ERASED_DOMAIN}",
                Person.job_title: None,
                Person.updated_at: utcnow(),
            }
        ).where(Person.id == person_id)
    return ErasureOut(person_id=person_id, erased_at=utcnow(), rows=dict(sorted(touched.items())))


# ---------------------------------------------------------------- retention

DEFAULT_RETENTION_DAYS = {"promotion_day": 365, "network_meeting": 730, "board_session": 3650}


def retention_days() -> dict[str, int]:
    """Days after an event's end that its participants' personal data is kept, per kind of event:
    DTZ_RETENTION_DAYS_<KIND> (for example DTZ_RETENTION_DAYS_NETWORK_MEETING=365)."""
    return {
        kind: int(os.environ.get(f"DTZ_RETENTION_DAYS_{kind.upper()}") or days)
        for kind, days in DEFAULT_RETENTION_DAYS.items()
    }


@dataclass
class RetentionRun:
    events: int = 0
    people: list[int] = field(default_factory=list)


async def apply_retention(now: datetime) -> int:
    """The scheduler's job: for events whose retention has passed, drop what is personal but not a count
    (link tokens, door codes, the emails' copies), and erase the people who have nothing newer. Idempotent:
    a second run finds nothing to do. Returns how many people it erased."""
    return len((await retention_run(now)).people)


async def retention_run(now: datetime) -> RetentionRun:
    from dtz_events.events.tables import Event
    from dtz_events.partners.tables import Person
    from dtz_events.registrations.tables import Registration

    run = RetentionRun()
    expired: set[int] = set()
    for kind, days in retention_days().items():
        rows = await Event.select(Event.id).where(
            (Event.kind == kind) & (Event.ends_at < now - timedelta(days=days))
        )
        expired |= {r["id"] for r in rows}
    if not expired:
        return run
    run.events = len(expired)
    people = {
        r["person"]
        for r in await Registration.select(Registration.person).where(
            Registration.event.is_in(sorted(expired))
        )
    }
    if not people:
        return run
    still_needed = {
        r["person"]
        for r in await Registration.select(Registration.person).where(
            Registration.person.is_in(sorted(people)) & Registration.event.not_in(sorted(expired))
        )
    }
    already = {
        r["id"]
        for r in await Person.select(Person.id).where(
            Person.id.is_in(sorted(people)) & Person.email.like(f"%@{ERASED_DOMAIN}")
        )
    }
    for person_id in sorted(people - still_needed - already):
        try:
            await erase_person(None, person_id)
        except Conflict:
            continue
        run.people.append(person_id)
    return run


def retention_policy() -> RetentionOut:
    return RetentionOut(days_after_event=retention_days())


# ---------------------------------------------------------------- the audit log


async def record(entry: dict[str, Any]) -> None:
    await AuditEntry.insert(AuditEntry(**entry))


def audit_out(row: dict[str, Any]) -> AuditEntryOut:
    from dtz_events.core.clock import local

    return AuditEntryOut(
        id=row["id"],
        at=local(row["at"]),
        account_id=row["account"],
        account_email=row["account_email"],
        role=row["role"],
        method=row["method"],
        route=row["route"],
        path=row["path"],
        target_ids=row["target_ids"] if isinstance(row["target_ids"], dict) else {},
        status=row["status"],
        outcome=row["outcome"],
        request_id=row["request_id"],
    )


async def list_audit(
    pagination: Pagination,
    *,
    account_id: int | None = None,
    route: str | None = None,
    since: date | None = None,
) -> Page[AuditEntryOut]:
    where = []
    if account_id is not None:
        where.append(AuditEntry.account == account_id)
    if route is not None:
        where.append(AuditEntry.route == route)
    if since is not None:
        from dtz_events.core.clock import LOCAL_TZ

        where.append(AuditEntry.at >= datetime.combine(since, time.min, LOCAL_TZ))
    query = AuditEntry.select().order_by(AuditEntry.id, ascending=False)
    count = AuditEntry.count()
    if where:
        query = query.where(*where)
        count = count.where(*where)
    rows = await query.limit(pagination.per_page).offset(pagination.offset).output(load_json=True)
    return Page(
        items=[audit_out(r) for r in rows],
        total=await count,
        page=pagination.page,
        per_page=pagination.per_page,
    )
