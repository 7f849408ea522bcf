"""Keeping `cooperation_link` true to its sources, incrementally.

Each scheduler tick asks every source for a fingerprint per event (a few grouped counts), and re-derives
the rows of the events whose fingerprint changed. It runs under one lock, so two schedulers never race;
a second tick with nothing changed writes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from dtz_events.cooperation.sources import SOURCES, Evidence, _in, _pair, _raw
from dtz_events.cooperation.tables import CooperationLink, CooperationRefresh
from dtz_events.core import db
from dtz_events.core.clock import local, utcnow

BATCH = 250
LOCK_KEY = 5_031_2026  # pg_advisory_xact_lock key of the refresh
COLUMNS = (
    "org_a",
    "org_b",
    "event",
    "day",
    "quarter",
    "attended",
    "met",
    "workshop",
    "reported_by_a",
    "reported_by_b",
    "rank",
    "first_key",
    "is_new",
)


@dataclass
class Row:
    org_a: int
    org_b: int
    event: int
    day: date
    quarter: int
    attended: bool = False
    met: bool = False
    workshop: bool = False
    reported_by_a: bool = False
    reported_by_b: bool = False
    rank: int | None = None
    first_key: int | None = None
    is_new: bool = False

    def values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, c) for c in COLUMNS)


def quarter_of(day: date) -> int:
    return day.year * 10 + (day.month - 1) // 3 + 1


async def refresh(now: datetime | None = None) -> int:
    """Re-derive the links of every event whose evidence changed; returns how many events were redone."""
    async with db.write_transaction() as txn:
        if isinstance(db.engine(), PostgresEngine):
            await _raw("SELECT pg_advisory_xact_lock({})", LOCK_KEY)
        current = await _fingerprints()
        stored = {
            r["event"]: r["fingerprint"]
            for r in await CooperationRefresh.select(CooperationRefresh.event, CooperationRefresh.fingerprint)
        }
        changed = sorted(e for e, f in current.items() if stored.get(e) != f)
        gone = sorted(e for e in stored if e not in current)
        touched: set[tuple[int, int]] = set()
        for start in range(0, len(changed), BATCH):
            batch = changed[start : start + BATCH]
            touched |= await _rebuild(batch, txn)
        if gone:
            touched |= await _delete(gone)
            await CooperationRefresh.delete().where(CooperationRefresh.event.is_in(gone))
        await _save_fingerprints(changed, current, stored)
        await _mark_new(touched)
    if changed or gone:
        _generation[0] += 1
    return len(changed) + len(gone)


_generation = [0]


def refresh_generation() -> int:
    """Raised by every refresh in this process that changed something (the figure cache's own clock)."""
    return _generation[0]


async def _fingerprints() -> dict[int, str]:
    merged: dict[int, list[str]] = {}
    for source in SOURCES:
        for event, text in (await source.fingerprints()).items():
            merged.setdefault(event, []).append(text)
    if not merged:
        return {}
    starts = {
        r["id"]: r["starts_at"]
        for r in await _raw(f"SELECT id, starts_at FROM event WHERE id IN {_in(list(merged))}")
    }
    return {
        event: "|".join([_day(starts[event]).isoformat(), *sorted(parts)])[:200]
        for event, parts in merged.items()
        if event in starts
    }


def _day(value: Any) -> date:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return local(value).date()


async def _save_fingerprints(changed: list[int], current: dict[int, str], stored: dict[int, str]) -> None:
    now = utcnow()
    new = [e for e in changed if e not in stored]
    for event in changed:
        if event in stored:
            await CooperationRefresh.update(
                {CooperationRefresh.fingerprint: current[event], CooperationRefresh.refreshed_at: now}
            ).where(CooperationRefresh.event == event)
    for start in range(0, len(new), 500):
        await CooperationRefresh.insert(
            *(
                CooperationRefresh(event=e, fingerprint=current[e], refreshed_at=now)
                for e in new[start : start + 500]
            )
        )


async def _delete(events: list[int]) -> set[tuple[int, int]]:
    old = await _raw(f"SELECT DISTINCT org_a, org_b FROM cooperation_link WHERE event IN {_in(events)}")
    await _raw(f"DELETE FROM cooperation_link WHERE event IN {_in(events)}")
    return {(r["org_a"], r["org_b"]) for r in old}


async def _rebuild(events: list[int], txn: Any) -> set[tuple[int, int]]:
    evidence = Evidence()
    for source in SOURCES:
        await source.collect(events, evidence)
    starts = {
        r["id"]: _day(r["starts_at"])
        for r in await _raw(f"SELECT id, starts_at FROM event WHERE id IN {_in(events)}")
    }
    rows = derive(evidence, starts)
    touched = await _delete(events)
    await _insert(rows, txn)
    return touched | {(r.org_a, r.org_b) for r in rows}


def derive(evidence: Evidence, days: dict[int, date]) -> list[Row]:
    """The link rows of a batch of events, from their evidence (pure: the unit tests call it)."""
    rows: dict[tuple[int, int, int], Row] = {}

    def row(event: int, a: int, b: int) -> Row:
        key = (*_pair(a, b), event)
        if key not in rows:
            day = days[event]
            rows[key] = Row(org_a=key[0], org_b=key[1], event=event, day=day, quarter=quarter_of(day))
        return rows[key]

    for event, organisations in evidence.attendees.items():
        present = sorted(organisations)
        for i, a in enumerate(present):
            for b in present[i + 1 :]:
                row(event, a, b).attended = True
    for event, pairs in evidence.meetings.items():
        for a, b in pairs:
            r = row(event, a, b)
            r.met = True
            r.rank = max(r.rank if r.rank is not None else 0, 0)
    for event, pairs in evidence.workshops.items():
        for a, b in pairs:
            if a != b:
                row(event, a, b).workshop = True
    for event, reports in evidence.reports.items():
        firsts: dict[tuple[int, int], tuple[int, int]] = {}  # pair -> (earliest wave, best rank in it)
        for (reporter, other), answers in reports.items():
            r = row(event, reporter, other)
            if reporter == r.org_a:
                r.reported_by_a = True
            else:
                r.reported_by_b = True
            best = max(rank for _, rank in answers)
            r.rank = best if r.rank is None else max(r.rank, best)
            wave = min(w for w, _ in answers)
            first = max(rank for w, rank in answers if w == wave)
            pair = (r.org_a, r.org_b)
            earlier = firsts.get(pair)
            if earlier is None or wave < earlier[0] or (wave == earlier[0] and first > earlier[1]):
                firsts[pair] = (wave, first)
        for (a, b), (_, first) in firsts.items():
            r = rows[(a, b, event)]
            r.first_key = int(r.day.strftime("%Y%m%d")) * 10 + (9 - first)
    return list(rows.values())


async def _insert(rows: list[Row], txn: Any) -> None:
    if not rows:
        return
    connection = getattr(txn, "connection", None)
    if isinstance(db.engine(), PostgresEngine) and connection is not None:
        await connection.copy_records_to_table(
            "cooperation_link", records=[r.values() for r in rows], columns=list(COLUMNS)
        )
        return
    for start in range(0, len(rows), 500):
        await CooperationLink.insert(
            *(
                CooperationLink(**dict(zip(COLUMNS, r.values(), strict=True)))
                for r in rows[start : start + 500]
            )
        )


async def _mark_new(pairs: set[tuple[int, int]]) -> None:
    """`is_new` on the rows of each pair's first quarter: where the pair first appeared."""
    if not pairs:
        return
    if len(pairs) > FULL_MARK:  # most pairs: one pass over the whole table is cheaper than a long list
        await _raw(_MARK_ALL_NEW)
        return
    # A few pairs (an event changed): their rows by index, decided here, and only the changes written.
    ordered = sorted(pairs)
    rows: list[dict[str, Any]] = []
    for start in range(0, len(ordered), 500):
        listed = ",".join(f"({int(a)},{int(b)})" for a, b in ordered[start : start + 500])
        rows += await _raw(
            "SELECT id, org_a, org_b, quarter, is_new FROM cooperation_link "
            f"WHERE (org_a, org_b) IN ({listed})"
        )
    first: dict[tuple[int, int], int] = {}
    for r in rows:
        pair = (r["org_a"], r["org_b"])
        first[pair] = min(first.get(pair, r["quarter"]), r["quarter"])
    for value in (True, False):
        ids = [
            r["id"]
            for r in rows
            if (r["quarter"] == first[(r["org_a"], r["org_b"])]) is value and bool(r["is_new"]) is not value
        ]
        for start in range(0, len(ids), 5000):
            await _raw(
                f"UPDATE cooperation_link SET is_new = {{}} WHERE id IN {_in(ids[start : start + 5000])}",
                value,
            )


FULL_MARK = 20_000
# All pairs at once: UPDATE ... FROM (PostgreSQL, and SQLite since 3.33); rows already right stay alone.
_MARK_ALL_NEW = (
    "UPDATE cooperation_link SET is_new = (cooperation_link.quarter = m.q) "
    "FROM (SELECT org_a AS a, org_b AS b, MIN(quarter) AS q FROM cooperation_link "
    "GROUP BY org_a, org_b) m "
    "WHERE cooperation_link.org_a = m.a AND cooperation_link.org_b = m.b "
    "AND cooperation_link.is_new <> (cooperation_link.quarter = m.q)"
)
