"""Invitation fan-out: publish an event with N people registered while it was a draft, and measure how fast
two worker processes get the N emails accepted by an SMTP server, against the raw limit of that server.

    .venv/bin/python bench/fanout.py [--n 10000] [--processes 2] [--threads 4]

Creates a scratch PostgreSQL database, migrates it and seeds it through the services (N people, a draft
network meeting, N registrations). Starts an SMTP sink (aiosmtpd, in a process of its own so that it does
not share this process's GIL; it counts accepted messages and the time of the last one) and
`dtz-events worker --processes P` on Redis. Then publishes the event (one transaction writes the N outbox
rows; the batches go to Redis after the commit) and measures from just before the publish to the last
message accepted by the sink. Then the raw limit: the same N messages, composed beforehand with
`mail.services.message_bytes` (as the workers do), pushed through ONE smtplib connection to the same sink.
Prints both rates, their ratio (target >= 0.5), the workers' peak RSS (sum over the dramatiq processes,
sampled from /proc) and their CPU time per message.
Everything it starts is stopped, the database dropped and the Redis database emptied, also on failure or
timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import queue
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, NoReturn

from _support import (
    Deadline,
    ProcessTree,
    RssSampler,
    ScratchDatabase,
    cpu_seconds,
    free_port,
    load_average,
    run_cli,
    service_env,
)

TARGET_RATIO = 0.5
DOMAIN = "partner.example"


# ---------------------------------------------------------------- the SMTP sink (its own process)


def sink_main(port: int) -> None:
    """`fanout.py --sink PORT`: an aiosmtpd server that counts what it accepts. Answers `stats` and `reset`
    on stdin with one JSON line on stdout; stops at the end of stdin."""
    from aiosmtpd.controller import Controller

    lock = threading.Lock()
    state: dict[str, Any] = {"count": 0, "first": None, "last": None, "recipients": set()}

    class Counting:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            now = time.monotonic()  # CLOCK_MONOTONIC: the same clock in every process of this machine
            with lock:
                state["count"] += 1
                state["first"] = state["first"] or now
                state["last"] = now
                state["recipients"].update(a.lower() for a in envelope.rcpt_tos)
            return "250 Message accepted for delivery"

    controller = Controller(Counting(), hostname="127.0.0.1", port=port, decode_data=False)
    controller.start()
    print(json.dumps({"ready": True}), flush=True)
    try:
        for line in sys.stdin:
            with lock:
                if line.strip() == "reset":
                    state.update(count=0, first=None, last=None, recipients=set())
                answer = {k: v for k, v in state.items() if k != "recipients"}
                answer["distinct"] = len(state["recipients"])
            print(json.dumps(answer), flush=True)
    finally:
        controller.stop()


class Sink:
    def __init__(self, port: int, timeout: float) -> None:
        self.port = port
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--sink", str(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self._ask_lock = threading.Lock()
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, name="sink-reader", daemon=True).start()
        if not self._read(timeout).get("ready"):
            raise RuntimeError("the SMTP sink did not start")

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?timeout=30"

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put("")  # the sink has gone

    def _read(self, timeout: float) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            line = ""
        if not line:
            raise RuntimeError("the SMTP sink does not answer")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def ask(self, command: str = "stats", timeout: float = 10) -> dict[str, Any]:
        assert self.process.stdin is not None
        with self._ask_lock:
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
            return self._read(timeout)

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            if self.process.stdin is not None:
                self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


# ---------------------------------------------------------------- workers


@dataclass
class Workers:
    """`dtz-events worker` in its own session; stopping it signals that session only."""

    process: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes]

    @classmethod
    def start(
        cls, env: dict[str, str], processes: int, threads: int, log_path: Path, timeout: float
    ) -> Workers:
        log_file = log_path.open("wb")
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "dtz_events.cli", "worker"),
                *("--processes", str(processes), "--threads", str(threads)),
            ],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        workers = cls(process=process, log_path=log_path, log_file=log_file)
        end = time.monotonic() + timeout
        while workers.log().count("Worker process is ready for action") < processes:
            if process.poll() is not None:
                raise RuntimeError(f"the worker exited with {process.returncode}:\n{workers.log()[-3000:]}")
            if time.monotonic() > end:
                workers.stop()
                raise TimeoutError(f"the workers were not ready within {timeout:.0f} s")
            time.sleep(0.1)
        return workers

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def pids(self) -> list[int]:
        return ProcessTree(self.process.pid).pids()

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)  # pgid == pid: only what we started
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        self.log_file.close()


# ---------------------------------------------------------------- seeding and publishing (this process)


@dataclass
class Seeded:
    event_id: int
    organiser: Any  # a Principal


async def seed(n: int) -> Seeded:
    """N people and a draft network meeting with all of them registered (confirmed): no mail yet."""
    from dtz_events.accounts.schemas import AccountCreate
    from dtz_events.accounts.services import create_account
    from dtz_events.core.auth import Principal, Role
    from dtz_events.events.schemas import EventCreate, EventKind
    from dtz_events.events.services import create_event
    from dtz_events.partners.tables import Organisation, Person
    from dtz_events.registrations.services import register

    [organisation] = await Organisation.insert(
        Organisation(
            name="Emmtec Industry & Business Park", kind="company", helix="business", municipality="Emmen"
        )
    ).returning(Organisation.id)
    person_ids: list[int] = []
    for start in range(0, n, 1000):  # at most 32767 parameters a statement
        people = [
            Person(
                name=f"Deelnemer {i}",
                email=f"deelnemer.{i:05d}@{DOMAIN}",
                organisation=organisation["id"],
                language="nl" if i % 3 else "en",
            )
            for i in range(start, min(n, start + 1000))
        ]
        person_ids += [r["id"] for r in await Person.insert(*people).returning(Person.id)]
    account = await create_account(
        AccountCreate(email="organisator@dutchtechzone.nl", name="Organisator", role=Role.organiser)
    )
    organiser = Principal(account_id=account.id, role=Role.organiser, name=account.name, email=account.email)
    starts = (datetime.now(UTC) + timedelta(days=30)).replace(hour=13, minute=0, second=0, microsecond=0)
    event = await create_event(
        organiser,
        EventCreate(
            kind=EventKind.network_meeting,
            title="Netwerkbijeenkomst Smart Industry",
            starts_at=starts,
            ends_at=starts + timedelta(hours=3),
            capacity=n,
            venue="Emmtec Industry & Business Park",
            address="Bijlakstraat 2",
            municipality="Emmen",
        ),
        host="dutchtechzone.nl",
    )
    for start in range(0, n, 500):
        await register(organiser, event.id, person_ids[start : start + 500], "person_ids")
    return Seeded(event_id=event.id, organiser=organiser)


async def outbox_statuses() -> dict[str, int]:
    from dtz_events.mail.tables import OutboxMessage

    rows = await OutboxMessage.select(OutboxMessage.status)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return counts


async def prebuilt_messages(settings: Any) -> list[tuple[str, bytes]]:
    """Every rendered outbox row as (recipient, bytes), composed the way the worker composes it."""
    from dtz_events.mail.services import message_bytes
    from dtz_events.mail.tables import OutboxMessage

    rows = await OutboxMessage.select().order_by(OutboxMessage.id)
    return [(r["recipient_email"], message_bytes(r, settings)) for r in rows]


# ---------------------------------------------------------------- the run


@dataclass
class Result:
    n: int
    seconds: float
    publish_s: float
    delivered: int
    distinct: int
    statuses: dict[str, int]
    peak_rss_kib: int
    worker_cpu_s: float
    sink_cpu_s: float
    raw_seconds: float = 0.0
    raw_delivered: int = 0

    @property
    def rate(self) -> float:
        return self.delivered / self.seconds if self.seconds else 0.0

    @property
    def raw_rate(self) -> float:
        return self.raw_delivered / self.raw_seconds if self.raw_seconds else 0.0


def wait_for_sink(sink: Sink, n: int, deadline: Deadline, stall_s: float) -> dict[str, Any]:
    """Poll the sink until it has `n` messages; give up when nothing arrives for `stall_s` seconds."""
    stats, last_change, last_count = sink.ask(), time.monotonic(), -1
    while stats["count"] < n:
        if stats["count"] != last_count:
            last_count, last_change = stats["count"], time.monotonic()
        elif time.monotonic() - last_change > stall_s:
            break
        time.sleep(min(0.1, deadline.remaining()))
        stats = sink.ask()
    return stats


async def run(args: argparse.Namespace, env: dict[str, str], tmp: Path, deadline: Deadline) -> Result:
    from dataclasses import replace

    from dtz_events.broker import make_broker
    from dtz_events.core import db
    from dtz_events.core.dispatch import BrokerDispatcher, set_dispatcher
    from dtz_events.events.services import publish_event
    from dtz_events.settings import Settings

    settings = Settings.from_env(env)
    await db.connect(settings)
    sink: Sink | None = None
    workers: Workers | None = None
    broker = make_broker(settings)
    try:
        started = time.monotonic()
        seeded = await seed(args.n)
        print(f"seeded {args.n} registrations in {time.monotonic() - started:.1f} s", flush=True)
        sink = Sink(free_port(), timeout=deadline.remaining(30))
        worker_env = {**env, "DTZ_SMTP_URL": sink.url}
        workers = Workers.start(
            worker_env, args.processes, args.threads, tmp / "worker.log", timeout=deadline.remaining(60)
        )
        pids = workers.pids()
        cpu_before = sum(cpu_seconds(p) for p in pids)
        sink_cpu_before = cpu_seconds(sink.process.pid)
        set_dispatcher(BrokerDispatcher(broker))
        with RssSampler(workers.process.pid, interval=0.05) as sampler:
            t0 = time.monotonic()
            await publish_event(seeded.organiser, seeded.event_id)
            publish_s = time.monotonic() - t0
            stats = await asyncio.to_thread(wait_for_sink, sink, args.n, deadline, args.stall)
            peak = sampler.peak_kib
        set_dispatcher(None)
        worker_cpu = sum(cpu_seconds(p) for p in pids) - cpu_before
        sink_cpu = cpu_seconds(sink.process.pid) - sink_cpu_before
        seconds = (stats["last"] or time.monotonic()) - t0
        await asyncio.sleep(0.5)  # the last rows' marks
        result = Result(
            n=args.n,
            seconds=seconds,
            publish_s=publish_s,
            delivered=stats["count"],
            distinct=stats["distinct"],
            statuses=await outbox_statuses(),
            peak_rss_kib=peak,
            worker_cpu_s=worker_cpu,
            sink_cpu_s=sink_cpu,
        )
        print(f"fan-out: {result.delivered} messages in {seconds:.1f} s", flush=True)
        workers.stop()
        workers = None

        # The raw limit: the same messages, composed beforehand, over one connection to the same sink.
        messages = await prebuilt_messages(replace(settings, smtp_url=sink.url))
        sink.ask("reset")
        sender = "events@dutchtechzone.nl"

        def push() -> tuple[float, int]:
            t = time.monotonic()
            with smtplib.SMTP("127.0.0.1", sink.port, timeout=30) as smtp:  # type: ignore[union-attr]
                for recipient, data in messages:
                    smtp.sendmail(sender, [recipient], data)
            stats = sink.ask()  # type: ignore[union-attr]
            return (stats["last"] or time.monotonic()) - t, stats["count"]

        result.raw_seconds, result.raw_delivered = await asyncio.wait_for(
            asyncio.to_thread(push), deadline.remaining()
        )
        return result
    finally:
        set_dispatcher(None)
        if workers is not None:
            workers.stop()
        if sink is not None:
            sink.stop()
        with contextlib.suppress(Exception):
            broker.close()
        await db.disconnect()


def report(result: Result, args: argparse.Namespace) -> bool:
    ratio = result.rate / result.raw_rate if result.raw_rate else 0.0
    n = result.n
    ok = result.delivered == n and result.distinct == n and result.statuses == {"sent": n}
    print()
    rate, raw = f"{result.rate:8.1f}", f"{result.raw_rate:8.1f}"
    print(f"fan-out     {rate} messages/s   {result.delivered} accepted, {result.distinct} recipients")
    print(
        f"            publish to last accepted {result.seconds:.1f} s (the publish: {result.publish_s:.2f} s)"
    )
    print(f"raw limit   {raw} messages/s   one smtplib connection, {result.raw_delivered} messages")
    print(f"ratio       {ratio:8.2f}                target >= {TARGET_RATIO}")
    rss, processes = result.peak_rss_kib / 1024, args.processes + 1
    print(f"worker RSS  {rss:8.1f} MiB peak      sum of the {processes} dramatiq processes")
    per_message = result.worker_cpu_s / max(n, 1) * 1000
    print(f"worker CPU  {result.worker_cpu_s:8.1f} s ({per_message:.1f} ms a message)")
    print(f"sink CPU    {result.sink_cpu_s:8.1f} s during the fan-out")
    print(f"outbox      {result.statuses}")
    print(f"load average {load_average()} at the end")
    if not ok:
        print("CHECK FAILED: not every recipient got exactly one message, or not every row is sent")
    print(
        f"{'PASS' if ok and ratio >= TARGET_RATIO else 'FAIL'}: ratio {ratio:.2f} (target >= {TARGET_RATIO})"
    )
    return ok and ratio >= TARGET_RATIO


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="people registered on the event")
    parser.add_argument("--processes", type=int, default=2, help="worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker process")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/13", help="a Redis database to use up")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="dtz_bench_fanout", help="scratch database, dropped afterwards")
    parser.add_argument("--stall", type=float, default=30, help="give up when nothing arrives for this long")
    parser.add_argument("--timeout", type=float, default=600, help="abort the whole run after this many s")
    parser.add_argument("--sink", type=int, help=argparse.SUPPRESS)  # internal: run as the SMTP sink
    args = parser.parse_args(argv)
    if args.n < 1 or args.processes < 1 or args.threads < 1:
        parser.error("--n, --processes and --threads must be positive")
    if not args.broker.startswith("redis://"):
        parser.error("--broker must be a redis:// URL")
    return args


def _terminate(signum: int, frame: Any) -> NoReturn:
    raise KeyboardInterrupt(f"signal {signum}")


def flush_redis(url: str) -> None:
    import redis

    with contextlib.suppress(redis.RedisError):
        redis.Redis.from_url(url, socket_timeout=5).flushdb()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.sink is not None:
        sink_main(args.sink)
        return 0
    signal.signal(signal.SIGTERM, _terminate)
    deadline = Deadline(args.timeout)
    db = ScratchDatabase(args.admin_url, args.database)
    env = service_env(db.url, DTZ_BROKER_URL=args.broker, DTZ_LOG_LEVEL="warning")
    os.environ.update(env)  # before dtz_events is imported: piccolo_conf reads the environment
    shape = f"{args.processes} worker processes x {args.threads} threads"
    print(f"dtz-events fan-out benchmark: n={args.n}, {shape}")
    print(f"load average {load_average()} at start, {os.cpu_count()} cores", flush=True)
    with tempfile.TemporaryDirectory(prefix="dtz-bench-") as tmp:
        try:
            flush_redis(args.broker)
            db.create(timeout=deadline.remaining(30))
            run_cli(["migrate"], env, timeout=deadline.remaining(120))
            result = asyncio.run(asyncio.wait_for(run(args, env, Path(tmp), deadline), deadline.remaining()))
            return 0 if report(result, args) else 1
        except TimeoutError:
            print(f"aborted: the run took longer than --timeout {args.timeout:.0f} s", file=sys.stderr)
            return 2
        except KeyboardInterrupt as exc:
            print(f"aborted: {exc or 'interrupted'}", file=sys.stderr)
            return 2
        finally:
            db.drop()
            flush_redis(args.broker)


if __name__ == "__main__":
    sys.exit(main())
