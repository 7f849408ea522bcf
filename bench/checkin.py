"""Check-in throughput: POST /api/events/{id}/check-ins against a real server on PostgreSQL.

    .venv/bin/python bench/checkin.py [--n 500] [--concurrency 16] [--workers 2]

Creates a scratch database, migrates it, starts `dtz-events run --no-migrate --workers W`, seeds it through
the API (an organiser API key, organisations, N people, one published network meeting with all N
confirmed), waits until the confirmation emails have left the outbox (in embedded mode the web processes
work it off, and that work should not be measured), then checks in all N by their codes, typed as on the
ticket (`DTZ-ABCD-2345`), in random order over C keep-alive connections with the organiser's API key.
Prints check-ins/s and latency percentiles, then verifies in the database that every registration was
checked in exactly once: N answers `already_checked_in: false` for N different registrations, no errors,
N rows with checked_in_at set; a second scan of every code answers `already_checked_in: true` and leaves
the recorded times unchanged. The server is stopped and the database dropped at the end, also on failure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

from _support import (
    Connection,
    Deadline,
    Measured,
    ProcessTree,
    ScratchDatabase,
    Server,
    build_request,
    cpu_seconds,
    load_average,
    machine_busy_seconds,
    postgres_backends,
    run_async,
    run_cli,
    send_all,
    service_env,
)
from register import ADMIN_EMAIL, PASSWORD, World, seed

TARGET_RPS = 200.0
PENDING_MAIL = ("queued", "sending")


@dataclass
class Scan(Measured):
    """The answers to one pass over every code."""

    wall_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    first: list[int] = field(default_factory=list)  # registration ids answered already_checked_in: false
    again: list[int] = field(default_factory=list)  # ... answered already_checked_in: true
    error_samples: list[str] = field(default_factory=list)
    server_cpu_s: float = 0.0
    postgres_cpu_s: float = 0.0
    machine_cpu_s: float = 0.0
    client_cpu_s: float = 0.0


# ---------------------------------------------------------------- seeding


async def create_event(world: World, title: str, capacity: int) -> int:
    """A published network meeting that began an hour ago: the door is open."""
    api = world.api
    starts = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1)
    body = {
        "kind": "network_meeting",
        "title": title,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=3)).isoformat(),
        "capacity": capacity,
        "municipality": "Emmen",
        "venue": "Emmtec Industry & Business Park",
    }
    conn = Connection(api.host, api.port)
    try:
        event_id = int((await api.call(conn, "POST", "/api/events", body, expect=201))["id"])
        await api.call(conn, "POST", f"/api/events/{event_id}/publish")
    finally:
        await conn.close()
    return event_id


async def register_all(world: World, event_id: int, people: list[int]) -> None:
    """Everyone confirmed, in bulk (at most 500 per request)."""
    api = world.api
    conn = Connection(api.host, api.port)
    try:
        for start in range(0, len(people), 500):
            chunk = people[start : start + 500]
            rows = await api.call(
                conn, "POST", f"/api/events/{event_id}/registrations/bulk", {"person_ids": chunk}, expect=201
            )
            statuses = {r["status"] for r in rows}
            if statuses != {"confirmed"}:
                raise RuntimeError(f"expected every registration confirmed, got {statuses}")
    finally:
        await conn.close()


async def wait_for_mail(db: ScratchDatabase, patience: float) -> tuple[int, float]:
    """Wait until the outbox has nothing queued or sending; (rows left, seconds waited)."""
    sql = "SELECT count(*) AS n FROM outbox WHERE status = ANY($1::text[])"
    started = time.perf_counter()
    left = (await db.fetch(sql, list(PENDING_MAIL)))[0]["n"]
    while left and time.perf_counter() - started < patience:
        await asyncio.sleep(0.25)
        left = (await db.fetch(sql, list(PENDING_MAIL)))[0]["n"]
    return left, time.perf_counter() - started


async def codes(db: ScratchDatabase, event_id: int) -> dict[int, str]:
    rows = await db.fetch(
        "SELECT id, checkin_code FROM registration WHERE event = $1 AND status = 'confirmed'", event_id
    )
    return {r["id"]: r["checkin_code"] for r in rows}


def as_typed(code: str) -> str:
    """The code as printed on the ticket and in its QR code."""
    return f"DTZ-{code[:4]}-{code[4:]}"


def check_in_requests(
    server: Server, world: World, event_id: int, by_id: dict[int, str], seed: int
) -> list[bytes]:
    order = sorted(by_id)
    random.Random(seed).shuffle(order)
    path = f"/api/events/{event_id}/check-ins"
    return [
        build_request(
            "POST", path, server.host, world.api.headers, json.dumps({"code": as_typed(by_id[i])}).encode()
        )
        for i in order
    ]


# ---------------------------------------------------------------- load


async def drive(server: Server, requests: list[bytes], concurrency: int, database: str) -> Scan:
    """Send every request once over `concurrency` keep-alive connections, with the CPU each side used."""
    scan = Scan()

    def accept(status: int, body: bytes) -> bool:
        if status != 200:
            return False
        answer = json.loads(body)
        (scan.again if answer["already_checked_in"] else scan.first).append(answer["registration_id"])
        return True

    pids = ProcessTree(server.pid).pids()
    server_cpu = sum(cpu_seconds(p) for p in pids)
    postgres_cpu = sum(cpu_seconds(p) for p in postgres_backends(database))
    machine_cpu, client_cpu = machine_busy_seconds(), time.process_time()
    started = time.perf_counter()
    answers = await send_all(server, requests, concurrency, accept)
    scan.latencies_ms, scan.statuses, scan.error_samples = (
        answers.latencies_ms,
        answers.statuses,
        answers.error_samples,
    )
    scan.wall_s = time.perf_counter() - started
    scan.client_cpu_s = time.process_time() - client_cpu
    scan.machine_cpu_s = machine_busy_seconds() - machine_cpu
    scan.server_cpu_s = sum(cpu_seconds(p) for p in pids) - server_cpu
    scan.postgres_cpu_s = sum(cpu_seconds(p) for p in postgres_backends(database)) - postgres_cpu
    scan.latencies_ms.sort()
    return scan


# ---------------------------------------------------------------- checks


async def verify(db: ScratchDatabase, event_id: int, first: Scan, second: Scan, expected: int) -> list[str]:
    """Every registration checked in exactly once, and a second scan changed nothing."""
    problems = []
    if first.errors or second.errors:
        problems.append(f"{first.errors} errors in the first scan, {second.errors} in the second")
    if len(first.first) != expected or len(set(first.first)) != expected:
        problems.append(
            f"first scan: {len(first.first)} answers 'already_checked_in: false' "
            f"for {len(set(first.first))} registrations (expected {expected})"
        )
    if first.again:
        problems.append(f"first scan: {len(first.again)} answers 'already_checked_in: true'")
    if second.first or len(set(second.again)) != expected:
        problems.append(
            f"second scan: {len(second.first)} new check-ins, {len(set(second.again))} already checked in"
        )
    [row] = await db.fetch(
        "SELECT count(*) FILTER (WHERE checked_in_at IS NOT NULL) AS checked, count(*) AS n "
        "FROM registration WHERE event = $1 AND status = 'confirmed'",
        event_id,
    )
    if row["checked"] != expected or row["n"] != expected:
        problems.append(
            f"{row['checked']} of {row['n']} registrations have checked_in_at (expected {expected})"
        )
    if set(first.first) != set((await codes(db, event_id)).keys()):
        problems.append("the registrations answered are not the event's registrations")
    return problems


async def recorded_times(db: ScratchDatabase, event_id: int) -> dict[int, Any]:
    rows = await db.fetch("SELECT id, checked_in_at FROM registration WHERE event = $1", event_id)
    return {r["id"]: r["checked_in_at"] for r in rows}


# ---------------------------------------------------------------- report


def report(label: str, scan: Scan) -> None:
    statuses = ", ".join(
        f"{s or 'connection error'}: {n}" for s, n in sorted(scan.statuses.items()) if s != 200
    )
    print(f"\n{label}: {scan.requests} check-ins")
    print(f"  wall time      {scan.wall_s:8.2f} s")
    print(f"  check-ins/s    {scan.rps:8.1f}")
    p50, p95, p99, top = scan.p(50), scan.p(95), scan.p(99), scan.latencies_ms[-1]
    print(f"  latency ms     p50 {p50:.1f}   p95 {p95:.1f}   p99 {p99:.1f}   max {top:.1f}")
    print(f"  errors         {scan.errors} (non-200){'  ' + statuses if statuses else ''}")
    for sample in scan.error_samples:
        print(f"                 e.g. {sample}")
    print(f"  answers        {len(scan.first)} first check-ins, {len(scan.again)} already checked in")
    per = 1000 / scan.requests if scan.requests else 0.0
    other = scan.machine_cpu_s - scan.server_cpu_s - scan.postgres_cpu_s - scan.client_cpu_s
    shares = [
        ("server", scan.server_cpu_s),
        ("PostgreSQL", scan.postgres_cpu_s),
        ("client", scan.client_cpu_s),
        ("other", other),
    ]
    print("  CPU s (ms/req) " + "   ".join(f"{name} {s:.1f} ({s * per:.2f})" for name, s in shares))
    print(f"  machine busy   {scan.machine_cpu_s / scan.wall_s:.2f} of {os.cpu_count()} cores")


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500, help="confirmed registrations to check in")
    parser.add_argument("--concurrency", type=int, default=16, help="connections checking in at once")
    parser.add_argument("--workers", type=int, default=2, help="web processes of the server")
    parser.add_argument("--organisations", type=int, default=8, help="partner organisations of the people")
    parser.add_argument(
        "--warmup", type=int, default=100, help="unmeasured check-ins on a warm-up event first"
    )
    parser.add_argument("--drain-timeout", type=float, default=120, help="longest wait for the mail outbox")
    parser.add_argument("--timeout", type=float, default=420, help="abort the whole run after this many s")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument(
        "--database", default="dtz_bench_checkin", help="scratch database, dropped and recreated"
    )
    parser.add_argument("--server-log", type=Path, help="keep the server's output here (default: discard)")
    args = parser.parse_args(argv)
    if args.n < 1 or args.concurrency < 1 or args.organisations < 3 or args.warmup < 0:
        parser.error("--n and --concurrency must be positive, --organisations at least 3")
    return args


def _terminate(signum: int, frame: Any) -> NoReturn:
    raise KeyboardInterrupt(f"signal {signum}")


async def measure(
    args: argparse.Namespace, server: Server, db: ScratchDatabase
) -> tuple[Scan, Scan, list[str]]:
    started = time.perf_counter()
    world = await seed(server, max(args.n, args.warmup), args.organisations)
    if args.warmup:
        warm_event = await create_event(world, "Warming-up", args.warmup)
        await register_all(world, warm_event, world.people[: args.warmup])
    event_id = await create_event(world, "Netwerkbijeenkomst Smart Industry", args.n + 10)
    await register_all(world, event_id, world.people[: args.n])
    left, waited = await wait_for_mail(db, args.drain_timeout)
    print(
        f"seeded {len(world.people)} people and {args.n} confirmed registrations in "
        f"{time.perf_counter() - started:.1f} s; outbox drained in {waited:.1f} s ({left} left)",
        flush=True,
    )
    if args.warmup:
        warm_codes = await codes(db, warm_event)
        await drive(
            server,
            check_in_requests(server, world, warm_event, warm_codes, 0),
            args.concurrency,
            args.database,
        )
    by_id = await codes(db, event_id)
    first = await drive(
        server, check_in_requests(server, world, event_id, by_id, 1), args.concurrency, args.database
    )
    times = await recorded_times(db, event_id)
    second = await drive(
        server, check_in_requests(server, world, event_id, by_id, 2), args.concurrency, args.database
    )
    problems = await verify(db, event_id, first, second, args.n)
    if await recorded_times(db, event_id) != times:
        problems.append("the second scan changed recorded check-in times")
    return first, second, problems


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    deadline = Deadline(args.timeout)
    db = ScratchDatabase(args.admin_url, args.database)
    env = service_env(db.url)
    server: Server | None = None
    print(
        f"dtz-events check-in benchmark: n={args.n}, concurrency {args.concurrency}, {args.workers} workers"
    )
    print(f"load average {load_average()} at start, {os.cpu_count()} cores", flush=True)
    with tempfile.TemporaryDirectory(prefix="dtz-bench-") as tmp:
        try:
            db.create(timeout=deadline.remaining(30))
            run_cli(["migrate"], env, timeout=deadline.remaining(120))
            admin = ["--email", ADMIN_EMAIL, "--name", "Beheer", "--role", "admin", "--password", PASSWORD]
            run_cli(["create-user", *admin], env, timeout=deadline.remaining(60))
            log = args.server_log or Path(tmp) / "server.log"
            server = Server.start(env, args.workers, log, timeout=deadline.remaining(60))
            first, second, problems = run_async(
                asyncio.wait_for(measure(args, server, db), deadline.remaining())
            )
            errors_logged = server.log_errors()
            server.stop()
            report(f"check-in at concurrency {args.concurrency}", first)
            report("second scan of every code (all already checked in)", second)
            print(f"\nload average   {load_average()} after")
            print(f"server log     {len(errors_logged)} ERROR records")
            for line in errors_logged[:1]:
                print(f"                 first: {line[:160]}")
            once = "; ".join(problems) if problems else f"ok ({args.n} of {args.n} recorded once)"
            print(f"exactly once   {once}")
            met = first.rps >= TARGET_RPS and first.errors == 0 and not problems
            goal = f">= {TARGET_RPS:.0f} check-ins/s at concurrency {args.concurrency}, each recorded once"
            outcome = f"{first.rps:.1f} check-ins/s, p99 {first.p(99):.1f} ms"
            print(f"\ntarget: {goal}: {'MET' if met else 'MISSED'} ({outcome})")
            return 0 if met else 1
        except TimeoutError:
            print(f"aborted: the run took longer than --timeout {args.timeout:.0f} s", file=sys.stderr)
            return 2
        except KeyboardInterrupt as exc:
            print(f"aborted: {exc or 'interrupted'}", file=sys.stderr)
            return 2
        finally:
            if server is not None:
                server.stop()
            db.drop()


if __name__ == "__main__":
    sys.exit(main())
