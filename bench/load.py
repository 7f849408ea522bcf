"""Load: 100 concurrent clients for 60 s with a realistic mix, against the production set-up.

    .venv/bin/python bench/load.py [--clients 100] [--seconds 60] [--web 2] [--worker-processes 2]

Creates a scratch PostgreSQL database, migrates it, starts a private Redis (a free port, no persistence), an
SMTP sink, `dtz-events run --workers W` (the web processes), `dtz-events worker --processes P` and one
`dtz-events scheduler`, as the Procfile does. Seeds through the API (partners with coordinator accounts, 600
people, published events) and in the database (RSVP, survey and feed links, as the emails would carry, and a
past event's survey invitations). Then every client loops for the given time over this mix, pausing between
requests as a person does (`--think`, mean 1 s, exponential; `--think 0` measures saturation instead).
Clients arrive over time, each after such a pause; `--together` starts them all in the same moment against
fresh processes (a worst case, reported apart). The mix:

    30 %  list events           GET  /api/events                (a partner coordinator's API key)
    10 %  public programme      GET  /api/events                (anonymous)
    15 %  register              POST /api/events/{id}/registrations   (a coordinator, its own people)
    15 %  RSVP                  GET  /rsvp/{token}, then POST the answer (a browser: CSRF cookie and field)
    10 %  survey                GET  /survey/{token}, then POST the answers
    20 %  calendar feed         GET  /feeds/{token}

Prints throughput, p50/p99 (all requests and per kind), errors, and the peak RSS (VmHWM) of every process.
Rate limits are off (every client comes from 127.0.0.1, which a real deployment would not see). Target: 0
errors, p99 <= 250 ms. Everything it started is stopped, and the database dropped, also on failure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from _support import (
    Api,
    Connection,
    Deadline,
    ProcessTree,
    ScratchDatabase,
    Server,
    build_request,
    free_port,
    hwm_kib,
    load_average,
    percentile,
    run_async,
    run_cli,
    service_env,
)
from fanout import Sink, Workers

ADMIN_EMAIL = "beheer@dutchtechzone.nl"
ORGANISER_EMAIL = "organisator@dutchtechzone.nl"
PASSWORD = "benchmark-password-1234"
TARGET_P99_MS = 250.0
MIX = {"list": 30, "public": 10, "register": 15, "rsvp": 15, "survey": 10, "feed": 20}
PARTNERS = [
    ("Emmtec Industry & Business Park", "company", "Emmen"),
    ("Drenthe College", "school", "Emmen"),
    ("NHL Stenden Emmen", "knowledge_institution", "Emmen"),
    ("Gemeente Coevorden", "municipality", "Coevorden"),
    ("Hoogeveen Metaal BV", "company", "Hoogeveen"),
    ("Gemeente Emmen", "municipality", "Emmen"),
]
ANSWERS = {"rating": "4", "nps": "8", "text": "Goed georganiseerd, nuttige contacten."}


# ---------------------------------------------------------------- a browser-like connection


class PageConnection(Connection):
    """A keep-alive connection that also keeps the response head (for the CSRF cookie)."""

    async def request_with_head(self, raw: bytes) -> tuple[int, bytes, bytes]:
        if self._writer is None or self._writer.is_closing():
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._reader, self._writer
        assert reader is not None
        writer.write(raw)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lower = head.lower()
        at = lower.find(b"\r\ncontent-length:")
        if at >= 0:
            end = lower.index(b"\r\n", at + 2)
            body = await reader.readexactly(int(lower[at + 17 : end]))
        elif b"\r\ntransfer-encoding: chunked" in lower:
            body = await self._read_chunked(reader)
        else:
            body = b""
        if b"\r\nconnection: close" in lower:
            await self.close()
        return status, head, body


_CSRF_COOKIE = re.compile(rb"set-cookie: (dtz_csrf=[^;\r\n]+)", re.IGNORECASE)
_CSRF_FIELD = re.compile(rb'name="_csrf_token" value="([^"]+)"')


def form_request(path: str, host: str, fields: list[tuple[str, str]], head: bytes, page: bytes) -> bytes:
    """The POST a browser makes from the page it got: the form's fields, its CSRF field and cookie."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    cookie = _CSRF_COOKIE.search(head)
    if cookie:
        headers["Cookie"] = cookie.group(1).decode()
    token = _CSRF_FIELD.search(page)
    if token:
        fields = [*fields, ("_csrf_token", token.group(1).decode())]
    payload = urlencode(fields).encode()
    headers["Content-Length"] = str(len(payload))
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload


# ---------------------------------------------------------------- seeding


@dataclass
class World:
    partner_keys: list[dict[str, str]]  # per partner organisation
    events: list[int]
    free_pairs: dict[int, list[tuple[int, int]]]  # partner index -> (event, person) not yet registered
    rsvp_tokens: list[str]
    survey_tokens: list[str]
    survey_form: list[tuple[str, str]]
    feed_tokens: list[str]


async def login_and_key(url: str, email: str) -> str:
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        r = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        r.raise_for_status()
        await client.get("/login")  # the CSRF cookie: a session's API calls carry its token
        client.headers["x-csrftoken"] = client.cookies.get("dtz_csrf") or ""
        r = await client.post("/api/api-keys", json={"name": "load"})
        r.raise_for_status()
        return str(r.json()["key"])


def at(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0).isoformat()


async def seed(server: Server, database_url: str, people_per_partner: int, n_events: int) -> World:
    admin = Api(
        server.host, server.port, {"Authorization": f"Bearer {await login_and_key(server.url, ADMIN_EMAIL)}"}
    )
    conn = Connection(server.host, server.port)
    try:
        organiser = {
            "email": ORGANISER_EMAIL,
            "name": "Organisator",
            "role": "organiser",
            "password": PASSWORD,
        }
        await admin.call(conn, "POST", "/api/accounts", organiser, expect=201)
        key = await login_and_key(server.url, ORGANISER_EMAIL)
        api = Api(server.host, server.port, {"Authorization": f"Bearer {key}"})
        organisations, partner_keys = [], []
        for i, (name, kind, municipality) in enumerate(PARTNERS):
            body = {"name": name, "kind": kind, "municipality": municipality}
            org = (await api.call(conn, "POST", "/api/organisations", body, expect=201))["id"]
            organisations.append(org)
            email = f"coordinator{i}@partner{i}.example"
            account = {
                "email": email,
                "name": f"Coördinator {name}",
                "role": "partner_coordinator",
                "organisation_id": org,
                "password": PASSWORD,
            }
            await admin.call(conn, "POST", "/api/accounts", account, expect=201)
            partner_keys.append({"Authorization": f"Bearer {await login_and_key(server.url, email)}"})
        events = []
        for i in range(n_events + 1):  # the last one becomes the past event with the survey
            body = {
                "kind": "network_meeting" if i % 2 else "promotion_day",
                "title": f"{'Netwerkbijeenkomst' if i % 2 else 'Techniekdag'} Zuidoost-Drenthe #{i + 1}",
                "starts_at": at(20 + i),
                "ends_at": at(20 + i + 0.125),
                "capacity": 100_000,
                "visibility": "partners",
                "municipality": PARTNERS[i % len(PARTNERS)][2],
                "venue": PARTNERS[i % len(PARTNERS)][0],
            }
            event = (await api.call(conn, "POST", "/api/events", body, expect=201))["id"]
            await api.call(conn, "POST", f"/api/events/{event}/publish")
            events.append(event)
    finally:
        await conn.close()

    async def person(c: Connection, i: int) -> tuple[int, int]:
        org = i % len(organisations)
        body = {
            "name": f"Deelnemer {i}",
            "email": f"deelnemer.{i}@partner{org}.example",
            "organisation_id": organisations[org],
            "language": "nl" if i % 4 else "en",
        }
        return org, int((await api.call(c, "POST", "/api/people", body, expect=201))["id"])

    people = await api.map(person, range(people_per_partner * len(organisations)), concurrency=8)
    past_event, events = events[-1], events[:-1]
    # The first 150 people are registered on the first event (RSVP) and the past one (survey).
    registered = people[:150]

    async def register_on(c: Connection, item: tuple[int, int]) -> int:
        event, person_id = item
        r = await api.call(
            c, "POST", f"/api/events/{event}/registrations", {"person_id": person_id}, expect=201
        )
        return int(r["id"])

    rsvp_regs = await api.map(register_on, [(events[0], p) for _, p in registered], concurrency=8)
    survey_regs = await api.map(register_on, [(past_event, p) for _, p in registered], concurrency=8)
    survey = await api.call(Connection(server.host, server.port), "GET", f"/api/events/{past_event}/survey")
    tokens = await links_in_database(
        database_url, past_event, rsvp_regs, survey_regs, [p for _, p in registered]
    )
    free_pairs: dict[int, list[tuple[int, int]]] = {i: [] for i in range(len(organisations))}
    for org, person_id in people[150:]:
        free_pairs[org] += [(event, person_id) for event in events]
    for pairs in free_pairs.values():
        random.shuffle(pairs)
    return World(
        partner_keys=partner_keys,
        events=events,
        free_pairs=free_pairs,
        rsvp_tokens=tokens["rsvp"],
        survey_tokens=tokens["survey"],
        survey_form=survey_form(survey),
        feed_tokens=tokens["feed"],
    )


def survey_form(survey: dict[str, Any]) -> list[tuple[str, str]]:
    fields = []
    for question in survey["questions"]:
        kind, options = question["type"], question.get("options") or []
        if kind in ANSWERS:
            fields.append((question["id"], ANSWERS[kind]))
        elif kind in ("single_choice", "multiple_choice") and options:
            fields.append((question["id"], options[0]["id"]))
    return fields


async def links_in_database(
    database_url: str, past_event: int, rsvp_regs: list[int], survey_regs: list[int], people: list[int]
) -> dict[str, list[str]]:
    """The links the emails would carry, made as the service makes them; the past event's survey
    invitations as the scheduler would write them (the event is moved into the past first)."""
    os.environ["DTZ_DATABASE_URL"] = database_url
    from dtz_events.core import db
    from dtz_events.core.clock import utcnow
    from dtz_events.events.tables import Event
    from dtz_events.partners.tables import Person
    from dtz_events.registrations.links import LinkPurpose, create_link
    from dtz_events.registrations.tables import Registration
    from dtz_events.settings import Settings
    from dtz_events.surveys.tables import Survey, SurveyInvitation

    settings = Settings.from_env()
    await db.connect(settings)
    try:
        now = utcnow()
        await Event.update(
            {Event.starts_at: now - timedelta(hours=5), Event.ends_at: now - timedelta(hours=3)}
        ).where(Event.id == past_event)
        survey = await Survey.select(Survey.id).where(Survey.event == past_event).first()
        assert survey is not None
        orgs = {
            r["id"]: r["organisation"]
            for r in await Registration.select(Registration.id, Registration.organisation).where(
                Registration.id.is_in(survey_regs)
            )
        }
        await SurveyInvitation.insert(
            *[
                SurveyInvitation(
                    survey=survey["id"],
                    registration=r,
                    organisation=orgs[r],
                    wave=0,
                    closes_at=now + timedelta(days=14),
                )
                for r in survey_regs
            ]
        )
        assert await Person.count() > 0
        return {
            "rsvp": [await create_link(LinkPurpose.rsvp, registration_id=r) for r in rsvp_regs],
            "survey": [await create_link(LinkPurpose.survey, registration_id=r) for r in survey_regs],
            "feed": [await create_link(LinkPurpose.person_feed, person_id=p) for p in people],
        }
    finally:
        await db.disconnect()


# ---------------------------------------------------------------- load


@dataclass
class Tally:
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    slow: list[tuple[float, str, float]] = field(default_factory=list)  # (started, kind, ms) over target
    began: float = field(default_factory=time.perf_counter)

    def add(self, kind: str, started: float, status: int, body: bytes, ok: tuple[int, ...]) -> None:
        ms = (time.perf_counter() - started) * 1000
        self.latencies_ms.setdefault(kind, []).append(ms)
        if ms > TARGET_P99_MS:
            self.slow.append((started, kind, ms))
        self.statuses[(kind, status)] += 1
        if status not in ok and len(self.error_samples) < 8:
            self.error_samples.append(f"{kind} {status} {body[:160].decode(errors='replace')}")

    @property
    def errors(self) -> int:
        good = {"register": (201,)}
        return sum(n for (kind, status), n in self.statuses.items() if status not in good.get(kind, (200,)))


KEEP_ALIVE_SECONDS = 4.0  # uvicorn closes a connection idle for 5 s


async def client(
    server: Server,
    world: World,
    tally: Tally,
    until: float,
    seed_value: int,
    think: float,
    together: bool = False,
) -> None:
    rng = random.Random(seed_value)
    conn = PageConnection(server.host, server.port)
    host = server.host
    kinds, weights = list(MIX), list(MIX.values())
    try:
        if think and not together:  # people arrive over time, not all in the same millisecond
            await asyncio.sleep(rng.expovariate(1 / think))
        while time.monotonic() < until:
            kind = rng.choices(kinds, weights)[0]
            partner = rng.randrange(len(world.partner_keys))
            try:
                await one(kind, partner, conn, host, world, tally, rng)
            except (OSError, asyncio.IncompleteReadError) as exc:
                tally.add(kind, time.perf_counter(), 0, repr(exc).encode(), (200,))
                await conn.close()
            if think:  # a person reads the page before the next click
                pause = min(rng.expovariate(1 / think), until - time.monotonic())
                if pause > KEEP_ALIVE_SECONDS:  # the server has closed the idle connection: a browser opens
                    await conn.close()  # a new one for the next click
                await asyncio.sleep(max(pause, 0))
    finally:
        await conn.close()


async def one(
    kind: str, partner: int, conn: PageConnection, host: str, world: World, tally: Tally, rng: random.Random
) -> None:
    if kind == "register" and not world.free_pairs[partner]:
        kind = "list"
    started = time.perf_counter()
    if kind == "list":
        raw = build_request("GET", "/api/events?per_page=50", host, world.partner_keys[partner])
        status, body = await conn.request(raw)
        tally.add(kind, started, status, body, (200,))
    elif kind == "public":
        status, body = await conn.request(build_request("GET", "/api/events?per_page=50", host))
        tally.add(kind, started, status, body, (200,))
    elif kind == "register":
        event, person = world.free_pairs[partner].pop()
        raw = build_request(
            "POST",
            f"/api/events/{event}/registrations",
            host,
            world.partner_keys[partner],
            {"person_id": person},
        )
        status, body = await conn.request(raw)
        tally.add(kind, started, status, body, (201,))
    elif kind == "feed":
        status, body = await conn.request(
            build_request("GET", f"/feeds/{rng.choice(world.feed_tokens)}", host)
        )
        tally.add(kind, started, status, body, (200,))
    else:
        token = rng.choice(world.rsvp_tokens if kind == "rsvp" else world.survey_tokens)
        path = f"/{kind}/{token}"
        status, head, page = await conn.request_with_head(build_request("GET", path, host))
        tally.add(f"{kind} page", started, status, page, (200,))
        if status != 200:
            return
        fields = (
            [("answer", rng.choice(["accepted", "tentative", "declined"]))]
            if kind == "rsvp"
            else world.survey_form
        )
        started = time.perf_counter()
        status, _, body = await conn.request_with_head(form_request(path, host, fields, head, page))
        tally.add(f"{kind} answer", started, status, body, (200,))


async def load(
    server: Server, world: World, clients: int, seconds: float, think: float, together: bool
) -> tuple[Tally, float]:
    tally = Tally(began=time.perf_counter())
    started = time.monotonic()
    until = started + seconds
    async with asyncio.TaskGroup() as tg:
        for i in range(clients):
            tg.create_task(client(server, world, tally, until, i, think, together))
    return tally, time.monotonic() - started


# ---------------------------------------------------------------- the processes


class PrivateRedis:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
            ],
            stdout=(workdir / "redis.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        import redis

        client = redis.Redis(port=self.port, socket_timeout=1, socket_connect_timeout=1)
        end = time.monotonic() + 15
        while True:
            with contextlib.suppress(redis.RedisError):
                if client.ping():
                    break
            if time.monotonic() > end:
                raise TimeoutError("redis-server did not start")
            time.sleep(0.05)
        client.close()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


def report(tally: Tally, wall: float, processes: dict[str, list[int]], hwm: dict[int, int]) -> None:
    everything = sorted(ms for values in tally.latencies_ms.values() for ms in values)
    total = len(everything)
    print(f"\nrequests      {total} in {wall:.1f} s = {total / wall:.0f} req/s")
    print(f"latency       p50 {percentile(everything, 50):.1f} ms   p99 {percentile(everything, 99):.1f} ms")
    print(f"errors        {tally.errors}")
    print("\nper kind            n      p50 ms   p99 ms   statuses")
    for kind in sorted(tally.latencies_ms):
        values = sorted(tally.latencies_ms[kind])
        statuses = {s: n for (k, s), n in tally.statuses.items() if k == kind}
        p50, p99 = percentile(values, 50), percentile(values, 99)
        print(f"  {kind:<15} {len(values):>6}  {p50:>7.1f}  {p99:>7.1f}   {dict(sorted(statuses.items()))}")
    for sample in tally.error_samples:
        print(f"  error: {sample}")
    # Over-target requests by the second they started in: a few crowded seconds mean stalls, not load.
    by_second = Counter(int(started - tally.began) for started, _, _ in tally.slow)
    crowded = ", ".join(f"{second} s: {n}" for second, n in sorted(by_second.most_common(8)))
    print(f"\nover {TARGET_P99_MS:.0f} ms  {len(tally.slow)} requests; busiest seconds {crowded or '-'}")
    print("\npeak RSS (VmHWM) per process")
    for role, pids in processes.items():
        for pid in pids:
            print(f"  {role:<10} pid {pid:<8} {hwm.get(pid, 0) / 1024:7.1f} MiB")
    p99 = percentile(everything, 99)
    verdict = "met" if tally.errors == 0 and p99 <= TARGET_P99_MS else "NOT met"
    print(f"\ntarget (0 errors, p99 <= {TARGET_P99_MS:.0f} ms): {verdict}")


def _helper(pid: int) -> bool:
    """multiprocessing's resource tracker: a child of the server that serves no request."""
    try:
        return b"resource_tracker" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="mean pause of a client between two requests, seconds (exponential); 0: back to back, which "
        "measures the saturated capacity rather than what 100 people clicking see",
    )
    parser.add_argument(
        "--together",
        action="store_true",
        help="every client sends its first request at the same moment, to fresh processes (a worst case: "
        "by default people arrive over time, each after a pause like the ones between their clicks)",
    )
    parser.add_argument("--web", type=int, default=2, help="web processes")
    parser.add_argument("--worker-processes", type=int, default=2)
    parser.add_argument("--worker-threads", type=int, default=8)
    parser.add_argument("--people-per-partner", type=int, default=100)
    parser.add_argument("--events", type=int, default=8)
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("DTZ_BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--database", default=f"dtz_load_{os.getpid()}")
    parser.add_argument("--timeout", type=float, default=600, help="budget of the whole run, seconds")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    deadline = Deadline(args.timeout)
    db = ScratchDatabase(args.admin_url, args.database)
    print(
        f"dtz-events load: {args.clients} clients for {args.seconds:.0f} s, think {args.think:g} s; "
        f"{args.web} web processes, "
        f"{args.worker_processes} worker processes, 1 scheduler; PostgreSQL and Redis"
    )
    print(f"load average {load_average()} at start, {os.cpu_count()} cores", flush=True)
    started: list[Any] = []
    with tempfile.TemporaryDirectory(prefix="dtz-load-") as tmp:
        workdir = Path(tmp)
        try:
            db.create(timeout=deadline.remaining(30))
            redis_server = PrivateRedis(workdir)
            started.append(redis_server)
            sink = Sink(free_port(), timeout=deadline.remaining(30))
            started.append(sink)
            env = service_env(
                db.url,
                DTZ_BROKER_URL=redis_server.url,
                DTZ_SMTP_URL=sink.url,
                DTZ_RATE_LIMIT_LOGIN="0/1",
                DTZ_RATE_LIMIT_TOKENS="0/1",
                DTZ_SCHEDULER_INTERVAL="5",
            )
            run_cli(["migrate"], env, timeout=deadline.remaining(120))
            admin = ["--email", ADMIN_EMAIL, "--name", "Beheer", "--role", "admin", "--password", PASSWORD]
            run_cli(["create-user", *admin], env, timeout=deadline.remaining(60))
            server = Server.start(env, args.web, workdir / "web.log", timeout=deadline.remaining(60))
            started.append(server)
            workers = Workers.start(
                env,
                args.worker_processes,
                args.worker_threads,
                workdir / "worker.log",
                deadline.remaining(60),
            )
            started.append(workers)
            with (workdir / "scheduler.log").open("wb") as log:
                scheduler = subprocess.Popen(
                    [sys.executable, "-m", "dtz_events.cli", "scheduler"],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            started.append(scheduler)
            world = run_async(
                asyncio.wait_for(
                    seed(server, db.url, args.people_per_partner, args.events), deadline.remaining(300)
                )
            )
            print(f"seeded; load average {load_average()}; running ...", flush=True)
            tally, wall = run_async(
                asyncio.wait_for(
                    load(server, world, args.clients, args.seconds, args.think, args.together),
                    deadline.remaining(),
                )
            )
            processes = {
                "web": [p for p in ProcessTree(server.pid).pids() if p != server.pid and not _helper(p)],
                "worker": [p for p in workers.pids() if p != workers.process.pid],
                "scheduler": [scheduler.pid],
            }
            hwm = {pid: hwm_kib(pid) for pids in processes.values() for pid in pids}
            print(f"load average {load_average()} at the end")
            report(tally, wall, processes, hwm)
            return 0
        except TimeoutError:
            print(f"aborted: the run took longer than --timeout {args.timeout:.0f} s", file=sys.stderr)
            return 2
        finally:
            for thing in reversed(started):
                with contextlib.suppress(Exception):
                    if isinstance(thing, subprocess.Popen):
                        thing.terminate()
                        thing.wait(timeout=10)
                    else:
                        thing.stop()
            db.drop()


if __name__ == "__main__":
    sys.exit(main())
