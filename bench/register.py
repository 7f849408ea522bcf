"""Registration throughput: POST /api/events/{id}/registrations against a real server on PostgreSQL.

    .venv/bin/python bench/register.py [--n 5000] [--concurrency 8 32] [--workers 2]

Creates a scratch database, migrates it, starts `dtz-events run --no-migrate --workers W`, seeds it through
the API (an organiser API key, organisations, N people, events of a fixed capacity with two partner quotas),
then for every concurrency level sends N registrations of those N people to a fresh set of events, each
person once, in random order. Every event gets more registrations than seats, so the answers mix confirmed
and wait-listed. Prints throughput, latency percentiles, errors, the server's peak RSS and where the CPU
went. Mail the registrations queue (the outbox, worked off inside the web processes in embedded mode) is
waited for after each level, so that one level's backlog does not slow the next. The server is stopped and
the database dropped at the end, also on failure or timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, NoReturn

from _support import (
    Api,
    Connection,
    Deadline,
    Measured,
    RssSampler,
    ScratchDatabase,
    Server,
    build_request,
    cpu_seconds,
    hwm_kib,
    load_average,
    machine_busy_seconds,
    postgres_backends,
    run_async,
    run_cli,
    send_all,
    service_env,
)

TARGET_CONCURRENCY = 8
TARGET_RPS = 250.0
TARGET_P99_MS = 100.0
ADMIN_EMAIL = "beheer@dutchtechzone.nl"
ORGANISER_EMAIL = "organisator@dutchtechzone.nl"
PASSWORD = "benchmark-password-1234"
MUNICIPALITIES = ["Emmen", "Coevorden", "Hoogeveen", "Assen", "Meppel", "Borger-Odoorn"]
PENDING_MAIL = ("queued", "sending")


@dataclass
class World:
    api: Api
    organisations: list[int]
    people: list[int]
    quota_holders: list[int]


@dataclass
class MailDrain:
    """The outbox after a level: how much was left to do when the last answer came, and how long it took."""

    backlog: int
    seconds: float
    left: int
    server_cpu_s: float
    statuses: dict[str, int]


@dataclass
class PhaseResult(Measured):
    success_status: ClassVar[int] = 201
    concurrency: int
    events: list[int]
    quota_holders: list[int]
    wall_s: float
    latencies_ms: list[float]
    statuses: dict[int, int]
    confirmed: int
    waitlisted: int
    error_samples: list[str]
    client_cpu_s: float
    server_cpu_s: float
    postgres_cpu_s: float
    machine_cpu_s: float
    peak_rss_kib: int
    load_after: str
    checks: list[str] = field(default_factory=list)
    mail: MailDrain | None = None


# ---------------------------------------------------------------- seeding


async def login_and_key(server: Server, email: str) -> str:
    """Log in with the password (session cookie) and create an API key with that session."""
    import httpx

    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        r = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        r.raise_for_status()
        await client.get("/login")  # the CSRF cookie: a session's API calls carry its token
        client.headers["x-csrftoken"] = client.cookies.get("dtz_csrf") or ""
        r = await client.post("/api/api-keys", json={"name": "benchmark"})
        r.raise_for_status()
        return str(r.json()["key"])


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def at(days: int, hour: int) -> str:
    moment = datetime.now(UTC) + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0).isoformat()


async def seed(server: Server, n_people: int, n_organisations: int) -> World:
    """The admin (made by `dtz-events create-user`) adds an organiser; the organiser's key seeds the rest."""
    admin = Api(server.host, server.port, bearer(await login_and_key(server, ADMIN_EMAIL)))
    conn = Connection(server.host, server.port)
    try:
        organiser = {
            "email": ORGANISER_EMAIL,
            "name": "Organisator",
            "role": "organiser",
            "password": PASSWORD,
        }
        await admin.call(conn, "POST", "/api/accounts", organiser, expect=201)
        api = Api(server.host, server.port, bearer(await login_and_key(server, ORGANISER_EMAIL)))
        organisations = []
        for i in range(n_organisations):
            body = {
                "name": f"Benchmark Partner {i + 1}",
                "kind": ["company", "school", "municipality", "knowledge_institution"][i % 4],
                "municipality": MUNICIPALITIES[i % len(MUNICIPALITIES)],
            }
            organisations.append((await api.call(conn, "POST", "/api/organisations", body, expect=201))["id"])
    finally:
        await conn.close()

    async def person(c: Connection, i: int) -> int:
        body = {
            "name": f"Deelnemer {i}",
            "email": f"deelnemer.{i}@partner{i % n_organisations}.example",
            "organisation_id": organisations[i % n_organisations],
        }
        return int((await api.call(c, "POST", "/api/people", body, expect=201))["id"])

    people = await api.map(person, range(n_people), concurrency=8)
    return World(api=api, organisations=organisations, people=people, quota_holders=organisations[:2])


async def create_events(world: World, label: str, count: int, capacity: int, quota: int) -> list[int]:
    """Published network meetings of `capacity` seats, `quota` of them reserved for each of two partners."""
    api, ids = world.api, []
    conn = Connection(api.host, api.port)
    try:
        for i in range(count):
            body = {
                "kind": "network_meeting",
                "title": f"Netwerkbijeenkomst {label} #{i + 1}",
                "starts_at": at(30 + i, 15),
                "ends_at": at(30 + i, 18),
                "capacity": capacity,
                "municipality": MUNICIPALITIES[i % len(MUNICIPALITIES)],
            }
            event_id = (await api.call(conn, "POST", "/api/events", body, expect=201))["id"]
            await api.call(conn, "POST", f"/api/events/{event_id}/publish")
            for organisation_id in world.quota_holders:
                await api.call(
                    conn, "PUT", f"/api/events/{event_id}/quotas/{organisation_id}", {"seats": quota}
                )
            ids.append(event_id)
    finally:
        await conn.close()
    return ids


# ---------------------------------------------------------------- load


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    confirmed: int = 0
    waitlisted: int = 0
    error_samples: list[str] = field(default_factory=list)


async def drive(server: Server, requests: list[bytes], concurrency: int) -> Tally:
    tally = Tally()

    def accept(status: int, body: bytes) -> bool:
        if status != 201:
            return False
        if b'"status":"confirmed"' in body:
            tally.confirmed += 1
        elif b'"status":"waitlisted"' in body:
            tally.waitlisted += 1
        return True

    answers = await send_all(server, requests, concurrency, accept)
    tally.latencies_ms, tally.statuses, tally.error_samples = (
        answers.latencies_ms,
        answers.statuses,
        answers.error_samples,
    )
    return tally


def registration_requests(world: World, server: Server, events: list[int], seed: int) -> list[bytes]:
    """Every person once, in a random (but repeatable) order, taking turns over `events`: each event gets
    people of every organisation."""
    people = list(world.people)
    random.Random(seed).shuffle(people)
    return [
        build_request(
            "POST",
            f"/api/events/{events[i % len(events)]}/registrations",
            server.host,
            world.api.headers,
            f'{{"person_id":{person_id}}}'.encode(),
        )
        for i, person_id in enumerate(people)
    ]


async def phase(
    server: Server,
    sampler: RssSampler,
    world: World,
    events: list[int],
    concurrency: int,
    seed: int,
    database: str,
) -> PhaseResult:
    requests = registration_requests(world, server, events, seed)
    pids = sampler.pids()
    server_cpu = sum(cpu_seconds(p) for p in pids)
    postgres_cpu = sum(cpu_seconds(p) for p in postgres_backends(database))
    machine_cpu = machine_busy_seconds()
    client_cpu = time.process_time()
    sampler.reset()
    started = time.perf_counter()
    tally = await drive(server, requests, concurrency)
    wall = time.perf_counter() - started
    client_cpu = time.process_time() - client_cpu
    tally.latencies_ms.sort()
    return PhaseResult(
        concurrency=concurrency,
        events=events,
        quota_holders=world.quota_holders,
        wall_s=wall,
        latencies_ms=tally.latencies_ms,
        statuses=tally.statuses,
        confirmed=tally.confirmed,
        waitlisted=tally.waitlisted,
        error_samples=tally.error_samples,
        client_cpu_s=client_cpu,
        server_cpu_s=sum(cpu_seconds(p) for p in pids) - server_cpu,
        # Backends opened during the level count in full; pooled ones are not closed in so short a time.
        postgres_cpu_s=sum(cpu_seconds(p) for p in postgres_backends(database)) - postgres_cpu,
        machine_cpu_s=machine_busy_seconds() - machine_cpu,
        peak_rss_kib=sampler.peak_kib,
        load_after=load_average(),
    )


# ---------------------------------------------------------------- after a level


async def check_seats(db: ScratchDatabase, result: PhaseResult, capacity: int, quota: int) -> None:
    """The point of the lock: no event over capacity, no partner over its quota, every 201 stored once."""
    rows = await db.fetch(
        "SELECT event, organisation, count(*) FILTER (WHERE status = 'confirmed') AS confirmed, "
        "count(*) AS n FROM registration WHERE event = ANY($1::int[]) GROUP BY event, organisation",
        result.events,
    )
    per_event: dict[int, int] = {}
    for row in rows:
        per_event[row["event"]] = per_event.get(row["event"], 0) + row["confirmed"]
        if row["organisation"] in result.quota_holders and row["confirmed"] > quota:
            result.checks.append(f"event {row['event']}: partner {row['organisation']} over its quota")
    result.checks += [
        f"event {e}: {n} confirmed > capacity {capacity}" for e, n in per_event.items() if n > capacity
    ]
    stored, answered = sum(row["n"] for row in rows), result.requests - result.errors
    if stored != answered:
        result.checks.append(f"{stored} registrations stored for {answered} answers 201")


async def drain_mail(
    db: ScratchDatabase, sampler: RssSampler, events: list[int], patience: float
) -> MailDrain | None:
    """Wait until the outbox has no queued or sending rows (None when this schema has no outbox)."""
    if not (await db.fetch("SELECT to_regclass('outbox') IS NOT NULL AS present"))[0]["present"]:
        return None
    pending_sql = "SELECT count(*) AS n FROM outbox WHERE status = ANY($1::text[])"
    pids = sampler.pids()
    cpu, started = sum(cpu_seconds(p) for p in pids), time.perf_counter()
    backlog = left = (await db.fetch(pending_sql, list(PENDING_MAIL)))[0]["n"]
    while left and time.perf_counter() - started < patience:
        await asyncio.sleep(0.25)
        left = (await db.fetch(pending_sql, list(PENDING_MAIL)))[0]["n"]
    seconds = time.perf_counter() - started if backlog else 0.0
    rows = await db.fetch(
        "SELECT status, count(*) AS n FROM outbox WHERE event = ANY($1::int[]) GROUP BY status", events
    )
    return MailDrain(
        backlog=backlog,
        seconds=seconds,
        left=left,
        server_cpu_s=sum(cpu_seconds(p) for p in pids) - cpu,
        statuses={row["status"]: row["n"] for row in rows},
    )


# ---------------------------------------------------------------- report


def report(result: PhaseResult, workers: int) -> None:
    r = result
    outcome = f"{r.confirmed} confirmed, {r.waitlisted} wait-listed"
    unsorted = r.requests - r.errors - r.confirmed - r.waitlisted
    if unsorted:
        outcome += f", {unsorted} other"
    statuses = ", ".join(f"{s or 'connection error'}: {n}" for s, n in sorted(r.statuses.items()) if s != 201)
    per_req = 1000 / r.requests if r.requests else 0.0
    print(f"\nconcurrency {r.concurrency}: {r.requests} registrations on {len(r.events)} events")
    print(f"  wall time      {r.wall_s:8.2f} s")
    print(f"  requests/s     {r.rps:8.1f}")
    p50, p95, p99, top = r.p(50), r.p(95), r.p(99), r.latencies_ms[-1]
    print(f"  latency ms     p50 {p50:.1f}   p95 {p95:.1f}   p99 {p99:.1f}   max {top:.1f}")
    print(f"  errors         {r.errors} (non-201){'  ' + statuses if statuses else ''}")
    for sample in r.error_samples:
        print(f"                 e.g. {sample}")
    print(f"  outcome        {outcome}")
    peak = r.peak_rss_kib / 1024
    print(f"  server RSS     peak {peak:.1f} MiB (uvicorn parent + {workers} workers, sampled every 100 ms)")
    other = r.machine_cpu_s - r.server_cpu_s - r.client_cpu_s - r.postgres_cpu_s
    shares = [
        ("server", r.server_cpu_s),
        ("PostgreSQL", r.postgres_cpu_s),
        ("client", r.client_cpu_s),
        ("other processes", other),
    ]
    print("  CPU s (ms/req) " + "   ".join(f"{name} {s:.1f} ({s * per_req:.2f})" for name, s in shares))
    print(f"  machine busy   {r.machine_cpu_s / r.wall_s:.2f} of {os.cpu_count()} cores")
    print(f"  load average   {r.load_after} after")
    print(f"  seat check     {'; '.join(r.checks) if r.checks else 'ok (capacity and quotas held)'}")
    if r.mail is not None:
        m = r.mail
        done = "drained" if not m.left else f"NOT drained ({m.left} left)"
        states = ", ".join(f"{n} {status}" for status, n in sorted(m.statuses.items()))
        print(
            f"  mail outbox    {m.backlog} pending at the last answer, {done} in {m.seconds:.1f} s "
            f"(server CPU {m.server_cpu_s:.1f} s); this level's mail: {states or 'none'}"
        )
        if m.seconds:
            sustained = r.requests / (r.wall_s + m.seconds)
            print(f"  sustained      {sustained:.1f} registrations/s including their mail")


def target_line(results: list[PhaseResult]) -> bool:
    at_target = next((r for r in results if r.concurrency == TARGET_CONCURRENCY), None)
    goal = (
        f">= {TARGET_RPS:.0f} registrations/s and p99 <= {TARGET_P99_MS:.0f} ms "
        f"at concurrency {TARGET_CONCURRENCY}"
    )
    if at_target is None:
        print(f"\ntarget: {goal}: not measured")
        return False
    met = at_target.rps >= TARGET_RPS and at_target.p(99) <= TARGET_P99_MS and at_target.errors == 0
    print(
        f"\ntarget: {goal}: {'MET' if met else 'MISSED'} "
        f"({at_target.rps:.1f} registrations/s, p99 {at_target.p(99):.1f} ms, {at_target.errors} errors)"
    )
    return met


def report_log(server: Server, end_of_run: int) -> None:
    during, shutdown = server.log_errors(0, end_of_run), server.log_errors(end_of_run)
    print(f"\nserver log     {len(during)} ERROR records during the run, {len(shutdown)} at shutdown")
    for line in (during or shutdown)[:1]:
        print(f"                 first: {line[:160]}")


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--n", type=int, default=5000, help="registrations per concurrency level (= people)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 32], help="levels to measure")
    parser.add_argument("--workers", type=int, default=2, help="web processes of the server")
    parser.add_argument("--events", type=int, default=4, help="fresh events per concurrency level")
    parser.add_argument("--capacity", type=int, default=1000, help="seats per event")
    parser.add_argument("--quota", type=int, default=100, help="seats reserved for each of two partners")
    parser.add_argument("--organisations", type=int, default=8, help="partner organisations of the people")
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured registrations first")
    parser.add_argument("--drain-timeout", type=float, default=120, help="longest wait for the mail outbox")
    parser.add_argument("--timeout", type=float, default=420, help="abort the whole run after this many s")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="dtz_bench", help="scratch database, dropped and recreated")
    parser.add_argument("--server-log", type=Path, help="keep the server's output here (default: discard)")
    parser.add_argument(
        "--broker",
        default="redis://127.0.0.1:6379/14",
        help="production set-up: web processes hand mail to this broker (no worker runs during the "
        "measurement, as workers run elsewhere); '' for the embedded mode, where the web processes send it",
    )
    args = parser.parse_args(argv)
    if args.n < 1 or args.events < 1 or min(args.concurrency) < 1 or args.organisations < 3:
        parser.error("--n, --events and --concurrency must be positive, --organisations at least 3")
    return args


def flush_broker(url: str) -> None:
    """Drop the messages the run left for workers that never came."""
    if url.startswith("redis://"):
        import redis

        redis.Redis.from_url(url).flushdb()


def _terminate(signum: int, frame: Any) -> NoReturn:
    raise KeyboardInterrupt(f"signal {signum}")


async def measure(
    args: argparse.Namespace, server: Server, sampler: RssSampler, db: ScratchDatabase
) -> list[PhaseResult]:
    started = time.perf_counter()
    world = await seed(server, args.n, args.organisations)
    print(
        f"seeded {len(world.people)} people in {len(world.organisations)} organisations "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    if args.warmup:
        (warm_event,) = await create_events(world, "warm-up", 1, args.capacity, args.quota)
        warm = registration_requests(world, server, [warm_event], seed=0)[: args.warmup]
        await drive(server, warm, TARGET_CONCURRENCY)
        if not args.broker:
            await drain_mail(db, sampler, [warm_event], args.drain_timeout)
    results = []
    for level, concurrency in enumerate(args.concurrency, start=1):
        events = await create_events(world, f"c{concurrency}", args.events, args.capacity, args.quota)
        result = await phase(server, sampler, world, events, concurrency, level, args.database)
        print(f"  concurrency {concurrency}: {result.rps:.1f} requests/s", flush=True)
        if not args.broker:  # embedded mode: the web processes send the mail; wait for it
            result.mail = await drain_mail(db, sampler, events, args.drain_timeout)
        await check_seats(db, result, args.capacity, args.quota)
        results.append(result)
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    deadline = Deadline(args.timeout)
    db = ScratchDatabase(args.admin_url, args.database)
    env = service_env(db.url, **({"DTZ_BROKER_URL": args.broker} if args.broker else {}))
    server: Server | None = None
    levels = " ".join(str(c) for c in args.concurrency)
    print(f"dtz-events registration benchmark: n={args.n}, concurrency {levels}, {args.workers} workers")
    print(f"load average {load_average()} at start, {os.cpu_count()} cores", flush=True)
    with tempfile.TemporaryDirectory(prefix="dtz-bench-") as tmp:
        try:
            db.create(timeout=deadline.remaining(30))
            run_cli(["migrate"], env, timeout=deadline.remaining(120))
            admin = ["--email", ADMIN_EMAIL, "--name", "Beheer", "--role", "admin", "--password", PASSWORD]
            run_cli(["create-user", *admin], env, timeout=deadline.remaining(60))
            log = args.server_log or Path(tmp) / "server.log"
            server = Server.start(env, args.workers, log, timeout=deadline.remaining(60))
            with RssSampler(server.pid) as sampler:
                results = run_async(
                    asyncio.wait_for(measure(args, server, sampler, db), deadline.remaining())
                )
                hwm = sum(hwm_kib(p) for p in sampler.pids())
            end_of_run = server.log_size()
            server.stop()
            for result in results:
                report(result, args.workers)
            print(f"\nserver VmHWM   {hwm / 1024:.1f} MiB (sum of the kernel's per-process peaks, whole run)")
            report_log(server, end_of_run)
            target_line(results)
            return 0
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
            if args.broker:
                flush_broker(args.broker)


if __name__ == "__main__":
    sys.exit(main())
