"""Where links come from. Each source is one function: what makes a fingerprint of an event's evidence
change, and the evidence of a batch of events. A new source (another kind-specific part) is one more
`Source` in `SOURCES`; nothing else changes.

Organisations, not people: a person is counted for the organisation that registered them for that event
(the registration's organisation), so that a person who later changes jobs does not move old links."""

from __future__ import annotations

import importlib.util
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from dtz_events.registrations.tables import Registration
from dtz_events.surveys.schemas import OUTCOME_ORDER, Outcome


@dataclass
class Evidence:
    """What one batch of events says, per event."""

    attendees: dict[int, set[int]] = field(default_factory=dict)  # event -> organisations checked in
    meetings: dict[int, set[tuple[int, int]]] = field(default_factory=dict)  # event -> org pairs that met
    workshops: dict[int, set[tuple[int, int]]] = field(default_factory=dict)  # event -> (school, host)
    # event -> (reporter, other) -> list of (wave, rank)
    reports: dict[int, dict[tuple[int, int], list[tuple[int, int]]]] = field(default_factory=dict)


Fingerprints = Callable[[], Awaitable[dict[int, str]]]
Collect = Callable[[list[int], Evidence], Awaitable[None]]


@dataclass(frozen=True)
class Source:
    name: str
    fingerprints: Fingerprints  # event -> a short text that changes whenever the event's evidence does
    collect: Collect  # adds the evidence of these events


def module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


async def _raw(sql: str, *args: Any) -> list[dict[str, Any]]:
    return list(await Registration.raw(sql, *args))


def _in(ids: list[int]) -> str:
    """An IN list of integers (ours, from the database; never user text)."""
    return "(" + ",".join(str(int(i)) for i in ids) + ")"


# ---------------------------------------------------------------- check-ins


async def _checkin_fingerprints() -> dict[int, str]:
    rows = await _raw(
        "SELECT event, COUNT(*) AS n, SUM(id) AS s, SUM(organisation) AS o FROM registration "
        "WHERE checked_in_at IS NOT NULL GROUP BY event"
    )
    return {r["event"]: f"c{r['n']}.{r['s']}.{r['o']}" for r in rows}


async def _checkins(events: list[int], evidence: Evidence) -> None:
    rows = await _raw(
        "SELECT DISTINCT event, organisation FROM registration "
        f"WHERE checked_in_at IS NOT NULL AND event IN {_in(events)}"
    )
    for r in rows:
        evidence.attendees.setdefault(r["event"], set()).add(r["organisation"])


# ---------------------------------------------------------------- survey answers and follow-up waves


async def _report_fingerprints() -> dict[int, str]:
    # Answers are replaced by deleting and inserting rows, so the sum of ids moves with every change.
    rows = await _raw("SELECT event, COUNT(*) AS n, SUM(id) AS s FROM reported_contact GROUP BY event")
    return {r["event"]: f"r{r['n']}.{r['s']}" for r in rows}


async def _reports(events: list[int], evidence: Evidence) -> None:
    rows = await _raw(
        "SELECT event, reporter, other, outcome, wave FROM reported_contact "
        f"WHERE event IN {_in(events)} AND reporter <> other"
    )
    for r in rows:
        rank = OUTCOME_ORDER.get(Outcome(r["outcome"]), 0) if r["outcome"] in OUTCOME_ORDER else 0
        pairs = evidence.reports.setdefault(r["event"], {})
        pairs.setdefault((r["reporter"], r["other"]), []).append((r["wave"], rank))


# ---------------------------------------------------------------- held 1:1 meetings (matchmaking)


async def _meeting_fingerprints() -> dict[int, str]:
    rows = await _raw(
        "SELECT event, COUNT(*) AS n, SUM(id) AS s, SUM(person_a + person_b) AS p FROM meeting "
        "WHERE held = {} GROUP BY event",
        True,
    )
    return {r["event"]: f"m{r['n']}.{r['s']}.{r['p']}" for r in rows}


async def _meetings(events: list[int], evidence: Evidence) -> None:
    # The organisation a person came for: their registration for that event, else their organisation now.
    rows = await _raw(
        "SELECT m.event, "
        "COALESCE((SELECT r.organisation FROM registration r WHERE r.event = m.event "
        "AND r.person = m.person_a LIMIT 1), pa.organisation) AS org_a, "
        "COALESCE((SELECT r.organisation FROM registration r WHERE r.event = m.event "
        "AND r.person = m.person_b LIMIT 1), pb.organisation) AS org_b "
        "FROM meeting m JOIN person pa ON pa.id = m.person_a JOIN person pb ON pb.id = m.person_b "
        f"WHERE m.held = {{}} AND m.event IN {_in(events)}",
        True,
    )
    for r in rows:
        if r["org_a"] != r["org_b"]:
            evidence.meetings.setdefault(r["event"], set()).add(_pair(r["org_a"], r["org_b"]))


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


# ---------------------------------------------------------------- promotion days: groups in workshops


async def _workshop_fingerprints() -> dict[int, str]:
    rows = await _raw(
        "SELECT g.event, COUNT(*) AS n, SUM(a.id) AS s, SUM(w.host + g.school) AS o "
        "FROM rotation_assignment a "
        "JOIN school_group g ON g.id = a.school_group JOIN workshop w ON w.id = a.workshop "
        "WHERE g.status <> 'cancelled' AND w.status <> 'withdrawn' GROUP BY g.event"
    )
    return {r["event"]: f"w{r['n']}.{r['s']}.{r['o']}" for r in rows}


async def _workshops(events: list[int], evidence: Evidence) -> None:
    rows = await _raw(
        "SELECT DISTINCT g.event, g.school, w.host FROM rotation_assignment a "
        "JOIN school_group g ON g.id = a.school_group JOIN workshop w ON w.id = a.workshop "
        f"WHERE g.status <> 'cancelled' AND w.status <> 'withdrawn' AND g.event IN {_in(events)}"
    )
    for r in rows:
        evidence.workshops.setdefault(r["event"], set()).add((r["school"], r["host"]))


# ---------------------------------------------------------------- the sources in use

SOURCES: list[Source] = [
    Source("attended", _checkin_fingerprints, _checkins),
    Source("survey", _report_fingerprints, _reports),
]
if module_exists("dtz_events.matchmaking.tables"):
    SOURCES.append(Source("meeting", _meeting_fingerprints, _meetings))
if module_exists("dtz_events.promotion_days.tables"):
    SOURCES.append(Source("workshop", _workshop_fingerprints, _workshops))
