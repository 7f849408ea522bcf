"""The ledger's pure rules: deriving link rows from evidence, periods, quarters and the graph figures."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dtz_events.cooperation import graph
from dtz_events.cooperation.refresh import derive, quarter_of
from dtz_events.cooperation.schemas import Selection
from dtz_events.cooperation.services import parse_period
from dtz_events.cooperation.sources import Evidence
from dtz_events.core.errors import InvalidInput

pytestmark = pytest.mark.sqlite

DAY = date(2025, 2, 10)


def test_attending_together_links_every_pair_once() -> None:
    rows = derive(Evidence(attendees={1: {5, 3, 9}}), {1: DAY})
    assert sorted((r.org_a, r.org_b) for r in rows) == [(3, 5), (3, 9), (5, 9)]
    assert all(r.attended and r.rank is None and r.first_key is None for r in rows)
    assert {r.quarter for r in rows} == {20251}


def test_reports_one_side_both_sides_and_the_first_wave() -> None:
    evidence = Evidence(
        attendees={1: {3, 5}},
        reports={1: {(5, 3): [(0, 0), (3, 2)], (3, 5): [(0, 1)]}},
    )
    (row,) = derive(evidence, {1: DAY})
    assert (row.org_a, row.org_b, row.reported_by_a, row.reported_by_b) == (3, 5, True, True)
    assert row.rank == 2
    assert row.first_key == 20250210 * 10 + (9 - 1)  # wave 0: the best of contact (5) and follow-up (3)


def test_a_held_meeting_is_contact_and_a_report_is_one_sided() -> None:
    evidence = Evidence(meetings={2: {(4, 8)}}, reports={2: {(8, 6): [(0, 3)]}})
    rows = {(r.org_a, r.org_b): r for r in derive(evidence, {2: DAY})}
    assert (rows[(4, 8)].met, rows[(4, 8)].rank, rows[(4, 8)].first_key) == (True, 0, None)
    assert (rows[(6, 8)].reported_by_a, rows[(6, 8)].reported_by_b, rows[(6, 8)].rank) == (False, True, 3)


def test_workshops_link_school_and_host() -> None:
    (row,) = derive(Evidence(workshops={3: {(12, 7)}}), {3: DAY})
    assert (row.org_a, row.org_b, row.workshop, row.attended) == (7, 12, True, False)


@given(st.sets(st.integers(1, 40), max_size=12))
@settings(max_examples=40, deadline=None)
def test_pairs_are_ordered_and_counted(orgs: set[int]) -> None:
    rows = derive(Evidence(attendees={1: orgs}), {1: DAY})
    assert len(rows) == len(orgs) * (len(orgs) - 1) // 2
    assert all(r.org_a < r.org_b for r in rows)


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        ("2025", date(2025, 1, 1), date(2026, 1, 1)),
        ("2025-Q1", date(2025, 1, 1), date(2025, 4, 1)),
        ("2025-Q4", date(2025, 10, 1), date(2026, 1, 1)),
    ],
)
def test_periods(period: str, start: date, end: date) -> None:
    assert parse_period(period) == (period, start, end)


def test_default_period_is_this_year_and_bad_ones_name_the_field() -> None:
    assert parse_period(None, today=date(2026, 11, 30))[1:] == (date(2026, 1, 1), date(2027, 1, 1))
    for bad in ("2025-Q0", "25", "2025Q1", "1999"):
        with pytest.raises(InvalidInput) as caught:
            parse_period(bad)
        assert caught.value.errors[0].field == "period"


def test_quarters() -> None:
    assert [quarter_of(date(2025, m, 1)) for m in (1, 3, 4, 6, 7, 10, 12)] == [
        20251,
        20251,
        20252,
        20252,
        20253,
        20254,
        20254,
    ]


def test_graph_figures_and_layout() -> None:
    s = Selection(period="2025", start=date(2025, 1, 1), end=date(2026, 1, 1))
    orgs = {
        1: {"name": "Bedrijf", "helix": "business"},
        2: {"name": "School", "helix": "education"},
        3: {"name": "Gemeente", "helix": "government"},
        4: {"name": "Los", "helix": "business"},
        5: {"name": "Ander", "helix": "business"},
    }
    n = graph.figures(s, [(1, 2, 2), (1, 3, 1), (4, 5, 1)], orgs, draw=3)
    assert (n.organisations, n.links, n.components, n.largest_component) == (5, 3, 2, 3)
    assert n.density == round(3 / 10, 4)
    assert n.cross_helix_share == round(2 / 3, 4)
    assert [d.organisation_id for d in n.drawn] == [1, 5, 3]  # by degree, then name
    assert all(d.x is not None and 0 <= d.x <= 1 for d in n.drawn)
    assert graph.figures(s, [], {}, draw=10).helix_assortativity is None
