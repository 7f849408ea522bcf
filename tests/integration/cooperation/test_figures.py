"""Every figure of the ledger on the hand-built history of world.py, checked exactly."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from dtz_events.cooperation import services
from dtz_events.cooperation.refresh import refresh
from dtz_events.cooperation.schemas import Basis, LinkStatus, Selection
from dtz_events.core.auth import Principal, Role
from dtz_events.events.schemas import EventKind
from tests.integration.cooperation.world import Ledger, attend, build_ledger, report

pytestmark = pytest.mark.sqlite

ORGANISER = Principal(account_id=1, role=Role.organiser, name="Organisator", email="o@dutchtechzone.nl")


@pytest.fixture
async def ledger() -> Ledger:
    built = await build_ledger()
    assert await refresh() == 4  # four events with evidence
    return built


async def sel(period: str = "2025", **filters: Any) -> Selection:
    return await services.selection(ORGANISER, period=period, **filters)


def pair(ledger: Ledger, a: str, b: str) -> tuple[int, int]:
    x, y = ledger.orgs[a], ledger.orgs[b]
    return (x, y) if x < y else (y, x)


async def link_statuses(ledger: Ledger, s: Selection) -> dict[tuple[int, int], tuple[LinkStatus, str | None]]:
    out = await services.links(s, per_page=200)
    return {(i.organisation_a, i.organisation_b): (i.status, i.outcome) for i in out.items}


async def test_links_one_sided_and_confirmed(ledger: Ledger) -> None:
    links = await link_statuses(ledger, await sel())
    assert links == {
        pair(ledger, "A", "B"): (LinkStatus.confirmed, "joint_project"),
        pair(ledger, "A", "S"): (LinkStatus.reported, "contact"),
        pair(ledger, "B", "S"): (LinkStatus.observed, None),
        pair(ledger, "A", "G"): (LinkStatus.reported, "agreement"),
        pair(ledger, "S", "G"): (LinkStatus.observed, None),
    }
    detail = {(i.organisation_a, i.organisation_b): i for i in (await services.links(await sel())).items}
    ab = detail[pair(ledger, "A", "B")]
    assert [(e.event_id, e.day, [s.value for s in e.sources]) for e in ab.events] == [
        (ledger.events["E1"], date(2025, 2, 10), ["attended", "survey"])
    ]
    assert ab.helix_pair == "business-business"
    everything = await link_statuses(ledger, await sel("all"))
    assert everything[pair(ledger, "A", "B")] == (LinkStatus.confirmed, "joint_project")
    assert everything[pair(ledger, "A", "C")] == (LinkStatus.observed, None)
    assert len(everything) == 7


async def test_summary(ledger: Ledger) -> None:
    s = await services.summary(await sel())
    assert (s.active_organisations, s.links, s.reported, s.confirmed, s.new_links, s.moved_up, s.pupils) == (
        4,
        5,
        2,
        1,
        4,  # A-B appeared first in 2024
        1,
        0,
    )


async def test_helix_pairs(ledger: Ledger) -> None:
    m = await services.helix_matrix(await sel())
    assert {c.pair: (c.links, c.reported, c.confirmed) for c in m.cells} == {
        "business-business": (1, 0, 1),
        "business-education": (2, 1, 0),
        "business-government": (1, 1, 0),
        "education-education": (0, 0, 0),
        "education-government": (1, 0, 0),
        "government-government": (0, 0, 0),
    }
    assert m.total == 5
    assert {c.pair: c.links for c in (await services.helix_matrix(await sel("2024"))).cells}[
        "business-business"
    ] == 3


async def test_new_links_per_quarter(ledger: Ledger) -> None:
    new = await services.new_links(await sel())
    assert [(q.quarter, q.new, q.reported, q.confirmed) for q in new.quarters] == [
        ("2025-Q1", 2, 1, 0),  # A-S (reported), B-S; A-B is not new: it appeared in 2024
        ("2025-Q2", 1, 1, 0),  # A-G
        ("2025-Q3", 0, 0, 0),
        ("2025-Q4", 1, 0, 0),  # S-G
    ]
    older = await services.new_links(await sel("2024"))
    assert [(q.quarter, q.new) for q in older.quarters] == [
        ("2024-Q1", 0),
        ("2024-Q2", 0),
        ("2024-Q3", 0),
        ("2024-Q4", 3),
    ]
    whole = await services.new_links(await sel("all"))
    assert next(q.quarter for q in whole.quarters) == "2024-Q4"
    assert whole.total == 7
    assert [(q.quarter, q.new) for q in (await services.new_links(await sel("2025-Q2"))).quarters] == [
        ("2025-Q2", 1)
    ]


async def test_new_link_moves_when_an_earlier_event_adds_it(ledger: Ledger) -> None:
    """S-G first appears on 2025-11-05; once they are seen together in 2025-Q2 it is new there instead."""
    await attend(ledger, "E2", "s1")
    assert await refresh() == 1
    new = await services.new_links(await sel())
    by_quarter = {q.quarter: q.new for q in new.quarters}
    # At E2 now: A, G and S. A-G and S-G are new there; A-S appeared in Q1 already.
    assert by_quarter == {"2025-Q1": 2, "2025-Q2": 2, "2025-Q3": 0, "2025-Q4": 0}
    assert await refresh() == 0  # nothing changed since


async def test_funnel_and_moves(ledger: Ledger) -> None:
    f = await services.funnel(await sel())
    assert [(r.outcome, r.links) for r in f.rungs] == [
        ("contact", 3),
        ("follow_up", 2),
        ("joint_project", 2),
        ("agreement", 1),
        ("hire_or_internship", 0),
    ]
    assert f.moved_up == 1
    assert [(m.from_outcome, m.to_outcome, m.links) for m in f.moves] == [("follow_up", "joint_project", 1)]
    # A later report in a follow-up wave of E2 moves A-G from agreement to a hire or internship.
    await report(ledger, "E2", "a1", "G", "hire_or_internship", wave=6)
    assert await refresh() == 1
    f = await services.funnel(await sel())
    assert f.moved_up == 2
    assert [(m.from_outcome, m.to_outcome) for m in f.moves] == [
        ("follow_up", "joint_project"),
        ("agreement", "hire_or_internship"),
    ]


async def test_filters(ledger: Ledger) -> None:
    async def pairs(**filters: Any) -> set[tuple[int, int]]:
        return set(await link_statuses(ledger, await sel(**filters)))

    q1 = {pair(ledger, "A", "B"), pair(ledger, "A", "S"), pair(ledger, "B", "S")}
    assert await pairs(period="2025-Q1") == q1
    assert await pairs(programme="smart-industry-hub") == q1
    assert await pairs(theme="energietransitie") == q1
    assert await pairs(programme="chemical-cluster-emmen") == {pair(ledger, "A", "G")}
    assert await pairs(kind=EventKind.promotion_day) == {pair(ledger, "S", "G")}
    assert await pairs(municipality="Coevorden") == {
        pair(ledger, "A", "B"),
        pair(ledger, "B", "S"),
        pair(ledger, "A", "G"),
        pair(ledger, "S", "G"),
    }
    assert await pairs(links=Basis.reported) == {
        pair(ledger, "A", "B"),
        pair(ledger, "A", "S"),
        pair(ledger, "A", "G"),
    }
    assert await pairs(links=Basis.confirmed) == {pair(ledger, "A", "B")}
    assert await pairs(organisation_id=ledger.orgs["S"]) == {
        pair(ledger, "A", "S"),
        pair(ledger, "B", "S"),
        pair(ledger, "S", "G"),
    }
    new = await services.new_links(await sel(programme="chemical-cluster-emmen"))
    assert [q.new for q in new.quarters] == [0, 1, 0, 0]
    active = await services.active_organisations(await sel(municipality="Coevorden"))
    assert (active.total, [(h.helix, h.count) for h in active.by_helix]) == (
        2,
        [("business", 1), ("education", 0), ("government", 1)],
    )


async def test_active_organisations(ledger: Ledger) -> None:
    active = await services.active_organisations(await sel())
    assert active.total == 4
    assert [(h.helix, h.count) for h in active.by_helix] == [
        ("business", 2),
        ("education", 1),
        ("government", 1),
    ]
    assert (await services.active_organisations(await sel("2024"))).total == 3


async def test_partner_activity(ledger: Ledger) -> None:
    items = {p.organisation_id: p for p in (await services.partners(await sel())).items}
    a = items[ledger.orgs["A"]]
    assert (a.events, a.people, a.links, a.reported, a.confirmed) == (2, 2, 3, 2, 1)
    assert a.outcomes == {
        "contact": 1,
        "follow_up": 0,
        "joint_project": 1,
        "agreement": 1,
        "hire_or_internship": 0,
    }
    b = items[ledger.orgs["B"]]
    assert (b.events, b.people, b.links, b.reported, b.confirmed) == (1, 1, 2, 0, 1)
    assert ledger.orgs["C"] not in items


async def test_isolated(ledger: Ledger) -> None:
    out = await services.isolated(await sel(), today=date(2026, 3, 1))
    assert [(i.organisation_id, i.last_link) for i in out.items] == [(ledger.orgs["C"], date(2024, 10, 1))]
    assert (out.since, out.until) == (date(2025, 1, 1), date(2025, 12, 31))
    assert (await services.isolated(await sel("2024"), today=date(2026, 3, 1))).items == []


async def test_network(ledger: Ledger) -> None:
    n = await services.network(await sel(links=Basis.reported))
    assert (n.organisations, n.links, n.components, n.largest_component) == (4, 3, 1, 4)
    assert n.density == 0.5
    assert n.cross_helix_share == round(2 / 3, 4)
    assert n.helix_assortativity is not None
    assert n.helix_assortativity < 0
    assert n.top[0].organisation_id == ledger.orgs["A"]
    assert n.top[0].degree == 3
    assert {(e.a, e.b, e.status) for e in n.edges} == {
        (*pair(ledger, "A", "B"), LinkStatus.confirmed),
        (*pair(ledger, "A", "S"), LinkStatus.reported),
        (*pair(ledger, "A", "G"), LinkStatus.reported),
    }
    assert all(0 <= (d.x or -1) <= 1 and 0 <= (d.y or -1) <= 1 for d in n.drawn)


async def test_partner_coordinator_sees_its_own_organisation(ledger: Ledger) -> None:
    partner = Principal(
        account_id=2,
        role=Role.partner_coordinator,
        name="Coördinator",
        email="c@emmtec.example",
        organisation_id=ledger.orgs["S"],
    )
    s = await services.selection(partner, period="2025")
    assert s.organisation_id == ledger.orgs["S"]
    m = await services.helix_matrix(s)
    assert {c.pair: c.links for c in m.cells if c.links} == {
        "business-education": 2,
        "education-government": 1,
    }
    assert [p.organisation_id for p in (await services.partners(s)).items] == [ledger.orgs["S"]]
    from dtz_events.core.errors import NotFound

    with pytest.raises(NotFound):
        await services.selection(partner, period="2025", organisation_id=ledger.orgs["A"])


async def test_csv_matches_the_figure(ledger: Ledger) -> None:
    text = services.to_csv(await services.helix_matrix(await sel()))
    lines = text.strip().splitlines()
    assert lines[0] == "pair,links,reported,confirmed"
    assert "business-education,2,1,0" in lines
    assert services.to_csv(await services.new_links(await sel())).splitlines()[1] == "2025-Q1,2,1,0"
