"""Rotation of a large promotion day: the solver alone, on a generated instance.

    .venv/bin/python bench/rotation.py [--schools 60] [--groups-per-school 2] [--workshops 40] [--rounds 4]
                                       [--per-group 3] [--time-limit 10] [--workers 2] [--seed 7]
                                       [--together 0.15] [--late-change]

60 schools x 2 groups (15-30 pupils; primary 7/8, VMBO, HAVO/VWO or MBO), 40 workshops of host companies
(45-90 pupils per round, each suitable for two to four levels), 4 rounds, 3 workshops per group; a share of
the schools (--together) asks to keep its two groups together. Prints how many groups are fully scheduled,
capacity use per round, how evenly the workshops are used, and the time; when groups are short it prints
exactly why (counting arguments or the solver's proof). With --late-change it then withdraws one busy
workshop and solves again from the first schedule, printing how many placements moved. The schedule is
checked against every rule by an independent validator before anything is printed. Exit status 1 when a
group is short or the target of 10 s is missed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from dtz_events.promotion_days.rotation import (
    GroupSpec,
    Placement,
    RotationProblem,
    RotationResult,
    WorkshopSpec,
    solve,
    usable_workshops,
    utilisation,
    violations,
)

LEVELS = ("primary_7_8", "vmbo", "havo_vwo", "mbo")
TARGET_SECONDS = 10.0


def instance(args: argparse.Namespace) -> RotationProblem:
    rng = random.Random(args.seed)
    groups = []
    for school in range(1, args.schools + 1):
        level = rng.choice(LEVELS)
        together = f"school {school}" if rng.random() < args.together else None
        for index in range(args.groups_per_school):
            groups.append(
                GroupSpec(
                    id=len(groups) + 1,
                    pupils=rng.randint(15, 30),
                    level=level if rng.random() < 0.8 or together else rng.choice(LEVELS),
                    label=f"school {school} group {index + 1}",
                    together=together,
                )
            )
    workshops = []
    for number in range(1, args.workshops + 1):
        levels = frozenset(rng.sample(LEVELS, rng.randint(2, 4)))
        workshops.append(
            WorkshopSpec(
                id=number, capacity=rng.choice((45, 60, 75, 90)), levels=levels, label=f"ws {number}"
            )
        )
    return RotationProblem(
        groups=tuple(groups), workshops=tuple(workshops), rounds=args.rounds, per_group=args.per_group
    )


def report(problem: RotationProblem, result: RotationResult, title: str) -> None:
    broken = violations(problem, result.placements)
    full = len(problem.groups) - len(result.short)
    print(f"== {title}")
    print(
        f"status              {result.status} (solver {result.solver_status}, proven best: {result.proven})"
    )
    print(
        f"groups scheduled    {full} / {len(problem.groups)} fully ({problem.per_group} distinct workshops)"
    )
    print(f"rule violations     {len(broken)} (independent validator)")
    complete_after = result.stats.get("complete_after")
    if complete_after is not None:
        print(f"all scheduled after {complete_after:.2f} s (target {TARGET_SECONDS:g} s)")
    print(
        f"time                {result.seconds:.2f} s wall in all "
        "(the rest of the budget evens out the workshops)"
    )
    pupils = {g.id: g.pupils for g in problem.groups}
    capacity = {w.id: w.capacity for w in problem.workshops}
    for round_number in range(1, problem.rounds + 1):
        load: Counter[int] = Counter()
        for p in result.placements:
            if p.round == round_number:
                load[p.workshop] += pupils[p.group]
        used, offered = sum(load.values()), sum(capacity.values())
        fullest = max((load[w] / capacity[w] for w in capacity), default=0)
        print(
            f"round {round_number}             {used:5d} / {offered} places ({used / offered:4.0%}), "
            f"{len(load)} workshops busy, fullest at {fullest:.0%}"
        )
    visits: Counter[int] = Counter(p.workshop for p in result.placements)
    counts = [visits[w] for w in usable_workshops(problem)]
    print(
        f"evenness            visits per workshop min {min(counts)} / mean {statistics.mean(counts):.2f} / "
        f"max {max(counts)}, stdev {statistics.pstdev(counts):.2f}"
    )
    shares = sorted(utilisation(problem, result.placements).values())
    print(
        f"                    share of a workshop's places used over the day: emptiest {shares[0]:.0%}, "
        f"median {statistics.median(shares):.0%}, fullest {shares[-1]:.0%} (spread {result.spread} points)"
    )
    together = defaultdict(set)
    for g in problem.groups:
        if g.together:
            together[g.together].add(
                frozenset((p.round, p.workshop) for p in result.placements if p.group == g.id)
            )
    print(
        f"kept together       {sum(len(s) == 1 for s in together.values())} / {len(together)} schools asked"
    )
    for reason in result.reasons:
        print(f"why short           {reason}")
    if broken:
        for line in broken[:10]:
            print(f"VIOLATION           {line}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--schools", type=int, default=60)
    parser.add_argument("--groups-per-school", type=int, default=2)
    parser.add_argument("--workshops", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--per-group", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=TARGET_SECONDS)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--together", type=float, default=0.15)
    parser.add_argument("--late-change", action="store_true")
    args = parser.parse_args()
    problem = instance(args)
    pupils = sum(g.pupils for g in problem.groups)
    places = sum(w.capacity for w in problem.workshops) * problem.rounds
    print(
        f"instance            {args.schools} schools, {len(problem.groups)} groups ({pupils} pupils), "
        f"{len(problem.workshops)} workshops, {problem.rounds} rounds, {problem.per_group} per group; "
        f"{problem.per_group * pupils} pupil-visits for {places} places; {args.workers} solver workers"
    )
    started = time.perf_counter()
    result = solve(problem, time_limit=args.time_limit, workers=args.workers, seed=args.seed)
    report(problem, result, f"first schedule ({time.perf_counter() - started:.2f} s including model build)")
    in_time = result.stats.get("complete_after", result.seconds) <= TARGET_SECONDS
    ok = result.complete and in_time and not violations(problem, result.placements)
    if args.late_change and result.placements:
        busiest = Counter(p.workshop for p in result.placements).most_common(1)[0][0]
        changed = replace(
            problem,
            workshops=tuple(w for w in problem.workshops if w.id != busiest),
            previous=tuple(p for p in result.placements if p.workshop != busiest),
        )
        dropped = sum(1 for p in result.placements if p.workshop == busiest)
        again = solve(changed, time_limit=args.time_limit, workers=args.workers, seed=args.seed)
        report(changed, again, f"late change: workshop {busiest} withdrawn ({dropped} visits had to move)")
        before: set[Placement] = set(changed.previous)
        print(f"moved               {len(before - set(again.placements))} other placements changed")
        ok = ok and again.complete
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
