"""Meeting scheduler: how many accepted requests fit, against an upper bound, and how fast.

    .venv/bin/python bench/matchmaking.py [--people 1000] [--requests 6000] [--slots 16] [--tables 150]
                                          [--partly 0.2] [--time-limit 25] [--workers 2] [--seed 1]
    .venv/bin/python bench/matchmaking.py --small      # 200 people, 1,200 requests, 16 slots, 30 tables, 3 s

Builds a random instance (people with 1-3 priorities on their requests, a share of them free in only part
of the window: one contiguous stretch of 40-80 % of the slots), schedules it with the solver the app uses
(`dtz_events.matchmaking.solver.solve`: CP-SAT with a time limit, starting from a greedy hint), and prints:
meetings scheduled, the upper bound and how it is computed, the ratio, the weighted ratio (priority
weights), idle gaps, moves, the solve time, and what a first-free-slot greedy schedule (requests in arrival
order) reaches on the same instance. Every schedule is checked for broken rules.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from dtz_events.matchmaking.solver import (
    Instance,
    Request,
    greedy,
    idle_gaps,
    solve,
    upper_bound,
    violations,
    weight,
)


def build(people: int, requests: int, slots: int, tables: int, partly: float, seed: int) -> Instance:
    rng = random.Random(seed)
    available: dict[int, frozenset[int]] = {}
    for person in range(1, people + 1):
        if rng.random() < partly:
            length = rng.randint(int(slots * 0.4), int(slots * 0.8))
            first = rng.randint(0, slots - length)
            available[person] = frozenset(range(first, first + length))
    pairs: set[tuple[int, int]] = set()
    chosen: list[Request] = []
    while len(chosen) < requests:
        a, b = rng.sample(range(1, people + 1), 2)
        key = (min(a, b), max(a, b))
        if key in pairs:
            continue
        pairs.add(key)
        priority = rng.choices((1, 2, 3), weights=(0.5, 0.3, 0.2))[0]
        chosen.append(Request(id=len(chosen) + 1, a=a, b=b, priority=priority))
    return Instance(slots=slots, tables=(tables,) * slots, requests=tuple(chosen), available=available)


def weighted(instance: Instance, placements: dict[int, object]) -> int:
    return sum(weight(r) for r in instance.requests if r.id in placements)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--slots", type=int, default=16)
    parser.add_argument("--tables", type=int, default=150)
    parser.add_argument("--partly", type=float, default=0.2)
    parser.add_argument("--time-limit", type=float, default=28.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--small", action="store_true", help="200 people, 1200 requests, 30 tables, 3 s")
    args = parser.parse_args()
    if args.small:
        args.people, args.requests, args.tables, args.time_limit = 200, 1200, 30, 2.7

    instance = build(args.people, args.requests, args.slots, args.tables, args.partly, args.seed)
    bound = upper_bound(instance)
    print(
        f"instance: {args.people} people, {len(instance.requests)} accepted requests, {args.slots} slots, "
        f"{args.tables} tables, {len(instance.available)} partly available; seed {args.seed}; "
        f"{os.cpu_count()} CPUs, CP-SAT workers {args.workers}, time limit {args.time_limit:g} s"
    )
    print(f"upper bound: {bound.meetings} meetings, weight {bound.weight}")
    print(f"  computed as {bound.how}; weight: the heaviest {bound.meetings} placeable requests")

    import ortools.sat.python.cp_model  # noqa: F401  (loaded once per process, as in a running server)

    started = time.perf_counter()
    schedule = solve(instance, time_limit=args.time_limit, workers=args.workers)
    wall = time.perf_counter() - started
    broken = violations(instance, schedule.placements)
    count, total = len(schedule.placements), weighted(instance, schedule.placements)
    print(f"solver ({schedule.method}): {count} meetings scheduled")
    print(f"  ratio {count / bound.meetings:.4f}, weighted ratio {total / bound.weight:.4f}")
    print(f"  idle gaps {idle_gaps(instance, schedule.placements)} person-slots")
    print(
        f"  solve time {wall:.2f} s (wall: greedy hint, model building and search, all within the time "
        f"limit); broken rules: {len(broken)}"
    )

    started = time.perf_counter()
    first_free = greedy(instance)
    greedy_s = time.perf_counter() - started
    broken_greedy = violations(instance, first_free)
    g_count, g_total = len(first_free), weighted(instance, first_free)
    print(f"first-free-slot greedy (arrival order): {g_count} meetings")
    print(f"  ratio {g_count / bound.meetings:.4f}, weighted ratio {g_total / bound.weight:.4f}")
    print(
        f"  idle gaps {idle_gaps(instance, first_free)} person-slots; {greedy_s:.2f} s; broken rules: "
        f"{len(broken_greedy)}"
    )
    if broken or broken_greedy:
        print("BROKEN:", (broken + broken_greedy)[:10])
        raise SystemExit(1)


if __name__ == "__main__":
    main()
