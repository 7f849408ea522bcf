"""The rotation solver on random instances (hypothesis): whatever it returns never puts more pupils in a
workshop than fit, never sends a group twice to a workshop or to two workshops in a round, only to suitable
workshops, keeps every lock and keeps groups of a school together when asked. When it says a schedule is
complete, every group has its visits; when it is not, it says why."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dtz_events.promotion_days.rotation import (
    GroupSpec,
    Placement,
    RotationProblem,
    WorkshopSpec,
    explain,
    solve,
    violations,
)

LEVELS = ("primary_7_8", "vmbo", "havo_vwo", "mbo")


@st.composite
def problems(draw: st.DrawFn) -> RotationProblem:
    rounds = draw(st.integers(1, 4))
    per_group = draw(st.integers(1, rounds))
    workshops = tuple(
        WorkshopSpec(
            id=i,
            capacity=draw(st.integers(10, 70)),
            levels=frozenset(draw(st.sets(st.sampled_from(LEVELS), min_size=1))),
        )
        for i in range(1, draw(st.integers(1, 7)) + 1)
    )
    groups = tuple(
        GroupSpec(
            id=i,
            pupils=draw(st.integers(5, 35)),
            level=draw(st.sampled_from(LEVELS)),
            together=draw(st.sampled_from([None, None, None, "school 1", "school 2"])),
        )
        for i in range(1, draw(st.integers(1, 9)) + 1)
    )
    locked: tuple[Placement, ...] = ()
    if draw(st.booleans()):
        g, w = draw(st.sampled_from(groups)), draw(st.sampled_from(workshops))
        locked = (Placement(group=g.id, round=draw(st.integers(1, rounds)), workshop=w.id),)
    return RotationProblem(
        groups=groups, workshops=workshops, rounds=rounds, per_group=per_group, locked=locked
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_every_schedule_keeps_every_rule(problem: RotationProblem) -> None:
    result = solve(problem, time_limit=2, workers=1)
    if result.status == "infeasible":
        assert result.placements == []
        assert result.reasons, "an infeasible answer says why"
        return
    assert violations(problem, result.placements) == []
    pupils = {g.id: g.pupils for g in problem.groups}
    capacity = {w.id: w.capacity for w in problem.workshops}
    load: dict[tuple[int, int], int] = {}
    for p in result.placements:
        load[(p.workshop, p.round)] = load.get((p.workshop, p.round), 0) + pupils[p.group]
    assert all(n <= capacity[w] for (w, _), n in load.items())
    assert set(problem.locked) <= set(result.placements)
    if result.complete:
        for g in problem.groups:
            assert sum(1 for p in result.placements if p.group == g.id) == problem.per_group
    else:
        assert result.short
        assert result.reasons


@settings(max_examples=25, deadline=None)
@given(problems())
def test_a_second_run_from_the_first_schedule_moves_nothing(problem: RotationProblem) -> None:
    first = solve(problem, time_limit=2, workers=1)
    if not first.complete:
        return
    again = solve(
        RotationProblem(
            groups=problem.groups,
            workshops=problem.workshops,
            rounds=problem.rounds,
            per_group=problem.per_group,
            locked=problem.locked,
            previous=tuple(first.placements),
        ),
        time_limit=2,
        workers=1,
    )
    assert again.complete
    assert again.moves == 0


def test_counting_argument_names_the_level_short_of_places() -> None:
    problem = RotationProblem(
        groups=tuple(GroupSpec(id=i, pupils=25, level="mbo") for i in range(1, 5)),
        workshops=(WorkshopSpec(id=1, capacity=30, levels=frozenset({"mbo"})),),
        rounds=2,
        per_group=1,
    )
    reasons = explain(problem)
    assert any("level mbo: 1 visits x 100 pupils = 100 pupil-visits" in r and "= 60" in r for r in reasons)
    result = solve(problem, time_limit=2, workers=1)
    assert result.status == "partial"
    assert len(result.short) == 2
    assert result.proven


@pytest.mark.parametrize(
    ("lock", "message"),
    [
        (Placement(group=1, round=1, workshop=2), "not suitable"),
        (Placement(group=1, round=3, workshop=1), "round 3 does not exist"),
    ],
)
def test_contradictory_locks_are_named(lock: Placement, message: str) -> None:
    problem = RotationProblem(
        groups=(GroupSpec(id=1, pupils=20, level="vmbo"),),
        workshops=(
            WorkshopSpec(id=1, capacity=30, levels=frozenset({"vmbo"})),
            WorkshopSpec(id=2, capacity=30, levels=frozenset({"mbo"})),
        ),
        rounds=2,
        per_group=1,
        locked=(lock,),
    )
    result = solve(problem, time_limit=1, workers=1)
    assert result.status == "infeasible"
    assert any(message in r for r in result.reasons)
