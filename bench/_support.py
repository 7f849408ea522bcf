"""Building blocks for benchmarks: a throw-away PostgreSQL database, the `dtz-events` server as a child
process, a lean HTTP/1.1 keep-alive client, latency statistics and /proc sampling (no psutil)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

T = TypeVar("T")

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


# ---------------------------------------------------------------- event loop


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on uvloop when it is installed (it keeps the load generator's CPU small)."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


class Deadline:
    """A wall-clock budget for a whole run; every blocking step takes its timeout from here."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def remaining(self, at_most: float | None = None) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"the benchmark exceeded its budget of {self.seconds:.0f} s")
        return left if at_most is None else min(left, at_most)


# ---------------------------------------------------------------- database


async def _pg_admin(admin_url: str, sql: str, seconds: float) -> None:
    import asyncpg

    async with asyncio.timeout(seconds):
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()


@dataclass
class ScratchDatabase:
    """A PostgreSQL database that exists for one benchmark run. `admin_url` points at a maintenance database
    (usually `postgres`) on the same server."""

    admin_url: str
    name: str

    @property
    def url(self) -> str:
        return self.admin_url.rsplit("/", 1)[0] + "/" + self.name

    def create(self, timeout: float = 30) -> None:
        self.drop(timeout)
        asyncio.run(_pg_admin(self.admin_url, f'CREATE DATABASE "{self.name}"', timeout))

    def drop(self, timeout: float = 30) -> None:
        asyncio.run(_pg_admin(self.admin_url, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)', timeout))

    async def fetch(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        """Rows of one query on the scratch database, over a connection of its own (at most 30 s)."""
        import asyncpg

        async with asyncio.timeout(30):
            conn = await asyncpg.connect(self.url)
            try:
                return [dict(r) for r in await conn.fetch(sql, *args)]
            finally:
                await conn.close()


# ---------------------------------------------------------------- the service


def service_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a quiet, embedded-mode service on `database_url`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DTZ_")}
    env.update(
        {
            "DTZ_DATABASE_URL": database_url,
            "DTZ_SECRET_KEY": "benchmark-secret-key-not-for-production",
            "DTZ_ACCESS_LOG": "0",
            "DTZ_LOG_LEVEL": "warning",
            "PICCOLO_CONF": "dtz_events.piccolo_conf",
        }
    )
    env.update(extra)
    return env


def run_cli(args: Sequence[str], env: dict[str, str], timeout: float) -> str:
    """Run `dtz-events ARGS` with this interpreter; its output, or RuntimeError with it."""
    done = subprocess.run(
        [sys.executable, "-m", "dtz_events.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"dtz-events {args[0]} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """`dtz-events run --no-migrate` in its own session, so that stopping it reaches its workers too."""

    process: subprocess.Popen[bytes]
    host: str
    port: int
    log: Path
    stopped: bool = False

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @classmethod
    def start(cls, env: dict[str, str], workers: int, log: Path, timeout: float = 30) -> Server:
        """Start the server with its output going to `log`; return once it answers."""
        host, port = "127.0.0.1", free_port()
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "dtz_events.cli", "run", "--no-migrate"),
                    *("--host", host, "--port", str(port), "--workers", str(workers)),
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = cls(process=process, host=host, port=port, log=log)
        try:
            server._wait_ready(workers, timeout)
        except BaseException:
            server.stop()
            raise
        return server

    def _wait_ready(self, workers: int, timeout: float) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}")
            # Ready when every worker is up: the parent has its children and /health/ready answers.
            if len(ProcessTree(self.pid).pids()) > workers and self._ready():
                return
            time.sleep(0.2)
        raise TimeoutError(f"the server was not ready within {timeout:.0f} s")

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/health/ready", timeout=1) as response:  # noqa: S310
                return bool(response.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    def log_size(self) -> int:
        try:
            return self.log.stat().st_size
        except OSError:
            return 0

    def log_errors(self, start: int = 0, end: int | None = None) -> list[str]:
        """The ERROR and CRITICAL records (first lines) the server logged between two log offsets."""
        with contextlib.suppress(OSError), self.log.open("rb") as f:
            f.seek(start)
            text = f.read(-1 if end is None else max(end - start, 0)).decode(errors="replace")
            return [line for line in text.splitlines() if line.startswith(("ERROR", "CRITICAL"))]
        return []

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM to the server (uvicorn stops its workers), then SIGKILL to its process group. Once."""
        if self.stopped:
            return
        self.stopped = True
        if self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)  # its own session: pgid == pid; only what it started
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)


# ---------------------------------------------------------------- /proc


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text()
    except OSError:
        return None


class ProcessTree:
    """A process and its descendants, found through /proc/PID/task/TID/children."""

    def __init__(self, root: int) -> None:
        self.root = root

    def pids(self) -> list[int]:
        found, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            if _read(f"/proc/{pid}/stat") is None:
                continue
            found.append(pid)
            try:
                tasks = os.listdir(f"/proc/{pid}/task")
            except OSError:
                continue
            for tid in tasks:
                children = _read(f"/proc/{pid}/task/{tid}/children") or ""
                todo.extend(int(c) for c in children.split())
        return found


def rss_kib(pid: int) -> int:
    """Resident set size of one process (0 once it has gone)."""
    statm = _read(f"/proc/{pid}/statm")
    return int(statm.split()[1]) * PAGE_KIB if statm else 0


def hwm_kib(pid: int) -> int:
    """The kernel's own peak RSS of one process (VmHWM)."""
    for line in (_read(f"/proc/{pid}/status") or "").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (0 once it has gone)."""
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime and stime: fields 14 and 15


def postgres_backends(database: str) -> list[int]:
    """PostgreSQL server processes serving `database`: their titles read `postgres: [CLUSTER:] USER DATABASE
    HOST(PORT) STATE`."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            title = (_read(f"/proc/{entry}/cmdline") or "").replace("\0", " ").split()
            if title[:1] != ["postgres:"]:
                continue
            words = title[2:] if len(title) > 1 and title[1].endswith(":") else title[1:]
            if len(words) >= 2 and words[1] == database:
                found.append(int(entry))
    return found


def machine_busy_seconds() -> float:
    """CPU time spent by the whole machine (all cores) outside idle and iowait, from /proc/stat."""
    first = (_read("/proc/stat") or "cpu 0 0 0 0").splitlines()[0].split()[1:]
    ticks = [int(x) for x in first[:8]]
    return (sum(ticks) - ticks[3] - ticks[4]) / CLK_TCK


class RssSampler:
    """Samples the summed RSS of a process tree every `interval` seconds in a thread; `peak_kib` is the
    largest sum seen since the last `reset()`. The tree is re-read every second: workers may be replaced."""

    def __init__(self, root: int, interval: float = 0.1) -> None:
        self.tree = ProcessTree(root)
        self.interval = interval
        self.peak_kib = 0
        self._pids: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def reset(self) -> None:
        self.peak_kib = 0

    def pids(self) -> list[int]:
        return list(self._pids) or self.tree.pids()

    def _run(self) -> None:
        refreshed = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            if now - refreshed >= 1.0:
                self._pids, refreshed = self.tree.pids(), now
            self.peak_kib = max(self.peak_kib, sum(rss_kib(p) for p in self._pids))
            self._stop.wait(self.interval)


# ---------------------------------------------------------------- HTTP


class HttpError(Exception):
    pass


def build_request(
    method: str, path: str, host: str, headers: dict[str, str] | None = None, body: Any = None
) -> bytes:
    """A complete HTTP/1.1 keep-alive request; a non-bytes `body` is sent as JSON."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    payload = b""
    if body is not None:
        payload = body if isinstance(body, bytes) else json.dumps(body, separators=(",", ":")).encode()
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    elif method in ("POST", "PUT", "PATCH"):
        lines.append("Content-Length: 0")
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload


class Connection:
    """One HTTP/1.1 keep-alive connection, one request at a time. Just enough HTTP for our own server:
    Content-Length or chunked bodies, reconnecting when the server closes."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
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
        return status, body

    @staticmethod
    async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append((await reader.readexactly(size + 2))[:-2])

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        self._reader = self._writer = None


class Measured:
    """Figures of a measured run, for a dataclass with `latencies_ms`, `statuses` and `wall_s`; answers
    other than `success_status` count as errors."""

    success_status: ClassVar[int] = 200
    latencies_ms: list[float]
    statuses: dict[int, int]
    wall_s: float

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != self.success_status)

    @property
    def rps(self) -> float:
        return self.requests / self.wall_s if self.wall_s else 0.0

    def p(self, pct: float) -> float:
        return percentile(self.latencies_ms, pct)


@dataclass
class Answers:
    """What came back from a run of requests: latencies, statuses and a few failures to show."""

    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)


async def send_all(
    server: Server, requests: list[bytes], concurrency: int, accept: Callable[[int, bytes], bool]
) -> Answers:
    """Send every request once over `concurrency` keep-alive connections, each waiting for its answer;
    `accept(status, body)` counts a good answer and says whether it was one."""
    answers = Answers()
    pending = iter(requests)

    async def worker() -> None:
        conn = Connection(server.host, server.port)
        try:
            for raw in pending:
                started = time.perf_counter()
                try:
                    status, body = await conn.request(raw)
                except (OSError, asyncio.IncompleteReadError) as exc:
                    status, body = 0, repr(exc).encode()
                    await conn.close()
                answers.latencies_ms.append((time.perf_counter() - started) * 1000)
                answers.statuses[status] = answers.statuses.get(status, 0) + 1
                if not accept(status, body) and len(answers.error_samples) < 5:
                    answers.error_samples.append(f"{status} {body[:200].decode(errors='replace')}")
        finally:
            await conn.close()

    async with asyncio.TaskGroup() as tg:
        for _ in range(min(concurrency, len(requests))):
            tg.create_task(worker())
    return answers


@dataclass
class Api:
    """JSON calls for seeding: a pool of keep-alive connections and an Authorization header."""

    host: str
    port: int
    headers: dict[str, str] = field(default_factory=dict)

    async def call(
        self, conn: Connection, method: str, path: str, body: Any = None, expect: int = 200
    ) -> Any:
        status, payload = await conn.request(build_request(method, path, self.host, self.headers, body))
        if status != expect:
            raise HttpError(f"{method} {path}: {status} {payload[:300]!r}")
        return json.loads(payload) if payload else None

    async def map(
        self, fn: Callable[[Connection, T], Coroutine[Any, Any, Any]], items: Sequence[T], concurrency: int
    ) -> list[Any]:
        """`fn(conn, item)` for every item, `concurrency` at a time; results in the order of `items`."""
        results: list[Any] = [None] * len(items)
        next_index = iter(range(len(items)))

        async def worker() -> None:
            conn = Connection(self.host, self.port)
            try:
                for i in next_index:
                    results[i] = await fn(conn, items[i])
            finally:
                await conn.close()

        async with asyncio.TaskGroup() as tg:
            for _ in range(min(concurrency, len(items))):
                tg.create_task(worker())
        return results


# ---------------------------------------------------------------- statistics


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * pct // 100))
    return sorted_values[int(rank) - 1]


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"
