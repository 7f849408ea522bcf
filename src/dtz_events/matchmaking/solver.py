"""The meeting scheduler: a pure function from an instance (people, their free slots, accepted requests,
tables) to an assignment (request -> slot and table). No database, no clock: property-testable.

Model (OR-Tools CP-SAT): one boolean per (request, slot where both people are free). Constraints: a request
in at most one slot; a person in at most one meeting per slot and at most `limit` meetings in all; at most
`tables[slot]` meetings per slot; locked meetings fixed. Objective, in this order of weight:
- meetings, each worth VALUE + PRIORITY_STEP * (priority - 1): count first, then priority;
- minus MOVE_PENALTY for every meeting of the previous schedule that changes slot or is dropped. It is
  more than a meeting is worth: a re-run after a change moves the meetings the change forces out, and
  moves others only where that places more meetings than there are extra moves (never to swap priorities
  or close gaps). Proof sketch in tests/unit/test_matchmaking_solver.py;
- minus GAP_PENALTY per block of consecutive meetings of a person (fewer blocks, fewer idle gaps).
The solver gets a time limit and starts from the greedy schedule (a hint); if CP-SAT is missing, finds
nothing in time or fails, the greedy schedule is the answer (`Schedule.method` says which).

Table numbers are given afterwards, per slot (tables in a slot are interchangeable): locked meetings and
meetings that stay in their slot keep their table."""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

VALUE = 1000
PRIORITY_STEP = 100
MOVE_PENALTY = 1500
GAP_PENALTY = 5
MAX_PRIORITY = 3


@dataclass(frozen=True, slots=True)
class Request:
    id: int
    a: int
    b: int
    priority: int = 1  # 1 (nice to meet) .. 3 (must meet)


@dataclass(frozen=True, slots=True)
class Placement:
    slot: int
    table: int  # 1-based


@dataclass(frozen=True)
class Instance:
    slots: int
    tables: tuple[int, ...]  # tables available per slot
    requests: tuple[Request, ...]
    # Free slots per person; a person not listed is free in every slot.
    available: dict[int, frozenset[int]] = field(default_factory=dict)
    limits: dict[int, int] = field(default_factory=dict)  # most meetings per person; absent: no limit
    locked: dict[int, Placement] = field(default_factory=dict)  # request id -> fixed slot and table
    previous: dict[int, Placement] = field(default_factory=dict)  # the last schedule, to move little

    def free(self, person: int) -> frozenset[int]:
        return self.available.get(person, frozenset(range(self.slots)))

    def limit(self, person: int) -> int:
        return self.limits.get(person, self.slots)

    def common_slots(self, request: Request) -> list[int]:
        return sorted(self.free(request.a) & self.free(request.b))


@dataclass
class Schedule:
    placements: dict[int, Placement]
    method: str  # "cp-sat optimal", "cp-sat feasible", "greedy"
    seconds: float
    objective_bound: float | None = None


def weight(request: Request) -> int:
    return VALUE + PRIORITY_STEP * (min(max(request.priority, 1), MAX_PRIORITY) - 1)


# ---------------------------------------------------------------- checks and measures


def violations(instance: Instance, placements: dict[int, Placement]) -> list[str]:
    """Every broken rule of a schedule (empty when it is valid)."""
    found: list[str] = []
    by_id = {r.id: r for r in instance.requests}
    busy: set[tuple[int, int]] = set()
    per_slot: dict[int, int] = defaultdict(int)
    per_person: dict[int, int] = defaultdict(int)
    seats: set[tuple[int, int]] = set()
    for rid, place in placements.items():
        request = by_id.get(rid)
        if request is None:
            found.append(f"request {rid} is not in the instance")
            continue
        if not 0 <= place.slot < instance.slots:
            found.append(f"request {rid}: slot {place.slot} out of range")
            continue
        if not 1 <= place.table <= instance.tables[place.slot]:
            found.append(f"request {rid}: table {place.table} does not exist in slot {place.slot}")
        if (place.slot, place.table) in seats:
            found.append(f"request {rid}: table {place.table} in slot {place.slot} used twice")
        seats.add((place.slot, place.table))
        per_slot[place.slot] += 1
        for person in (request.a, request.b):
            if place.slot not in instance.free(person):
                found.append(f"request {rid}: person {person} is not free in slot {place.slot}")
            if (person, place.slot) in busy:
                found.append(f"person {person} has two meetings in slot {place.slot}")
            busy.add((person, place.slot))
            per_person[person] += 1
    for person, count in per_person.items():
        if count > instance.limit(person):
            found.append(f"person {person} has {count} meetings, more than {instance.limit(person)}")
    for slot, count in per_slot.items():
        if count > instance.tables[slot]:
            found.append(f"slot {slot} has {count} meetings for {instance.tables[slot]} tables")
    for rid, place in instance.locked.items():
        if placements.get(rid) != place:
            found.append(f"locked request {rid} is not at {place}")
    return found


def idle_gaps(instance: Instance, placements: dict[int, Placement]) -> int:
    """Slots in which a person waits between their first and last meeting, summed over people."""
    by_id = {r.id: r for r in instance.requests}
    slots: dict[int, list[int]] = defaultdict(list)
    for rid, place in placements.items():
        request = by_id[rid]
        slots[request.a].append(place.slot)
        slots[request.b].append(place.slot)
    return sum(max(s) - min(s) + 1 - len(s) for s in slots.values())


def moves(previous: dict[int, Placement], placements: dict[int, Placement]) -> int:
    """Meetings of the previous schedule that changed slot or were dropped."""
    return sum(
        1 for rid, place in previous.items() if rid not in placements or placements[rid].slot != place.slot
    )


@dataclass(frozen=True)
class Bound:
    meetings: int
    weight: int
    how: str


def upper_bound(instance: Instance) -> Bound:
    """A bound no schedule can beat, by counting: the least of (a) the requests that have a common free slot,
    (b) the tables over all slots, (c) half the sum over people of min(free slots, limit, requests that can
    be placed), (d) the sum over slots of min(tables, half the people free then who have a placeable
    request). The weight bound is the sum of the heaviest that-many placeable requests, each person's
    share capped likewise."""
    placeable = [r for r in instance.requests if instance.common_slots(r) or r.id in instance.locked]
    degree: dict[int, int] = defaultdict(int)
    for r in placeable:
        degree[r.a] += 1
        degree[r.b] += 1
    by_people = sum(min(len(instance.free(p)), instance.limit(p), d) for p, d in degree.items()) // 2
    per_slot = 0
    for slot in range(instance.slots):
        free_people = sum(1 for p in degree if slot in instance.free(p))
        per_slot += min(instance.tables[slot], free_people // 2)
    count = min(len(placeable), sum(instance.tables), by_people, per_slot)
    heaviest = sorted((weight(r) for r in placeable), reverse=True)[:count]
    how = (
        f"min(placeable requests {len(placeable)}, table-slots {sum(instance.tables)}, "
        f"person-slots/2 {by_people}, per-slot pairs {per_slot})"
    )
    return Bound(meetings=count, weight=sum(heaviest), how=how)


# ---------------------------------------------------------------- greedy


def greedy(instance: Instance, order: Iterable[Request] | None = None) -> dict[int, Placement]:
    """First free slot: locked meetings first, then each request (in `order`, default as given) in the
    earliest slot where both people are free and a table is left. Fast and always valid; the fallback."""
    used_tables: dict[int, set[int]] = defaultdict(set)
    busy: set[tuple[int, int]] = set()
    count: dict[int, int] = defaultdict(int)
    placements: dict[int, Placement] = {}
    by_id = {r.id: r for r in instance.requests}
    for rid, place in instance.locked.items():
        request = by_id[rid]
        placements[rid] = place
        used_tables[place.slot].add(place.table)
        for person in (request.a, request.b):
            busy.add((person, place.slot))
            count[person] += 1
    for request in order if order is not None else instance.requests:
        if request.id in placements:
            continue
        if count[request.a] >= instance.limit(request.a) or count[request.b] >= instance.limit(request.b):
            continue
        for slot in instance.common_slots(request):
            if len(used_tables[slot]) >= instance.tables[slot]:
                continue
            if (request.a, slot) in busy or (request.b, slot) in busy:
                continue
            table = next(t for t in range(1, instance.tables[slot] + 1) if t not in used_tables[slot])
            placements[request.id] = Placement(slot, table)
            used_tables[slot].add(table)
            busy.update({(request.a, slot), (request.b, slot)})
            count[request.a] += 1
            count[request.b] += 1
            break
    return placements


def _hint_order(instance: Instance) -> list[Request]:
    """Previous meetings first (kept where they were if possible), then by priority, then the busiest-free
    pairs (fewest common slots) first."""
    previous = instance.previous

    def key(r: Request) -> tuple[int, int, int]:
        return (0 if r.id in previous else 1, -r.priority, len(instance.common_slots(r)))

    return sorted(instance.requests, key=key)


def _greedy_keeping(instance: Instance, deadline: float | None = None) -> dict[int, Placement]:
    """The fallback and the hint: locked meetings, then previous meetings in their old slot where that is
    still allowed, then the rest by `_hint_order`, each in the first slot that fits."""
    by_id = {r.id: r for r in instance.requests}
    start: dict[int, Placement] = {rid: p for rid, p in instance.locked.items() if rid in by_id}
    per_slot: dict[int, int] = defaultdict(int)
    busy: set[tuple[int, int]] = set()
    count: dict[int, int] = defaultdict(int)
    for rid, place in start.items():
        per_slot[place.slot] += 1
        for p in (by_id[rid].a, by_id[rid].b):
            busy.add((p, place.slot))
            count[p] += 1
    for rid, place in sorted(instance.previous.items()):
        request = by_id.get(rid)
        if request is None or rid in start or place.slot not in instance.common_slots(request):
            continue
        pair = (request.a, request.b)
        if per_slot[place.slot] >= instance.tables[place.slot] or any((p, place.slot) in busy for p in pair):
            continue
        if any(count[p] >= instance.limit(p) for p in pair):
            continue
        start[rid] = Placement(place.slot, 0)
        per_slot[place.slot] += 1
        for p in pair:
            busy.add((p, place.slot))
            count[p] += 1
    placements = _greedy_from(instance, start, _hint_order(instance))
    return assign_tables(
        instance, compact(instance, {rid: p.slot for rid, p in placements.items()}, deadline)
    )


def _person_cost(slots: set[int]) -> tuple[int, int]:
    """(blocks of consecutive meetings, idle slots between the first and the last meeting)."""
    if not slots:
        return 0, 0
    blocks = sum(1 for s in slots if s - 1 not in slots)
    return blocks, max(slots) - min(slots) + 1 - len(slots)


def compact(instance: Instance, slots: dict[int, int], deadline: float | None = None) -> dict[int, int]:
    """Local search against idle gaps: move a meeting to another slot where both people are free and a
    table is left, or swap the slots of two meetings, when that lowers (blocks, idle slots) of the people
    involved, fewer blocks first. The set of meetings does not change, nor does any locked meeting or one
    that stays where the previous schedule had it (that would be a move), so neither the meetings' worth
    nor the moves get worse, and the solver's objective only improves."""
    by_id = {r.id: r for r in instance.requests}
    slots = dict(slots)
    busy: dict[int, set[int]] = defaultdict(set)
    at_slot: dict[int, set[int]] = defaultdict(set)
    for rid, slot in slots.items():
        at_slot[slot].add(rid)
        busy[by_id[rid].a].add(slot)
        busy[by_id[rid].b].add(slot)
    fixed = set(instance.locked) | {
        rid for rid, place in instance.previous.items() if slots.get(rid) == place.slot
    }
    movable = sorted(rid for rid in slots if rid not in fixed)
    common = {rid: set(instance.common_slots(by_id[rid])) for rid in movable}
    cost = {person: _person_cost(mine) for person, mine in busy.items()}

    def delta(person: int, leave: int, enter: int) -> tuple[int, int]:
        mine = (busy[person] - {leave}) | {enter}
        new, old = _person_cost(mine), cost[person]
        return new[0] - old[0], new[1] - old[1]

    def evaluate(rid: int, slot: int, other: int | None) -> tuple[int, int] | None:
        """The change of (blocks, idle) if `rid` moves to `slot` (and `other` from there to rid's slot)."""
        current = slots[rid]
        pair = {by_id[rid].a, by_id[rid].b}
        others = set() if other is None else {by_id[other].a, by_id[other].b}
        total = (0, 0)
        for person in pair - others:
            if slot in busy[person]:
                return None
            d = delta(person, current, slot)
            total = (total[0] + d[0], total[1] + d[1])
        for person in others - pair:
            if current in busy[person]:
                return None
            d = delta(person, slot, current)
            total = (total[0] + d[0], total[1] + d[1])
        return total

    for _ in range(20):
        improved = False
        for rid in movable:
            current = slots[rid]
            a, b = by_id[rid].a, by_id[rid].b
            if cost[a][1] == 0 and cost[b][1] == 0:
                continue  # neither waits between meetings
            if deadline is not None and time.perf_counter() > deadline:
                return slots
            best: tuple[tuple[int, int], int, int | None] | None = None
            # Only slots next to or between a person's meetings can close a gap or join a block.
            near = set()
            for person in (a, b):
                if busy[person] - {current}:
                    rest = busy[person] - {current}
                    near |= set(range(min(rest) - 1, max(rest) + 2))
            for slot in common[rid] & near:
                if slot == current:
                    continue
                candidates: list[int | None] = [None] if len(at_slot[slot]) < instance.tables[slot] else []
                candidates += [o for o in at_slot[slot] if o in common and current in common[o]]
                for other in candidates:
                    change = evaluate(rid, slot, other)
                    if change is not None and change < (0, 0) and (best is None or change < best[0]):
                        best = (change, slot, other)
            if best is None:
                continue
            _, slot, other = best
            moving = {rid: slot} if other is None else {rid: slot, other: current}
            touched = {p for m in moving for p in (by_id[m].a, by_id[m].b)}
            for m in moving:
                for person in (by_id[m].a, by_id[m].b):
                    busy[person].discard(slots[m])
                at_slot[slots[m]].discard(m)
            for m, new_slot in moving.items():
                for person in (by_id[m].a, by_id[m].b):
                    busy[person].add(new_slot)
                at_slot[new_slot].add(m)
                slots[m] = new_slot
            for person in touched:
                cost[person] = _person_cost(busy[person])
            improved = True
        if not improved:
            break
    return slots


def _greedy_from(
    instance: Instance, start: dict[int, Placement], order: list[Request]
) -> dict[int, Placement]:
    by_id = {r.id: r for r in instance.requests}
    per_slot: dict[int, int] = defaultdict(int)
    busy: set[tuple[int, int]] = set()
    count: dict[int, int] = defaultdict(int)
    placements = dict(start)
    for rid, place in start.items():
        per_slot[place.slot] += 1
        for p in (by_id[rid].a, by_id[rid].b):
            busy.add((p, place.slot))
            count[p] += 1
    for request in order:
        if request.id in placements:
            continue
        if count[request.a] >= instance.limit(request.a) or count[request.b] >= instance.limit(request.b):
            continue
        pair = (request.a, request.b)
        fitting = [
            slot
            for slot in instance.common_slots(request)
            if per_slot[slot] < instance.tables[slot]
            and (request.a, slot) not in busy
            and (request.b, slot) not in busy
        ]
        if not fitting:
            continue
        # The slot that adds the fewest blocks (next to the pair's other meetings), then the earliest.
        slot = min(fitting, key=lambda s: (sum(_new_blocks(busy, p, s) for p in pair), s))
        placements[request.id] = Placement(slot, 0)
        per_slot[slot] += 1
        busy.update({(request.a, slot), (request.b, slot)})
        count[request.a] += 1
        count[request.b] += 1
    return placements


def _new_blocks(busy: set[tuple[int, int]], person: int, slot: int) -> int:
    """How many blocks of meetings a person gains (1), keeps (0) or loses (-1) with a meeting in `slot`;
    a person without meetings yet counts 0, so the first meeting goes where the pair fits best."""
    before, after = (person, slot - 1) in busy, (person, slot + 1) in busy
    return 1 - before - after


# ---------------------------------------------------------------- tables


def assign_tables(instance: Instance, slots: dict[int, int]) -> dict[int, Placement]:
    """Table numbers per slot: locked meetings keep theirs, then meetings that stay in their previous slot
    keep their previous table where it is free, the rest take the lowest free table."""
    placements: dict[int, Placement] = {}
    used: dict[int, set[int]] = defaultdict(set)
    for rid, slot in slots.items():
        locked = instance.locked.get(rid)
        if locked is not None and locked.slot == slot:
            placements[rid] = locked
            used[slot].add(locked.table)
    for rid, slot in sorted(slots.items()):
        previous = instance.previous.get(rid)
        if rid in placements or previous is None or previous.slot != slot:
            continue
        if previous.table not in used[slot] and 1 <= previous.table <= instance.tables[slot]:
            placements[rid] = previous
            used[slot].add(previous.table)
    for rid, slot in sorted(slots.items()):
        if rid in placements:
            continue
        table = next(t for t in range(1, instance.tables[slot] + 1) if t not in used[slot])
        placements[rid] = Placement(slot, table)
        used[slot].add(table)
    return placements


# ---------------------------------------------------------------- CP-SAT


GAP_TERMS_UP_TO = 5_000  # choice variables; above this the gap term is left to `compact` (model size)


def solve(
    instance: Instance, time_limit: float = 10.0, workers: int = 2, use_cp_sat: bool = True
) -> Schedule:
    """The best schedule found within `time_limit` seconds (wall clock, everything included): a greedy
    start made compact (30 % of the time at most), CP-SAT from there (until 85 %), compacted again."""
    started = time.perf_counter()
    fallback = _greedy_keeping(instance, started + 0.3 * time_limit)
    if not use_cp_sat or not instance.requests:
        return Schedule(fallback, "greedy", time.perf_counter() - started)
    try:
        result = _cp_sat(instance, fallback, started + 0.85 * time_limit, workers)
    except ImportError:  # pragma: no cover - ortools is a dependency; this keeps a broken install usable
        result = None
    if result is None:
        return Schedule(fallback, "greedy", time.perf_counter() - started)
    slots, method, bound = result
    if method != "cp-sat optimal":
        slots = compact(instance, slots, started + time_limit)
    if objective_of(instance, slots) < objective(instance, fallback):
        return Schedule(fallback, "greedy", time.perf_counter() - started)
    placements = assign_tables(instance, slots)
    return Schedule(placements, method, time.perf_counter() - started, bound)


def _cp_sat(
    instance: Instance, hint: dict[int, Placement], deadline: float, workers: int
) -> tuple[dict[int, int], str, float] | None:
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    by_person_slot: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    by_person: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    by_slot: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    objective = []
    for request in instance.requests:
        locked = instance.locked.get(request.id)
        choices = [locked.slot] if locked is not None else instance.common_slots(request)
        own = []
        for slot in choices:
            var = model.new_bool_var(f"x{request.id}_{slot}")
            x[request.id, slot] = var
            own.append(var)
            by_person_slot[request.a, slot].append(var)
            by_person_slot[request.b, slot].append(var)
            by_person[request.a].append(var)
            by_person[request.b].append(var)
            by_slot[slot].append(var)
            value = weight(request)
            previous = instance.previous.get(request.id)
            if previous is not None and previous.slot == slot:
                value += MOVE_PENALTY  # staying is worth the penalty a move (or a drop) would cost
            objective.append(value * var)
        if locked is not None:
            model.add(own[0] == 1)
        elif len(own) > 1:
            model.add_at_most_one(own)
    for group in by_person_slot.values():
        if len(group) > 1:
            model.add_at_most_one(group)
    for person, group in by_person.items():
        if len(group) > instance.limit(person):
            model.add(sum(group) <= instance.limit(person))
    for slot, group in by_slot.items():
        if len(group) > instance.tables[slot]:
            model.add(sum(group) <= instance.tables[slot])
    gap_people = list(by_person) if len(x) <= GAP_TERMS_UP_TO else []  # see GAP_TERMS_UP_TO
    # Blocks: a block starts in slot s when the person meets in s and not in s - 1.
    by_id = {r.id: r for r in instance.requests}
    hinted_busy = {(p, place.slot) for rid, place in hint.items() for p in (by_id[rid].a, by_id[rid].b)}

    def hint_busy(person: int, slot: int) -> bool:
        return (person, slot) in hinted_busy

    for person in gap_people:
        busy = [sum(by_person_slot.get((person, s), [])) for s in range(instance.slots)]
        for s in range(instance.slots):
            if not by_person_slot.get((person, s)):
                continue
            start = model.new_bool_var(f"start{person}_{s}")
            if s == 0 or not by_person_slot.get((person, s - 1)):
                model.add(start >= busy[s])
            else:
                model.add(start >= busy[s] - busy[s - 1])
            objective.append(-GAP_PENALTY * start)
            hinted = hint_busy(person, s) and (s == 0 or not hint_busy(person, s - 1))
            model.add_hint(start, 1 if hinted else 0)
    model.maximize(sum(objective))
    for (rid, slot), var in x.items():
        place = hint.get(rid)
        model.add_hint(var, 1 if place is not None and place.slot == slot else 0)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(deadline - time.perf_counter(), 0.1)
    solver.parameters.num_workers = max(workers, 1)
    solver.parameters.random_seed = 7
    # Presolve costs seconds on these models and gains little: the structure is plain already.
    solver.parameters.cp_model_probing_level = int(os.environ.get("DTZ_SOLVER_PROBING", "0"))
    solver.parameters.symmetry_level = 0
    solver.parameters.max_presolve_iterations = 1
    solver.parameters.log_search_progress = bool(os.environ.get("DTZ_SOLVER_LOG"))
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    slots = {rid: slot for (rid, slot), var in x.items() if solver.boolean_value(var)}
    method = "cp-sat optimal" if status == cp_model.OPTIMAL else "cp-sat feasible"
    return slots, method, solver.best_objective_bound


def is_optimal(schedule: Schedule) -> bool:
    return schedule.method == "cp-sat optimal"


def objective(instance: Instance, placements: dict[int, Placement]) -> int:
    """The solver's objective for a schedule: meetings' worth, minus moves and blocks."""
    return objective_of(instance, {rid: place.slot for rid, place in placements.items()})


def objective_of(instance: Instance, slots: dict[int, int]) -> int:
    by_id = {r.id: r for r in instance.requests}
    total = sum(weight(by_id[rid]) for rid in slots)
    total -= MOVE_PENALTY * sum(
        1 for rid, place in instance.previous.items() if rid in by_id and slots.get(rid) != place.slot
    )
    busy: dict[int, set[int]] = defaultdict(set)
    for rid, slot in slots.items():
        busy[by_id[rid].a].add(slot)
        busy[by_id[rid].b].add(slot)
    blocks = sum(sum(1 for s in mine if s - 1 not in mine) for mine in busy.values())
    return total - GAP_PENALTY * blocks
