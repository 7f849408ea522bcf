"""The cooperation ledger's figures, aggregated in SQL from `cooperation_link` (kept by refresh.py).

A link is a pair of organisations. Its status: `confirmed` when both sides named each other in a survey
about the selected events, `reported` when one side did, `observed` when only the records show it
(attended the same event, a held 1:1 meeting, a workshop). Its outcome: the highest rung of the ladder
reported (a held meeting counts as contact). Filters: the period (a year or quarter, by event date), the
events' kind, programme and theme, a municipality (links with at least one organisation there;
organisations located there), one organisation (forced to their own for partner coordinators), and the
basis (`all`, `reported`, `confirmed`) of the link figures."""

from __future__ import annotations

import csv
import functools
import io
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from time import monotonic
from typing import Any, ParamSpec, TypeVar, cast

import msgspec

from dtz_events.cooperation.refresh import quarter_of, refresh_generation
from dtz_events.cooperation.schemas import (
    HELIX_PAIRS,
    HELIXES,
    LADDER,
    ActiveOrganisations,
    Basis,
    Funnel,
    HelixCell,
    HelixCount,
    HelixMatrix,
    Isolated,
    IsolatedOrganisation,
    Link,
    LinkEvent,
    Links,
    LinkStatus,
    Move,
    Network,
    NewLinks,
    PartnerActivity,
    Partners,
    PupilRow,
    Pupils,
    QuarterCount,
    Rung,
    Selection,
    Source,
    Summary,
)
from dtz_events.cooperation.sources import module_exists
from dtz_events.core.auth import Principal
from dtz_events.core.clock import LOCAL_TZ, local, utcnow
from dtz_events.core.db import engine, is_postgres
from dtz_events.core.errors import InvalidInput, NotFound
from dtz_events.events.schemas import EventKind
from dtz_events.partners.tables import Organisation

_PERIOD = re.compile(r"^(?P<year>\d{4})(?:-Q(?P<quarter>[1-4]))?$")
ALL_START, ALL_END = date(2000, 1, 1), date(2100, 1, 1)


# ---------------------------------------------------------------- the selection


def parse_period(period: str | None, today: date | None = None) -> tuple[str, date, date]:
    """`2026`, `2026-Q3` or `all`; the default is the current year."""
    today = today or local(utcnow()).date()
    if not period:
        period = str(today.year)
    if period == "all":
        return period, ALL_START, ALL_END
    match = _PERIOD.match(period)
    if not match or not 2000 <= int(match["year"]) <= 2099:
        raise InvalidInput("period", "a year (2026), a quarter (2026-Q3) or 'all'")
    year = int(match["year"])
    if match["quarter"] is None:
        return period, date(year, 1, 1), date(year + 1, 1, 1)
    q = int(match["quarter"])
    start = date(year, 3 * q - 2, 1)
    end = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return period, start, end


async def selection(
    principal: Principal,
    *,
    period: str | None = None,
    municipality: str | None = None,
    programme: str | None = None,
    theme: str | None = None,
    kind: EventKind | None = None,
    organisation_id: int | None = None,
    links: Basis = Basis.all,
) -> Selection:
    """The filters, checked, with a partner coordinator held to their own organisation."""
    label, start, end = parse_period(period)
    if principal.is_partner:
        if organisation_id is not None and organisation_id != principal.organisation_id:
            raise NotFound("organisation")
        organisation_id = principal.organisation_id
    elif organisation_id is not None and not await Organisation.exists().where(
        Organisation.id == organisation_id
    ):
        raise NotFound("organisation")
    for name, value, table in (("programme", programme, "programme"), ("theme", theme, "theme")):
        if value is not None and not await Organisation.raw(
            f"SELECT id FROM {table} WHERE slug = {{}}", value
        ):
            raise InvalidInput(name, f"no {name} has this slug")
    return Selection(
        period=label,
        start=start,
        end=end,
        municipality=municipality or None,
        programme=programme,
        theme=theme,
        kind=kind,
        organisation_id=organisation_id,
        links=links,
    )


@dataclass
class Sql:
    """Text with `{}` placeholders and their values, in order (Piccolo's raw queries)."""

    parts: list[str] = field(default_factory=list)
    args: list[Any] = field(default_factory=list)

    def add(self, text: str, *args: Any) -> Sql:
        self.parts.append(text)
        self.args.extend(args)
        return self

    def extend(self, other: Sql) -> Sql:
        self.parts.extend(other.parts)
        self.args.extend(other.args)
        return self

    @property
    def text(self) -> str:
        return " ".join(self.parts)


async def _rows(sql: Sql) -> list[dict[str, Any]]:
    if not is_postgres():
        return list(await Organisation.raw(sql.text, *sql.args))
    # Grouping a year of links by pair needs more than the default 4 MB of sort memory, or it spills; and
    # the planner's costs for it call for JIT compilation, which takes longer (a second) than the query.
    async with engine().transaction():
        await Organisation.raw("SELECT set_config('work_mem', '64MB', true), set_config('jit', 'off', true)")
        return list(await Organisation.raw(sql.text, *sql.args))


# ---------------------------------------------------------------- the figure cache
# Figures change only when the refresh derives new links (or an organisation or event is edited), so each
# web process keeps what it computed, keyed by figure and selection, until the data's version moves.

P = ParamSpec("P")
T = TypeVar("T")
CACHE_SIZE = 256
CACHE_SECONDS = 300.0  # at most this old, whatever the version says
VERSION_SECONDS = 1.0  # how long one process trusts the version it read
_cache: OrderedDict[tuple[Any, ...], tuple[tuple[Any, ...], float, Any]] = OrderedDict()
_version: tuple[tuple[Any, ...], float] = ((), 0.0)


async def data_version() -> tuple[Any, ...]:
    global _version
    now = monotonic()
    if now - _version[1] > VERSION_SECONDS:
        row = (
            await _rows(
                Sql().add(
                    "SELECT (SELECT COUNT(*) FROM cooperation_refresh) AS n, "
                    "(SELECT MAX(refreshed_at) FROM cooperation_refresh) AS r, "
                    "(SELECT MAX(updated_at) FROM organisation) AS o, "
                    "(SELECT MAX(updated_at) FROM event) AS e"
                )
            )
        )[0]
        _version = (tuple(str(v) for v in row.values()), now)
    return (refresh_generation(), *_version[0])


def cached(name: str) -> Callable[[Callable[P, Awaitable[T]]], Callable[P, Awaitable[T]]]:
    def wrap(compute: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
        @functools.wraps(compute)
        async def figure(*args: P.args, **kwargs: P.kwargs) -> T:
            key = (name, *(msgspec.json.encode(a) for a in args), msgspec.json.encode(kwargs))
            version = await data_version()
            hit = _cache.get(key)
            if hit is not None and hit[0] == version and monotonic() - hit[1] < CACHE_SECONDS:
                _cache.move_to_end(key)
                return cast(T, hit[2])
            value = await compute(*args, **kwargs)
            _cache[key] = (version, monotonic(), value)
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
            return value

        return figure

    return wrap


def _event_filters(s: Selection, event: str) -> Sql:
    """Kind, programme and theme of the events behind `event` (a column)."""
    sql = Sql()
    if s.kind is not None:
        sql.add("AND e.kind = {}", s.kind.value)
    if s.programme is not None:
        sql.add("AND e.programme IN (SELECT id FROM programme WHERE slug = {})", s.programme)
    if s.theme is not None:
        sql.add(
            f"AND {event} IN (SELECT et.event FROM event_theme et JOIN theme t ON t.id = et.theme "
            "WHERE t.slug = {})",
            s.theme,
        )
    return sql


def _link_rows(
    s: Selection,
    start: date | None = None,
    end: date | None = None,
    *,
    organisations: bool = False,
    event: bool = False,
) -> Sql:
    """FROM and WHERE of the link rows `l` in the selection. Their event `e` and organisations `oa`, `ob`
    are joined only when a filter or the caller needs them: the reports scan hundreds of thousands of rows."""
    needs_event = event or s.kind is not None or s.programme is not None
    needs_orgs = organisations or s.municipality is not None
    sql = Sql().add("FROM cooperation_link l")
    if needs_event:
        sql.add("JOIN event e ON e.id = l.event")
    if needs_orgs:
        sql.add("JOIN organisation oa ON oa.id = l.org_a JOIN organisation ob ON ob.id = l.org_b")
    sql.add("WHERE l.day >= {} AND l.day < {}", start or s.start, end or s.end)
    sql.extend(_event_filters(s, "l.event"))
    if s.municipality is not None:
        sql.add("AND (oa.municipality = {} OR ob.municipality = {})", s.municipality, s.municipality)
    if s.organisation_id is not None:
        sql.add("AND (l.org_a = {} OR l.org_b = {})", s.organisation_id, s.organisation_id)
    return sql


_SIDES = "MAX(CASE WHEN l.reported_by_a THEN 1 ELSE 0 END) + MAX(CASE WHEN l.reported_by_b THEN 1 ELSE 0 END)"
# The parts a pair's figures come from, each read from its own (partial) index of the period: every pair
# (and its first and last day), the reported rows (sides), the rows with an outcome, the rows where the
# pair was new. Aggregating the few rows of a part instead of the whole year keeps the reports fast.
_PARTS = {
    "all": ("MIN(l.day) AS first_day, MAX(l.day) AS last_day", ""),
    "reported": (f"{_SIDES} AS sides", "AND (l.reported_by_a OR l.reported_by_b)"),
    "ranked": ("MAX(l.rank) AS rank, MIN(l.first_key) AS first_key", "AND l.rank IS NOT NULL"),
    "new": ("MAX(l.quarter) AS new_quarter", "AND l.is_new"),
}
_COLUMNS = {
    "all": ("first_day", "last_day"),
    "reported": (),
    "ranked": ("rank", "first_key"),
    "new": ("new_quarter",),
}


def _pairs(s: Selection, *parts: str) -> Sql:
    """`WITH ... p AS (...)`: one row per linked pair in the selection, with `sides` (how many sides reported
    it: 0, 1 or 2) and the columns of the asked-for parts (`all`: first_day, last_day; `ranked`: rank,
    first_key; `new`: new_quarter, 0 when the pair was not new here). The pairs are those of the first part
    asked for, or only the reported (confirmed) ones when the selection's basis says so."""
    names = ["reported", *(p for p in parts if p != "reported")]
    sql = Sql().add("WITH")
    for i, name in enumerate(names):
        select, condition = _PARTS[name]
        sql.add(f"{'' if i == 0 else ','} pairs_{name} AS (SELECT l.org_a, l.org_b, {select}")
        sql.extend(_link_rows(s)).add(condition).add("GROUP BY l.org_a, l.org_b")
        if name == "reported" and s.links is Basis.confirmed:
            sql.add(f"HAVING {_SIDES} = 2")
        sql.add(")")
    base = "pairs_" + ("reported" if s.links is not Basis.all or not parts else parts[0])
    columns = [f"{base}.org_a", f"{base}.org_b", "COALESCE(pairs_reported.sides, 0) AS sides"]
    joins = []
    for name in names:
        part = f"pairs_{name}"
        for column in _COLUMNS[name]:
            columns.append(
                f"COALESCE({part}.{column}, 0) AS {column}" if column == "new_quarter" else f"{part}.{column}"
            )
        if part != base:
            joins.append(f"LEFT JOIN {part} ON {part}.org_a = {base}.org_a AND {part}.org_b = {base}.org_b")
    sql.add(f", p AS (SELECT {', '.join(columns)} FROM {base} {' '.join(joins)})")
    return sql


def _utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(start, time(), LOCAL_TZ),
        datetime.combine(end, time(), LOCAL_TZ),
    )


def _day(value: Any) -> date:
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return value.date()
    assert isinstance(value, date)
    return value


def _quarter_label(q: int) -> str:
    return f"{q // 10}-Q{q % 10}"


def _quarters(s: Selection, seen: list[int]) -> list[int]:
    """Every quarter of the period (for `all`: from the first to the last one with data)."""
    if s.period == "all":
        if not seen:
            return []
        first, last = min(seen), max(seen)
    else:
        first, last = quarter_of(s.start), quarter_of(s.end - timedelta(days=1))
    out, q = [], first
    while q <= last:
        out.append(q)
        q = q + 1 if q % 10 < 4 else (q // 10 + 1) * 10 + 1
    return out


# ---------------------------------------------------------------- figures


@cached("active")
async def active_organisations(s: Selection) -> ActiveOrganisations:
    """Organisations that checked someone in at a selected event, or have a link in the selection."""
    begin, end = _utc_bounds(s.start, s.end)
    sql = Sql().add(
        "SELECT o.helix, COUNT(*) AS n FROM organisation o WHERE o.id IN ("
        "SELECT r.organisation FROM registration r JOIN event e ON e.id = r.event "
        "WHERE r.checked_in_at IS NOT NULL AND e.starts_at >= {} AND e.starts_at < {}",
        begin,
        end,
    )
    sql.extend(_event_filters(s, "r.event"))
    # Attending together needs a check-in, counted above; the other sources may name others too.
    other = "AND (l.met OR l.workshop OR l.reported_by_a OR l.reported_by_b)"
    sql.add("UNION SELECT l.org_a").extend(_link_rows(s)).add(other)
    sql.add("UNION SELECT l.org_b").extend(_link_rows(s)).add(other)
    sql.add(")")
    if s.municipality is not None:
        sql.add("AND o.municipality = {}", s.municipality)
    if s.organisation_id is not None:
        sql.add("AND o.id = {}", s.organisation_id)
    sql.add("GROUP BY o.helix")
    counts = {r["helix"]: r["n"] for r in await _rows(sql)}
    return ActiveOrganisations(
        selection=s,
        total=sum(counts.values()),
        by_helix=[HelixCount(helix=h, count=counts.get(h, 0)) for h in HELIXES],
    )


@cached("new")
async def new_links(s: Selection) -> NewLinks:
    """Links by the quarter in which the pair first appeared (at any event); a link counts for the
    selection when one of the selected events is where (and when) it first appeared."""
    sql = _pairs(s, "new").add(
        "SELECT new_quarter AS q, COUNT(*) AS n, SUM(CASE WHEN sides = 1 THEN 1 ELSE 0 END) AS one, "
        "SUM(CASE WHEN sides = 2 THEN 1 ELSE 0 END) AS two FROM p WHERE new_quarter > 0 GROUP BY new_quarter"
    )
    by_quarter = {r["q"]: r for r in await _rows(sql)}
    quarters = [
        QuarterCount(
            quarter=_quarter_label(q),
            new=int(by_quarter[q]["n"]) if q in by_quarter else 0,
            reported=int(by_quarter[q]["one"]) if q in by_quarter else 0,
            confirmed=int(by_quarter[q]["two"]) if q in by_quarter else 0,
        )
        for q in _quarters(s, list(by_quarter))
    ]
    return NewLinks(selection=s, total=sum(q.new for q in quarters), quarters=quarters)


@cached("helix")
async def helix_matrix(s: Selection) -> HelixMatrix:
    sql = _pairs(s, "all").add(
        "SELECT CASE WHEN oa.helix <= ob.helix THEN oa.helix || '-' || ob.helix "
        "ELSE ob.helix || '-' || oa.helix END AS pair, COUNT(*) AS n, "
        "SUM(CASE WHEN sides = 1 THEN 1 ELSE 0 END) AS one, "
        "SUM(CASE WHEN sides = 2 THEN 1 ELSE 0 END) AS two "
        "FROM p JOIN organisation oa ON oa.id = p.org_a JOIN organisation ob ON ob.id = p.org_b GROUP BY 1"
    )
    found = {r["pair"]: r for r in await _rows(sql)}
    cells = []
    for pair in HELIX_PAIRS:
        a, b = pair.split("-")
        r = found.get(pair)
        cells.append(
            HelixCell(
                pair=pair,
                helix_a=a,
                helix_b=b,
                links=int(r["n"]) if r else 0,
                reported=int(r["one"]) if r else 0,
                confirmed=int(r["two"]) if r else 0,
            )
        )
    return HelixMatrix(selection=s, total=sum(c.links for c in cells), cells=cells)


@cached("funnel")
async def funnel(s: Selection) -> Funnel:
    """Links that reached each rung (at least), and those whose outcome rose after their first report:
    the rung first reported (the earliest event, its earliest wave) against the highest reported since."""
    sql = _pairs(s, "ranked").add(
        "SELECT rank, first_key % 10 AS f, COUNT(*) AS n FROM p WHERE rank IS NOT NULL "
        "GROUP BY rank, first_key % 10"
    )
    reached = [0] * len(LADDER)
    moves: dict[tuple[int, int], int] = {}
    for r in await _rows(sql):
        rank = int(r["rank"])
        for i in range(rank + 1):
            reached[i] += int(r["n"])
        if r["f"] is not None and rank > 9 - int(r["f"]):
            key = (9 - int(r["f"]), rank)
            moves[key] = moves.get(key, 0) + int(r["n"])
    return Funnel(
        selection=s,
        rungs=[Rung(outcome=o, links=n) for o, n in zip(LADDER, reached, strict=True)],
        moved_up=sum(moves.values()),
        moves=[
            Move(from_outcome=LADDER[a], to_outcome=LADDER[b], links=n) for (a, b), n in sorted(moves.items())
        ],
    )


@cached("partners")
async def partners(s: Selection) -> Partners:
    """Per organisation: events attended, people sent, links and their outcomes."""
    begin, end = _utc_bounds(s.start, s.end)
    sql = Sql().add(
        "SELECT r.organisation AS org, COUNT(DISTINCT r.event) AS events, COUNT(DISTINCT r.person) AS people "
        "FROM registration r JOIN event e ON e.id = r.event "
        "WHERE r.checked_in_at IS NOT NULL AND e.starts_at >= {} AND e.starts_at < {}",
        begin,
        end,
    )
    sql.extend(_event_filters(s, "r.event"))
    if s.organisation_id is not None:
        sql.add("AND r.organisation = {}", s.organisation_id)
    sql.add("GROUP BY r.organisation")
    attendance = {r["org"]: r for r in await _rows(sql)}
    links = _pairs(s, "all", "ranked").add(
        "SELECT org, sides, rank, COUNT(*) AS n FROM (SELECT org_a AS org, sides, rank FROM p "
        "UNION ALL SELECT org_b AS org, sides, rank FROM p) x GROUP BY org, sides, rank"
    )
    per_org: dict[int, dict[str, Any]] = {}
    for r in await _rows(links):
        entry = per_org.setdefault(
            r["org"], {"links": 0, "one": 0, "two": 0, "outcomes": dict.fromkeys(LADDER, 0)}
        )
        n, sides = int(r["n"]), int(r["sides"])
        entry["links"] += n
        entry["one"] += n if sides == 1 else 0
        entry["two"] += n if sides == 2 else 0
        if r["rank"] is not None:
            entry["outcomes"][LADDER[int(r["rank"])]] += n
    ids = set(attendance) | set(per_org)
    if s.organisation_id is not None:
        ids &= {s.organisation_id}
    orgs = await _organisations(ids, s.municipality)
    items = []
    for org_id, o in orgs.items():
        a, link = attendance.get(org_id), per_org.get(org_id)
        items.append(
            PartnerActivity(
                organisation_id=org_id,
                name=o["name"],
                helix=o["helix"],
                municipality=o["municipality"],
                events=int(a["events"]) if a else 0,
                people=int(a["people"]) if a else 0,
                links=link["links"] if link else 0,
                reported=link["one"] if link else 0,
                confirmed=link["two"] if link else 0,
                outcomes=link["outcomes"] if link else dict.fromkeys(LADDER, 0),
            )
        )
    items.sort(key=lambda p: (-p.events, -p.links, p.name, p.organisation_id))
    return Partners(selection=s, items=items)


async def _organisations(ids: set[int], municipality: str | None = None) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    query = Organisation.select(
        Organisation.id, Organisation.name, Organisation.helix, Organisation.municipality
    ).where(Organisation.id.is_in(sorted(ids)))
    if municipality is not None:
        query = query.where(Organisation.municipality == municipality)
    return {o["id"]: o for o in await query}


@cached("isolated")
async def isolated(s: Selection, today: date | None = None) -> Isolated:
    """Organisations linked before, but not in the year up to the end of the period (or today)."""
    today = today or local(utcnow()).date()
    until = min(s.end, today + timedelta(days=1))
    since = until - timedelta(days=365)
    sql = Sql().add("WITH recent AS (SELECT l.org_a AS org")
    recent = _link_rows(s, since, until)
    sql.extend(recent).add("UNION SELECT l.org_b AS org").extend(_link_rows(s, since, until)).add(")")
    last = []
    for side in ("org_a", "org_b"):
        part = Sql().add(
            "SELECT MAX(l.day) AS d FROM cooperation_link l JOIN event e ON e.id = l.event "
            f"WHERE l.{side} = o.id AND l.day < {{}}",
            since,
        )
        last.append(part.extend(_event_filters(s, "l.event")))
    sql.add("SELECT o.id, o.name, o.helix, o.municipality, (SELECT MAX(d) FROM (").extend(last[0])
    sql.add("UNION ALL").extend(last[1]).add(") x) AS last_link FROM organisation o")
    sql.add("WHERE o.id NOT IN (SELECT org FROM recent)")
    if s.municipality is not None:
        sql.add("AND o.municipality = {}", s.municipality)
    if s.organisation_id is not None:
        sql.add("AND o.id = {}", s.organisation_id)
    rows = [r for r in await _rows(sql) if r["last_link"] is not None]
    items = [
        IsolatedOrganisation(
            organisation_id=r["id"],
            name=r["name"],
            helix=r["helix"],
            municipality=r["municipality"],
            last_link=_day(r["last_link"]),
        )
        for r in rows
    ]
    items.sort(key=lambda i: (i.last_link, i.name, i.organisation_id))
    return Isolated(selection=s, since=since, until=until - timedelta(days=1), items=items)


@cached("pupils")
async def pupils(s: Selection) -> Pupils:
    """Pupils reached on promotion days, per school, level and municipality (groups, never pupils)."""
    rows: list[PupilRow] = []
    available = module_exists("dtz_events.promotion_days.tables")
    if available:
        rows = await _pupil_rows(s)
    by_municipality: dict[str, int] = {}
    by_level: dict[str, int] = {}
    for r in rows:
        by_municipality[r.municipality or ""] = by_municipality.get(r.municipality or "", 0) + r.pupils
        by_level[r.level] = by_level.get(r.level, 0) + r.pupils
    return Pupils(
        selection=s,
        available=available,
        total=sum(r.pupils for r in rows),
        rows=rows,
        by_municipality=[HelixCount(helix=k, count=v) for k, v in sorted(by_municipality.items())],
        by_level=[HelixCount(helix=k, count=v) for k, v in sorted(by_level.items())],
    )


async def _pupil_rows(s: Selection) -> list[PupilRow]:
    begin, end = _utc_bounds(s.start, s.end)
    sql = Sql().add(
        "SELECT o.id, o.name, o.municipality, g.level, COUNT(*) AS groups, SUM(g.pupil_count) AS pupils "
        "FROM school_group g JOIN event e ON e.id = g.event JOIN organisation o ON o.id = g.school "
        "WHERE e.starts_at >= {} AND e.starts_at < {} "
        "AND g.status NOT IN ('cancelled', 'declined', 'withdrawn')",
        begin,
        end,
    )
    sql.extend(_event_filters(s, "g.event"))
    if s.municipality is not None:
        sql.add("AND o.municipality = {}", s.municipality)
    if s.organisation_id is not None:
        sql.add("AND o.id = {}", s.organisation_id)
    sql.add("GROUP BY o.id, o.name, o.municipality, g.level ORDER BY o.name, g.level")
    return [
        PupilRow(
            school_id=r["id"],
            school=r["name"],
            municipality=r["municipality"],
            level=str(r["level"]),
            groups=int(r["groups"]),
            pupils=int(r["pupils"] or 0),
        )
        for r in await _rows(sql)
    ]


@cached("network")
async def network(s: Selection, draw: int = 40) -> Network:
    sql = _pairs(s, "all").add("SELECT org_a, org_b, sides FROM p")
    edges = [(r["org_a"], r["org_b"], int(r["sides"])) for r in await _rows(sql)]
    orgs = await _organisations({a for a, _, _ in edges} | {b for _, b, _ in edges})
    from dtz_events.cooperation import graph  # networkx (and numpy) only once a network figure is asked for

    return graph.figures(s, edges, orgs, draw)


@cached("links")
async def links(s: Selection, page: int = 1, per_page: int = 50) -> Links:
    """The links themselves, most recent first, each with its events, sources and outcome."""
    sql = _pairs(s, "all", "ranked").add(
        "SELECT org_a, org_b, sides, rank, first_day, last_day, COUNT(*) OVER () AS total FROM p "
        "ORDER BY last_day DESC, org_a, org_b LIMIT {} OFFSET {}",
        per_page,
        (page - 1) * per_page,
    )
    pairs = await _rows(sql)
    total = (
        int(pairs[0]["total"])
        if pairs
        else int((await _rows(_pairs(s, "all").add("SELECT COUNT(*) AS n FROM p")))[0]["n"])
    )
    if page > 1 and not pairs:
        raise InvalidInput("page", f"out of range: there are {total} links")
    if not pairs:
        return Links(selection=s, total=total, page=page, per_page=per_page, items=[])
    firsts = sorted({p["org_a"] for p in pairs})
    detail = Sql().add(
        "SELECT l.org_a, l.org_b, l.event, e.title, l.day, l.attended, l.met, l.workshop, "
        "l.reported_by_a, l.reported_by_b, l.rank"
    )
    detail.extend(_link_rows(s, event=True)).add(
        f"AND l.org_a IN ({','.join(str(int(i)) for i in firsts)}) ORDER BY l.day"
    )
    events: dict[tuple[int, int], list[LinkEvent]] = {}
    for r in await _rows(detail):
        sources = [
            name
            for name, on in (
                (Source.attended, r["attended"]),
                (Source.meeting, r["met"]),
                (Source.workshop, r["workshop"]),
                (Source.survey, r["reported_by_a"] or r["reported_by_b"]),
            )
            if on
        ]
        events.setdefault((r["org_a"], r["org_b"]), []).append(
            LinkEvent(
                event_id=r["event"],
                title=r["title"],
                day=_day(r["day"]),
                sources=sources,
                outcome=None if r["rank"] is None else LADDER[int(r["rank"])],
            )
        )
    orgs = await _organisations({p["org_a"] for p in pairs} | {p["org_b"] for p in pairs})
    items = [
        Link(
            organisation_a=p["org_a"],
            name_a=orgs[p["org_a"]]["name"],
            organisation_b=p["org_b"],
            name_b=orgs[p["org_b"]]["name"],
            helix_pair="-".join(sorted((orgs[p["org_a"]]["helix"], orgs[p["org_b"]]["helix"]))),
            status=_status(int(p["sides"])),
            outcome=None if p["rank"] is None else LADDER[int(p["rank"])],
            first_day=_day(p["first_day"]),
            last_day=_day(p["last_day"]),
            events=events.get((p["org_a"], p["org_b"]), []),
        )
        for p in pairs
    ]
    return Links(selection=s, total=total, page=page, per_page=per_page, items=items)


def _status(sides: int) -> LinkStatus:
    return LinkStatus.confirmed if sides == 2 else LinkStatus.reported if sides == 1 else LinkStatus.observed


@cached("summary")
async def summary(s: Selection) -> Summary:
    sql = _pairs(s, "all", "new").add(
        "SELECT COUNT(*) AS n, SUM(CASE WHEN sides = 1 THEN 1 ELSE 0 END) AS one, "
        "SUM(CASE WHEN sides = 2 THEN 1 ELSE 0 END) AS two, "
        "SUM(CASE WHEN new_quarter > 0 THEN 1 ELSE 0 END) AS new FROM p"
    )
    r = (await _rows(sql))[0]
    active = await active_organisations(s)
    moved = await funnel(s)
    reached = await pupils(s)
    return Summary(
        selection=s,
        active_organisations=active.total,
        links=int(r["n"] or 0),
        reported=int(r["one"] or 0),
        confirmed=int(r["two"] or 0),
        new_links=int(r["new"] or 0),
        moved_up=moved.moved_up,
        pupils=reached.total,
    )


# ---------------------------------------------------------------- CSV


def to_csv(figure: Any) -> str:
    """One table per figure, with a header row; cells that a spreadsheet would run are quoted."""
    header, rows = _table(figure)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_safe(v) for v in row])
    return buffer.getvalue()


def _table(f: Any) -> tuple[list[str], list[list[Any]]]:
    if isinstance(f, Summary):
        data = msgspec.to_builtins(f)
        data.pop("selection")
        return list(data), [list(data.values())]
    if isinstance(f, ActiveOrganisations):
        return ["helix", "organisations"], [[h.helix, h.count] for h in f.by_helix] + [["total", f.total]]
    if isinstance(f, NewLinks):
        return ["quarter", "new", "reported", "confirmed"], [
            [q.quarter, q.new, q.reported, q.confirmed] for q in f.quarters
        ]
    if isinstance(f, HelixMatrix):
        return ["pair", "links", "reported", "confirmed"], [
            [c.pair, c.links, c.reported, c.confirmed] for c in f.cells
        ]
    if isinstance(f, Funnel):
        rows: list[list[Any]] = [["reached", r.outcome, "", r.links] for r in f.rungs]
        rows += [["moved", m.from_outcome, m.to_outcome, m.links] for m in f.moves]
        return ["kind", "outcome", "to_outcome", "links"], rows
    if isinstance(f, Pupils):
        return ["school_id", "school", "municipality", "level", "groups", "pupils"], [
            [r.school_id, r.school, r.municipality or "", r.level, r.groups, r.pupils] for r in f.rows
        ]
    if isinstance(f, Partners):
        return [
            "organisation_id",
            "name",
            "helix",
            "municipality",
            "events",
            "people",
            "links",
            "reported",
            "confirmed",
            *LADDER,
        ], [
            [
                p.organisation_id,
                p.name,
                p.helix,
                p.municipality or "",
                p.events,
                p.people,
                p.links,
                p.reported,
                p.confirmed,
            ]
            + [p.outcomes.get(o, 0) for o in LADDER]
            for p in f.items
        ]
    if isinstance(f, Isolated):
        return ["organisation_id", "name", "helix", "municipality", "last_link"], [
            [i.organisation_id, i.name, i.helix, i.municipality or "", i.last_link.isoformat()]
            for i in f.items
        ]
    if isinstance(f, Network):
        figures: list[list[Any]] = [
            ["organisations", "", f.organisations],
            ["links", "", f.links],
            ["density", "", f.density],
            ["components", "", f.components],
            ["largest_component", "", f.largest_component],
            ["helix_assortativity", "", "" if f.helix_assortativity is None else f.helix_assortativity],
            ["cross_helix_share", "", f.cross_helix_share],
        ]
        figures += [["degree", n.name, n.degree] for n in f.top]
        return ["figure", "organisation", "value"], figures
    if isinstance(f, Links):
        return [
            "organisation_a",
            "name_a",
            "organisation_b",
            "name_b",
            "helix_pair",
            "status",
            "outcome",
            "first_day",
            "last_day",
            "events",
        ], [
            [
                i.organisation_a,
                i.name_a,
                i.organisation_b,
                i.name_b,
                i.helix_pair,
                i.status.value,
                i.outcome or "",
                i.first_day.isoformat(),
                i.last_day.isoformat(),
                ";".join(str(e.event_id) for e in i.events),
            ]
            for i in f.items
        ]
    raise TypeError(type(f).__name__)


def _csv_safe(value: Any) -> Any:
    """Spreadsheets run cells that start with = + - @ as formulas."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
