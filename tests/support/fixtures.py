"""Shared fixtures: an in-process client, a running server, and a small Dutch TechZone world."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
import pytest

from dtz_events.accounts.schemas import AccountCreate
from dtz_events.accounts.services import create_account, create_api_key
from dtz_events.app import create_app
from dtz_events.core.auth import Principal, Role
from dtz_events.core.clock import LOCAL_TZ
from dtz_events.settings import Settings
from tests.support.smtp import SmtpSink

Client = httpx.AsyncClient


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The ASGI app in this event loop, spoken to over httpx. Its lifespan is not run: the session's
    `database` fixture holds the connection pool, and tests start workers themselves."""
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as c:
        yield c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]


def start_server(workers: int = 1, env: dict[str, str] | None = None) -> LiveServer:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dtz_events.cli",
            "run",
            "--no-migrate",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env={**os.environ, "DTZ_ACCESS_LOG": "0", "DTZ_LOG_LEVEL": "warning", **(env or {})},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/health/ready", timeout=1).status_code == 200:
                return LiveServer(url=url, process=process)
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("server did not become ready")


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture
def live_server() -> Iterator[LiveServer]:
    server = start_server(workers=2)
    yield server
    stop_server(server)


@dataclass
class Actor:
    """A caller: its account and the Authorization header of its API key (none for anonymous)."""

    role: str
    principal: Principal | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class World:
    organisations: dict[str, int]
    people: dict[str, int]
    actors: dict[str, Actor]
    events: dict[str, int]


async def make_actor(role: Role, email: str, organisation_id: int | None = None) -> Actor:
    account = await create_account(
        AccountCreate(email=email, name=email.split("@")[0], role=role, organisation_id=organisation_id)
    )
    principal = Principal(
        account_id=account.id,
        role=role,
        name=account.name,
        email=account.email,
        organisation_id=organisation_id,
    )
    key = await create_api_key(principal, "tests")
    return Actor(role=role.value, principal=principal, headers={"Authorization": f"Bearer {key.key}"})


def at(days: int, hour: int = 10) -> str:
    """An ISO time `days` from now at `hour` o'clock in Amsterdam."""
    moment = (datetime.now(LOCAL_TZ) + timedelta(days=days)).replace(
        hour=hour, minute=0, second=0, microsecond=0
    )
    return moment.isoformat()


async def build_world(client: httpx.AsyncClient) -> World:
    admin = await make_actor(Role.admin, "beheer@dutchtechzone.nl")
    h = admin.headers
    for slug, nl, en in [
        ("smart-industry-hub", "Smart Industry Hub", "Smart Industry Hub"),
        ("chemical-cluster-emmen", "Chemical Cluster Emmen", "Chemical Cluster Emmen"),
    ]:
        r = await client.post("/api/programmes", json={"slug": slug, "name_nl": nl, "name_en": en}, headers=h)
        assert r.status_code == 201, r.text
    r = await client.post(
        "/api/themes",
        json={"slug": "energietransitie", "name_nl": "Energietransitie", "name_en": "Energy transition"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    organisations = {}
    for key, body in {
        "a": {
            "name": "Emmtec Industry & Business Park",
            "kind": "company",
            "municipality": "Emmen",
            "kvk_number": "04012345",
            "programmes": ["chemical-cluster-emmen"],
        },
        "b": {"name": "Drenthe College", "kind": "school", "municipality": "Emmen"},
        "c": {"name": "Gemeente Coevorden", "kind": "municipality", "municipality": "Coevorden"},
    }.items():
        r = await client.post("/api/organisations", json=body, headers=h)
        assert r.status_code == 201, r.text
        organisations[key] = r.json()["id"]
    people = {}
    for key, name, email, org in [
        ("a1", "Anouk Jansen", "anouk.jansen@emmtec.example", "a"),
        ("a2", "Bram de Vries", "bram.devries@emmtec.example", "a"),
        ("b1", "Cor Bakker", "c.bakker@drenthecollege.example", "b"),
        ("c1", "Dirk Smit", "d.smit@coevorden.example", "c"),
    ]:
        r = await client.post(
            "/api/people",
            json={"name": name, "email": email, "organisation_id": organisations[org], "language": "nl"},
            headers=h,
        )
        assert r.status_code == 201, r.text
        people[key] = r.json()["id"]
    actors = {
        "admin": admin,
        "organiser": await make_actor(Role.organiser, "organisator@dutchtechzone.nl"),
        "board_secretary": await make_actor(Role.board_secretary, "secretaris@dutchtechzone.nl"),
        "partner_a": await make_actor(
            Role.partner_coordinator, "coordinator@emmtec.example", organisations["a"]
        ),
        "partner_b": await make_actor(
            Role.partner_coordinator, "coordinator@drenthecollege.example", organisations["b"]
        ),
        "anonymous": Actor(role="anonymous"),
    }
    events = {}
    for key, body, publish in [
        (
            "network",
            {
                "kind": "network_meeting",
                "title": "Netwerkbijeenkomst Smart Industry",
                "starts_at": at(20, 15),
                "ends_at": at(20, 18),
                "capacity": 50,
                "municipality": "Emmen",
                "venue": "Emmtec Industry & Business Park",
                "programme": "smart-industry-hub",
                "themes": ["energietransitie"],
            },
            True,
        ),
        (
            "board",
            {
                "kind": "board_session",
                "title": "Bestuurlijk Overleg DTZ",
                "starts_at": at(30, 14),
                "ends_at": at(30, 16),
                "municipality": "Hoogeveen",
            },
            True,
        ),
        (
            "promotion_draft",
            {
                "kind": "promotion_day",
                "title": "Techniekdag Coevorden",
                "starts_at": at(40, 9),
                "ends_at": at(40, 15),
                "capacity": 200,
                "municipality": "Coevorden",
            },
            False,
        ),
    ]:
        r = await client.post("/api/events", json=body, headers=h)
        assert r.status_code == 201, r.text
        events[key] = r.json()["id"]
        if publish:
            r = await client.post(f"/api/events/{events[key]}/publish", headers=h)
            assert r.status_code == 200, r.text
    return World(organisations=organisations, people=people, actors=actors, events=events)


@pytest.fixture
async def world(client: httpx.AsyncClient) -> World:
    return await build_world(client)


@dataclass
class MailEnv:
    """A running SMTP sink, the mail machinery pointed at it, and an in-process worker in this loop."""

    sink: SmtpSink
    settings: Settings

    async def flush(self, rounds: int = 20) -> None:
        """Dispatch and deliver until nothing is left queued and due."""
        from dtz_events.core.clock import utcnow
        from dtz_events.core.dispatch import _current
        from dtz_events.mail.services import sweep
        from dtz_events.mail.tables import OutboxMessage

        worker = _current
        for _ in range(rounds):
            if worker is not None:
                await worker.drain()  # type: ignore[attr-defined]
            due = await OutboxMessage.count().where(
                (OutboxMessage.status == "queued") & (OutboxMessage.next_attempt_at <= utcnow())
            )
            if not due:
                return
            await sweep(utcnow())

    async def settle(self, within: float = 10.0) -> None:
        """flush(), and again until no row is queued or being sent: a row put back for a retry (a claim
        taken back by a sweep run with a clock days ahead, say) waits out its backoff and goes too."""
        import asyncio
        import time

        from dtz_events.mail.tables import OutboxMessage

        deadline = time.monotonic() + within
        while True:
            await self.flush()
            pending = await OutboxMessage.count().where(OutboxMessage.status.is_in(["queued", "sending"]))
            if not pending or time.monotonic() > deadline:
                return
            await asyncio.sleep(0.1)


@pytest.fixture
async def mail_env(settings: Settings) -> AsyncIterator[MailEnv]:
    from dataclasses import replace

    from dtz_events.core.dispatch import InProcessDispatcher, set_dispatcher
    from dtz_events.mail.services import configure

    sink = SmtpSink(free_port())
    sink.start()
    mail_settings = replace(settings, smtp_url=sink.url)
    configure(mail_settings, retry_base=0.2, claim_timeout=5)
    worker = InProcessDispatcher()
    worker.start()
    set_dispatcher(worker)
    try:
        yield MailEnv(sink=sink, settings=mail_settings)
    finally:
        set_dispatcher(None)
        await worker.stop()
        sink.stop()
        configure(settings)
