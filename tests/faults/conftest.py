"""The fault rig: real `dtz-events worker` and `dtz-events scheduler` processes on Redis or RabbitMQ, a real
SMTP server (aiosmtpd in a thread of this process) and this process seeding the test database and
publishing. Every process a test starts runs in its own session and is killed (SIGKILL to that session)
when the test ends, pass or fail.

What a test may break is its own: Redis is a redis-server of the test's own on a free port; RabbitMQ is the
machine's, with a virtual host per test (only these tests restart it); the PostgreSQL that a test restarts is
a cluster of its own (initdb in a temporary directory, on a free port)."""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest

from dtz_events.broker import make_broker
from dtz_events.core.dispatch import BrokerDispatcher, set_dispatcher
from dtz_events.settings import Settings
from tests.support.fixtures import free_port
from tests.support.smtp import SmtpSink

AMQP_URL = os.environ.get("DTZ_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672")
MAIL_QUEUE = "mail"

# Short timings so that recovery is quick: a claim older than 5 s is taken back, retries start at 0.5 s,
# the scheduler ticks every second.
FAST_MAIL = {
    "DTZ_MAIL_CLAIM_TIMEOUT": "5",
    "DTZ_MAIL_RETRY_SECONDS": "0.5",
    "DTZ_SCHEDULER_INTERVAL": "1",
}

_vhosts = itertools.count(1)


def _run(args: list[str], timeout: float = 30) -> str:
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}): {done.stdout}{done.stderr}")
    return done.stdout


# ---------------------------------------------------------------- brokers


class BrokerTarget:
    """A broker for one test: its URL, a clean queue, and a way to restart the server under the workers."""

    kind: str
    url: str

    def purge(self) -> None:
        raise NotImplementedError

    def outstanding(self) -> int:
        """Messages on the mail queue not yet acknowledged (waiting or being worked on)."""
        raise NotImplementedError

    def restart(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class PrivateRedis:
    """A redis-server of this test alone, on a free port, without persistence: restarting it disturbs
    nobody else (the machine's Redis on 6379 serves other tests and helpers)."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis

        log = (self.workdir / f"redis-{self.port}.log").open("ab")
        self.process = subprocess.Popen(
            [
                *("redis-server", "--bind", "127.0.0.1", "--port", str(self.port)),
                *("--save", "", "--appendonly", "no", "--dir", str(self.workdir)),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        client = redis.Redis(port=self.port, socket_timeout=1, socket_connect_timeout=1)
        deadline = time.monotonic() + 15
        while True:
            try:
                if client.ping():
                    client.close()
                    return
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        _wait_port_closed("127.0.0.1", self.port, timeout=15)


class RedisTarget(BrokerTarget):
    kind = "redis"

    def __init__(self, workdir: Path) -> None:
        import redis

        self.server = PrivateRedis(workdir)
        self.url = self.server.url
        self.client = redis.Redis.from_url(self.url, socket_timeout=5, socket_connect_timeout=5)

    def purge(self) -> None:
        self.client.flushdb()

    def outstanding(self) -> int:
        return int(self.client.hlen(f"dramatiq:{MAIL_QUEUE}.msgs"))

    def restart(self) -> None:
        """Killed and started again without persistence: every message on it is lost."""
        self.server.stop()
        self.server.start()

    def close(self) -> None:
        self.client.close()
        self.server.stop()


class RabbitTarget(BrokerTarget):
    """A virtual host of its own per test, removed afterwards."""

    kind = "rabbitmq"

    def __init__(self, vhost: str) -> None:
        self.vhost = vhost
        self.url = f"{AMQP_URL}/{vhost}"
        _run(["rabbitmqctl", "add_vhost", vhost])
        _run(["rabbitmqctl", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"])

    def _queues(self) -> dict[str, int]:
        out = _run(
            [
                "rabbitmqctl",
                "list_queues",
                "-p",
                self.vhost,
                "--quiet",
                "--no-table-headers",
                "name",
                "messages",
            ]
        )
        counts = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit():
                counts[parts[0]] = int(parts[1])
        return counts

    def purge(self) -> None:
        for name in self._queues():
            _run(["rabbitmqctl", "purge_queue", "-p", self.vhost, name])

    def outstanding(self) -> int:
        return self._queues().get(MAIL_QUEUE, 0)  # `messages` counts ready and unacknowledged ones

    def restart(self) -> None:
        """Stop and start the RabbitMQ application: connections drop, durable queues and persistent
        messages survive."""
        _run(["rabbitmqctl", "stop_app"], timeout=60)
        _run(["rabbitmqctl", "start_app"], timeout=60)
        _run(["rabbitmqctl", "await_startup"], timeout=60)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            _run(["rabbitmqctl", "delete_vhost", self.vhost])


def _wait_port_closed(host: str, port: int, timeout: float) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                pass
        except OSError:
            return
        time.sleep(0.05)
    raise TimeoutError(f"{host}:{port} still accepts connections")


@pytest.fixture(params=["redis", "rabbitmq"])
def broker_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BrokerTarget]:
    target: BrokerTarget
    if request.param == "redis":
        target = RedisTarget(tmp_path)
    else:
        target = RabbitTarget(f"dtz_faults_{os.getpid()}_{next(_vhosts)}")
    try:
        target.purge()
        yield target
    finally:
        target.close()


# ---------------------------------------------------------------- processes


@dataclass
class Proc:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes]
    killed: bool = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def tail(self, lines: int = 25) -> str:
        return "\n".join(self.log().splitlines()[-lines:])


@dataclass
class Rig:
    broker: BrokerTarget
    sink: SmtpSink
    workdir: Path
    procs: list[Proc] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)
    _names: Counter[str] = field(default_factory=Counter)

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            **FAST_MAIL,
            "DTZ_BROKER_URL": self.broker.url,
            "DTZ_SMTP_URL": self.sink.url,
            "DTZ_LOG_LEVEL": "info",
            "DTZ_ACCESS_LOG": "0",
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }

    def _start(self, name: str, args: list[str]) -> Proc:
        self._names[name] += 1
        log_path = self.workdir / f"{name}-{self._names[name]}.log"
        log_file = log_path.open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "dtz_events.cli", *args],
            env=self.env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: one killpg reaches its children too
        )
        proc = Proc(name=f"{name}-{self._names[name]}", process=process, log_path=log_path, log_file=log_file)
        self.procs.append(proc)
        return proc

    async def start_worker(self, processes: int = 1, threads: int = 4, ready_within: float = 30) -> Proc:
        """`dtz-events worker`, returned once every worker process said it is ready."""
        import asyncio

        proc = self._start("worker", ["worker", "--processes", str(processes), "--threads", str(threads)])
        deadline = time.monotonic() + ready_within
        while proc.log().count("Worker process is ready for action") < processes:
            if proc.process.poll() is not None:
                raise RuntimeError(f"{proc.name} exited with {proc.process.returncode}:\n{proc.tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{proc.name} did not boot within {ready_within:.0f} s:\n{proc.tail()}")
            await asyncio.sleep(0.1)
        return proc

    def start_scheduler(self) -> Proc:
        return self._start("scheduler", ["scheduler"])

    async def start_web(self, ready_within: float = 30) -> tuple[Proc, str]:
        """`dtz-events run --no-migrate` (one process; the broker is set, so it runs no worker of its own),
        returned with its base URL once /health/live answers."""
        import asyncio

        import httpx

        port = free_port()
        proc = self._start("web", ["run", "--no-migrate", "--port", str(port)])
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + ready_within
        async with httpx.AsyncClient(timeout=1) as client:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(url + "/health/live")).status_code == 200:
                        return proc, url
                if proc.process.poll() is not None:
                    raise RuntimeError(f"{proc.name} exited with {proc.process.returncode}:\n{proc.tail()}")
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"{proc.name} did not start within {ready_within:.0f} s:\n{proc.tail()}"
                    )
                await asyncio.sleep(0.1)

    def kill(self, proc: Proc) -> None:
        """kill -9 the whole process (the dramatiq parent and its worker processes at once)."""
        if proc.killed:
            return
        proc.killed = True
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # its own session, so pgid == pid: only what we started
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.process.wait(timeout=10)
        proc.log_file.close()

    def stop_all(self) -> None:
        for proc in self.procs:
            self.kill(proc)

    def diagnosis(self) -> str:
        return "\n".join(f"--- {p.name} (exit {p.process.poll()})\n{p.tail()}" for p in self.procs)


@pytest.fixture
async def rig(broker_target: BrokerTarget, tmp_path: Path) -> AsyncIterator[Rig]:
    """Workers and a scheduler (started by the test), an SMTP sink on a free port (started by the test, so
    that it can begin down), and this process dispatching to the same broker."""
    sink = SmtpSink(free_port())
    rig = Rig(broker=broker_target, sink=sink, workdir=tmp_path)
    broker = make_broker(Settings.from_env({**os.environ, "DTZ_BROKER_URL": broker_target.url}))
    set_dispatcher(BrokerDispatcher(broker))
    try:
        yield rig
    finally:
        set_dispatcher(None)
        rig.stop_all()
        sink.stop()
        with contextlib.suppress(Exception):
            broker.close()


# ---------------------------------------------------------------- a PostgreSQL cluster of one test's own


def _pg_bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not found:
        pytest.skip(f"no {name} in /usr/lib/postgresql/*/bin")
    return str(found[-1])


class PrivatePostgres:
    """initdb into a temporary directory and pg_ctl on a free port: a server this test may stop and start
    without disturbing the machine's PostgreSQL, which other tests and helpers use. As root, the cluster
    belongs to the `postgres` user (initdb refuses root)."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.datadir = workdir / "pgdata"
        self.logfile = workdir / "postgres.log"
        self.as_user: list[str] = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            _run(["chown", "postgres", str(workdir)])
        _run(
            [
                *self.as_user,
                _pg_bin("initdb"),
                "-D",
                str(self.datadir),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ],
            timeout=120,
        )
        conf = self.datadir / "postgresql.conf"
        with conf.open("a") as f:
            f.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n"
                # Durable commits, as in production: what a commit acknowledged survives the restart.
                "max_connections = 100\n"
            )
        self.start()
        _run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-c", "CREATE DATABASE dtz"])

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/dtz"

    def _ctl(self, *args: str, timeout: float = 60) -> None:
        _run(
            [*self.as_user, _pg_bin("pg_ctl"), "-D", str(self.datadir), "-l", str(self.logfile), "-w", *args],
            timeout=timeout,
        )

    def start(self) -> None:
        self._ctl("start")

    def stop(self) -> None:
        """A restart's first half: connections are cut (`fast` mode), committed work is kept."""
        self._ctl("stop", "-m", "fast")


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    import shutil
    import tempfile

    workdir = Path(tempfile.mkdtemp(prefix="dtz-faults-pg-"))  # /tmp itself, which postgres can reach
    try:
        server = PrivatePostgres(workdir)
        try:
            yield server
        finally:
            with contextlib.suppress(Exception):
                server.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
