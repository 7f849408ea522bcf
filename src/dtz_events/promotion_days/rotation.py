"""The rotation of a promotion day as a pure function: groups, workshops, rounds in; placements and the
reasons for any shortfall out. No database, no clock: property tests drive it with random instances.

Model (OR-Tools CP-SAT): a Boolean per (unit, suitable workshop, round), where a unit is one group or the
groups of one school that asked to be kept together (they share every placement). Hard: a unit is in at
most one workshop per round, visits a workshop at most once and at most `per_group` times; no workshop
holds more pupils than its capacity in any round; locked placements stay. Soft, in this order of weight:
place every visit, keep earlier placements (a late change moves as little as possible), and spread the
visits evenly over the workshops. Everything a unit needs being soft, the model is infeasible only through
contradictory locks, which are found and named before solving."""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

Variables = dict[tuple[int, int, int], "cp_model.IntVar"]


@dataclass(frozen=True, slots=True)
class GroupSpec:
    id: int
    pupils: int
    level: str
    label: str = ""
    together: str | None = None  # groups with the same key share every placement

    @property
    def name(self) -> str:
        return self.label or f"group {self.id}"


@dataclass(frozen=True, slots=True)
class WorkshopSpec:
    id: int
    capacity: int  # pupils per round
    levels: frozenset[str]
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or f"workshop {self.id}"


@dataclass(frozen=True, slots=True, order=True)
class Placement:
    group: int
    round: int  # 1 .. rounds
    workshop: int


@dataclass(frozen=True, slots=True)
class RotationProblem:
    groups: tuple[GroupSpec, ...]
    workshops: tuple[WorkshopSpec, ...]
    rounds: int
    per_group: int
    locked: tuple[Placement, ...] = ()
    previous: tuple[Placement, ...] = ()  # the schedule before a late change


@dataclass(slots=True)
class RotationResult:
    placements: list[Placement]
    status: str  # complete | partial | infeasible
    proven: bool  # the solver proved that no better schedule exists
    short: dict[int, int]  # group id -> visits missing
    reasons: list[str]
    moves: int  # placements of `previous` that changed
    spread: int  # fullest minus emptiest workshop, percentage points of its places over the day
    seconds: float
    solver_status: str = ""
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return self.status == "complete"


@dataclass(frozen=True, slots=True)
class _Unit:
    groups: tuple[GroupSpec, ...]

    @property
    def pupils(self) -> int:
        return sum(g.pupils for g in self.groups)

    @property
    def levels(self) -> frozenset[str]:
        return frozenset(g.level for g in self.groups)

    @property
    def name(self) -> str:
        names = ", ".join(g.name for g in self.groups)
        return names if len(self.groups) == 1 else f"{names} (kept together)"

    def fits(self, workshop: WorkshopSpec) -> bool:
        return self.levels <= workshop.levels and self.pupils <= workshop.capacity


def units_of(groups: Iterable[GroupSpec]) -> list[_Unit]:
    clusters: dict[str, list[GroupSpec]] = defaultdict(list)
    units: list[_Unit] = []
    for group in groups:
        if group.together is None:
            units.append(_Unit((group,)))
        else:
            clusters[group.together].append(group)
    units.extend(_Unit(tuple(members)) for members in clusters.values())
    return units


# ---------------------------------------------------------------- explanations (counting arguments)


def explain(problem: RotationProblem) -> list[str]:
    """Why not every group can get its visits, by arguments anyone can check: too few rounds, too few
    suitable workshops with room for a group, or too few places for a set of levels (Hall's condition)."""
    reasons: list[str] = []
    n, rounds = problem.per_group, problem.rounds
    if n > rounds:
        reasons.append(f"each group must visit {n} workshops but there are only {rounds} rounds")
    units = units_of(problem.groups)
    for unit in units:
        usable = [w for w in problem.workshops if unit.fits(w)]
        if len(usable) < n:
            levels = ", ".join(sorted(unit.levels))
            reasons.append(
                f"{unit.name} ({levels}, {unit.pupils} pupils): only {len(usable)} suitable workshop(s) "
                f"with room for {unit.pupils} pupils, {n} needed"
            )
    reasons.extend(_short_levels(problem, units))
    return reasons


def _short_levels(problem: RotationProblem, units: list[_Unit]) -> list[str]:
    """Hall's condition over sets of levels: the groups of these levels need more pupil-visits than the
    workshops open to any of them offer. Named: each single level that is short, and the set that is
    shortest of all (the rest says nothing new)."""
    n, rounds = problem.per_group, problem.rounds
    short: list[tuple[int, int, str]] = []
    all_levels = sorted({lvl for u in units for lvl in u.levels})
    for size in range(1, len(all_levels) + 1):
        for subset in itertools.combinations(all_levels, size):
            chosen = set(subset)
            pupils = sum(u.pupils for u in units if u.levels <= chosen)
            places = sum(w.capacity for w in problem.workshops if w.levels & chosen)
            if pupils and n * pupils > rounds * places:
                label = " + ".join(subset)
                message = (
                    f"level {label}: {n} visits x {pupils} pupils = {n * pupils} pupil-visits are needed, "
                    f"but the workshops suitable for {label} offer {rounds} rounds x {places} places = "
                    f"{rounds * places}"
                )
                short.append((n * pupils - rounds * places, size, message))
    if not short:
        return []
    chosen_messages = [m for _, size, m in short if size == 1]
    worst = max(short)[2]
    return [*chosen_messages, worst] if worst not in chosen_messages else chosen_messages


def lock_conflicts(problem: RotationProblem) -> list[str]:
    """Locks that cannot all hold: unknown, out of range, unsuitable, twice in a round, over capacity."""
    groups = {g.id: g for g in problem.groups}
    workshops = {w.id: w for w in problem.workshops}
    unit_of = {g.id: unit for unit in units_of(problem.groups) for g in unit.groups}
    problems: list[str] = []
    per_unit: dict[_Unit, dict[int, int]] = defaultdict(dict)
    for lock in problem.locked:
        group, workshop = groups.get(lock.group), workshops.get(lock.workshop)
        if group is None or workshop is None:
            problems.append(f"lock {lock}: unknown group or workshop")
            continue
        if not 1 <= lock.round <= problem.rounds:
            problems.append(f"lock of {group.name}: round {lock.round} does not exist")
            continue
        unit = unit_of[group.id]
        if not unit.fits(workshop):
            problems.append(f"lock of {unit.name} on {workshop.name}: not suitable or no room")
            continue
        earlier = per_unit[unit].get(lock.round)
        if earlier is not None and earlier != workshop.id:
            problems.append(f"{unit.name}: two different workshops locked in round {lock.round}")
        per_unit[unit][lock.round] = workshop.id
    load: dict[tuple[int, int], int] = defaultdict(int)
    for unit, by_round in per_unit.items():
        if len(set(by_round.values())) < len(by_round):
            problems.append(f"{unit.name}: the same workshop is locked in two rounds")
        if len(by_round) > problem.per_group:
            problems.append(f"{unit.name}: more locks than the {problem.per_group} visits a group makes")
        for round_number, workshop_id in by_round.items():
            load[(workshop_id, round_number)] += unit.pupils
    for (workshop_id, round_number), pupils in sorted(load.items()):
        workshop = workshops[workshop_id]
        if pupils > workshop.capacity:
            problems.append(
                f"{workshop.name}, round {round_number}: locked groups bring {pupils} pupils, "
                f"capacity {workshop.capacity}"
            )
    return problems


# ---------------------------------------------------------------- validation


def violations(problem: RotationProblem, placements: Iterable[Placement]) -> list[str]:
    """Every rule a schedule breaks (empty: a valid schedule). Used by the tests and after each solve."""
    groups = {g.id: g for g in problem.groups}
    workshops = {w.id: w for w in problem.workshops}
    found: list[str] = []
    load: dict[tuple[int, int], int] = defaultdict(int)
    rounds_of: dict[int, list[int]] = defaultdict(list)
    workshops_of: dict[int, list[int]] = defaultdict(list)
    chosen = set(placements)
    for p in sorted(chosen):
        group, workshop = groups.get(p.group), workshops.get(p.workshop)
        if group is None or workshop is None:
            found.append(f"{p}: unknown group or workshop")
            continue
        if not 1 <= p.round <= problem.rounds:
            found.append(f"{p}: no such round")
        if group.level not in workshop.levels:
            found.append(f"{p}: {workshop.name} is not suitable for {group.level}")
        load[(p.workshop, p.round)] += group.pupils
        rounds_of[p.group].append(p.round)
        workshops_of[p.group].append(p.workshop)
    for (workshop_id, round_number), pupils in load.items():
        if pupils > workshops[workshop_id].capacity:
            found.append(f"workshop {workshop_id} round {round_number}: {pupils} pupils over capacity")
    for group_id, rounds in rounds_of.items():
        if len(set(rounds)) < len(rounds):
            found.append(f"group {group_id}: two workshops in one round")
        if len(set(workshops_of[group_id])) < len(workshops_of[group_id]):
            found.append(f"group {group_id}: the same workshop twice")
        if len(rounds) > problem.per_group:
            found.append(f"group {group_id}: more than {problem.per_group} visits")
    for lock in problem.locked:
        if lock not in chosen:
            found.append(f"lock {lock} was not kept")
    for unit in units_of(problem.groups):
        shapes = {frozenset((p.round, p.workshop) for p in chosen if p.group == g.id) for g in unit.groups}
        if len(shapes) > 1:
            found.append(f"{unit.name}: groups kept together were split")
    return found


# ---------------------------------------------------------------- solving


class _Model:
    """One CP-SAT model of the problem; `complete` makes every unit's visits hard."""

    def __init__(self, problem: RotationProblem, units: list[_Unit], *, complete: bool) -> None:
        self.problem = problem
        self.units = units
        self.model = _cp().CpModel()
        self.unit_of = {g.id: i for i, unit in enumerate(units) for g in unit.groups}
        self.weight = {u: len(unit.groups) for u, unit in enumerate(units)}
        self.x: Variables = {}
        rounds = range(1, problem.rounds + 1)
        for u, unit in enumerate(units):
            for spec in problem.workshops:
                if unit.fits(spec):
                    for r in rounds:
                        self.x[(u, spec.id, r)] = self.model.new_bool_var(f"x_{u}_{spec.id}_{r}")
        by_unit_round: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
        by_unit_workshop: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
        self.by_workshop: dict[int, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
        by_workshop_round: dict[tuple[int, int], list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
        by_unit: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        for (u, w, r), var in self.x.items():
            by_unit_round[(u, r)].append(var)
            by_unit_workshop[(u, w)].append(var)
            by_workshop_round[(w, r)].append((units[u].pupils, var))
            self.by_workshop[w].append((units[u].pupils, var))
            by_unit[u].append(var)
        for variables in itertools.chain(by_unit_round.values(), by_unit_workshop.values()):
            self.model.add_at_most_one(variables)
        capacity = {w.id: w.capacity for w in problem.workshops}
        for (w, _r), terms in by_workshop_round.items():
            if sum(p for p, _ in terms) > capacity[w]:
                self.model.add(sum(p * v for p, v in terms) <= capacity[w])
        for u in range(len(units)):
            visits = sum(by_unit[u]) if by_unit[u] else 0
            if complete:
                self.model.add(visits == problem.per_group)
            elif by_unit[u]:
                self.model.add(visits <= problem.per_group)
        for lock in problem.locked:
            self.model.add(self.x[(self.unit_of[lock.group], lock.workshop, lock.round)] == 1)
        self.kept = self._previous_vars()
        for var in self.kept:
            self.model.add_hint(var, 1)

    def _previous_vars(self) -> list[cp_model.IntVar]:
        seen: set[tuple[int, int, int]] = set()
        found = []
        for p in self.problem.previous:
            key = (self.unit_of.get(p.group, -1), p.workshop, p.round)
            if key in self.x and key not in seen:
                seen.add(key)
                found.append(self.x[key])
        return found

    def placed(self) -> Any:
        return sum(self.weight[u] * var for (u, _w, _r), var in self.x.items())

    def unevenness(self) -> Any:
        """Fullest minus emptiest workshop, in percent of its places over the day (pupils it receives
        against capacity x rounds), over the workshops any group can visit."""
        used = usable_workshops(self.problem)
        if len(used) < 2:
            return 0
        capacity = {w.id: w.capacity for w in self.problem.workshops}
        high = self.model.new_int_var(0, 100, "fullest_pct")
        low = self.model.new_int_var(0, 100, "emptiest_pct")
        for w in used:
            places = capacity[w] * self.problem.rounds
            load = sum(p * v for p, v in self.by_workshop[w])
            self.model.add(100 * load <= high * places)
            self.model.add(100 * load >= low * places)
        return high - low

    def run(self, seconds: float, workers: int, seed: int) -> tuple[cp_model.CpSolver, Any]:
        solver = _cp().CpSolver()
        solver.parameters.max_time_in_seconds = max(0.05, seconds)
        solver.parameters.num_workers = max(1, workers)
        solver.parameters.random_seed = seed
        return solver, solver.solve(self.model)

    def placements(self, solver: cp_model.CpSolver) -> list[Placement]:
        return sorted(
            Placement(group=g.id, round=r, workshop=w)
            for (u, w, r), var in self.x.items()
            if solver.value(var)
            for g in self.units[u].groups
        )

    def hint(self, placements: list[Placement]) -> None:
        chosen = {(self.unit_of[p.group], p.workshop, p.round) for p in placements}
        self.model.clear_hints()  # type: ignore[no-untyped-call]
        for key, var in self.x.items():
            self.model.add_hint(var, key in chosen)


def _cp() -> ModuleType:
    """CP-SAT, imported when a rotation is solved: the web processes that never solve one stay smaller."""
    from ortools.sat.python import cp_model as module

    return module


def _found(status: Any) -> bool:
    return status in (_cp().OPTIMAL, _cp().FEASIBLE)


def solve(
    problem: RotationProblem, *, time_limit: float = 10.0, workers: int = 2, seed: int = 0
) -> RotationResult:
    """The schedule within `time_limit` seconds in all: first every visit placed (keeping what a late
    change allows), then the workshops evened out with the time left; if not every visit fits, as many
    as fit, with the reasons why the rest does not."""
    started = time.perf_counter()

    def left() -> float:
        return time_limit - (time.perf_counter() - started)

    conflicts = lock_conflicts(problem)
    if conflicts:
        short = {g.id: problem.per_group for g in problem.groups}
        return RotationResult([], "infeasible", True, short, conflicts, 0, 0, time.perf_counter() - started)
    units = units_of(problem.groups)
    if problem.per_group <= problem.rounds and not explain(problem):
        full = _Model(problem, units, complete=True)
        if full.kept:
            full.model.maximize(sum(full.kept))
        solver, status = full.run(0.8 * left(), workers, seed)
        if _found(status):
            placements = full.placements(solver)
            complete_after = time.perf_counter() - started
            proven = status == _cp().OPTIMAL
            even = _Model(problem, units, complete=True)
            if even.kept:
                even.model.add(sum(even.kept) >= round(solver.objective_value))
            even.model.minimize(even.unevenness())
            even.hint(placements)
            if left() > 0.05:
                solver2, status2 = even.run(left(), workers, seed)
                if _found(status2):
                    placements, proven = even.placements(solver2), status2 == _cp().OPTIMAL
                    solver, status = solver2, status2
            result = _result(problem, placements, proven, solver, status, time_limit, started)
            result.stats["complete_after"] = complete_after
            return result
    # Not every visit fits (or the first search ran out of time): place as many as possible, starting
    # from a greedy schedule, which is also the answer if the solver finds nothing better in time.
    greedy = _greedy(problem, units)
    best = _Model(problem, units, complete=False)
    w_move = problem.per_group * len(problem.groups) + 1
    objective = w_move * (len(best.kept) + 1) * best.placed()
    if best.kept:
        objective += w_move * sum(best.kept)
    else:
        best.hint(greedy)
    best.model.maximize(objective)
    solver, status = best.run(left(), workers, seed)
    if not _found(status):
        return _result(problem, greedy, False, solver, status, time_limit, started)
    placements = best.placements(solver)
    return _result(problem, placements, status == _cp().OPTIMAL, solver, status, time_limit, started)


def _greedy(problem: RotationProblem, units: list[_Unit]) -> list[Placement]:
    """Locks first, then the largest groups first, each round into the suitable workshop with the most
    room left that the group has not visited: quick, valid, and a start for the solver."""
    unit_of = {g.id: unit for unit in units for g in unit.groups}
    load: dict[tuple[int, int], int] = defaultdict(int)
    chosen: dict[_Unit, dict[int, int]] = defaultdict(dict)  # round -> workshop
    for lock in problem.locked:
        unit = unit_of[lock.group]
        if lock.round not in chosen[unit]:
            chosen[unit][lock.round] = lock.workshop
            load[(lock.workshop, lock.round)] += unit.pupils
    for unit in sorted(units, key=lambda u: -u.pupils):
        usable = [w for w in problem.workshops if unit.fits(w)]
        for r in range(1, problem.rounds + 1):
            if len(chosen[unit]) >= problem.per_group:
                break
            if r in chosen[unit]:
                continue
            visited = set(chosen[unit].values())
            room = [w for w in usable if w.id not in visited and load[(w.id, r)] + unit.pupils <= w.capacity]
            if room:
                pick = max(room, key=lambda w: w.capacity - load[(w.id, r)])
                chosen[unit][r] = pick.id
                load[(pick.id, r)] += unit.pupils
    return sorted(
        Placement(group=g.id, round=r, workshop=w)
        for unit, by_round in chosen.items()
        for r, w in by_round.items()
        for g in unit.groups
    )


def usable_workshops(problem: RotationProblem) -> list[int]:
    """Workshops at least one group (or kept-together set) can visit: the ones evenness is measured on."""
    units = units_of(problem.groups)
    return [w.id for w in problem.workshops if any(unit.fits(w) for unit in units)]


def utilisation(problem: RotationProblem, placements: Iterable[Placement]) -> dict[int, float]:
    """Share of each usable workshop's places over the day that is taken."""
    pupils = {g.id: g.pupils for g in problem.groups}
    load: dict[int, int] = defaultdict(int)
    for p in placements:
        load[p.workshop] += pupils[p.group]
    capacity = {w.id: w.capacity for w in problem.workshops}
    return {w: load[w] / (capacity[w] * problem.rounds) for w in usable_workshops(problem)}


def _result(
    problem: RotationProblem,
    placements: list[Placement],
    proven: bool,
    solver: cp_model.CpSolver,
    status: Any,
    time_limit: float,
    started: float,
) -> RotationResult:
    count: dict[int, int] = defaultdict(int)
    for p in placements:
        count[p.group] += 1
    short = {g.id: problem.per_group - count[g.id] for g in problem.groups if count[g.id] < problem.per_group}
    previous = set(problem.previous)
    moves = len(previous - set(placements)) if previous else 0
    shares = utilisation(problem, placements)
    spread = round(100 * (max(shares.values()) - min(shares.values()))) if shares else 0
    reasons: list[str] = []
    if short:
        reasons = explain(problem)
        missing = sum(short.values())
        if proven:
            reasons.append(
                f"proven: no schedule places more visits; {missing} visit(s) of {len(short)} group(s) "
                "are missing"
            )
        elif reasons:
            reasons.append(
                f"so not every visit fits; within its time limit of {time_limit:g} s the solver placed all "
                f"but {missing} visit(s) of {len(short)} group(s)"
            )
        else:
            reasons.append(
                f"the solver stopped at its time limit of {time_limit:g} s with {missing} visit(s) of "
                f"{len(short)} group(s) missing; a longer run may place them"
            )
    broken = violations(problem, placements)
    if broken:  # the model and the validator disagree: never hand out a broken schedule
        raise AssertionError("solver returned an invalid schedule: " + "; ".join(broken))
    outcome = "complete" if not short else "partial"
    seconds = time.perf_counter() - started
    stats = {"solver_wall_time": solver.wall_time}
    return RotationResult(
        placements, outcome, proven, short, reasons, moves, spread, seconds, solver.status_name(status), stats
    )
