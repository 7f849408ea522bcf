"""Liveness (the process answers) and readiness (it can reach its database and its broker)."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec

from dtz_events.core import db
from dtz_events.core.auth import PUBLIC, roles
from dtz_events.core.errors import Problem, problem_response
from dtz_events.core.schemas import Output
from dtz_events.settings import Settings

CHECK_TIMEOUT = 2.0


class HealthOut(Output):
    status: str
    database: bool | None = None
    broker: bool | None = None


async def broker_reachable(url: str) -> bool | None:
    """None when there is no broker (the embedded worker); else whether it answers within 2 s: a PING for
    Redis, the AMQP protocol greeting's TCP handshake for RabbitMQ."""
    if not url:
        return None
    if url.startswith(("redis://", "rediss://")):
        import redis.asyncio as redis

        client = redis.Redis.from_url(url, socket_timeout=CHECK_TIMEOUT, socket_connect_timeout=CHECK_TIMEOUT)
        try:
            return bool(await client.ping())
        except Exception:
            return False
        finally:
            await client.aclose()
    parts = urlsplit(url)
    port = parts.port or (5671 if parts.scheme == "amqps" else 5672)
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(parts.hostname or "127.0.0.1", port), CHECK_TIMEOUT
        )
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True


async def _database_reachable() -> bool:
    try:
        return await asyncio.wait_for(db.ping(), CHECK_TIMEOUT)
    except TimeoutError:
        return False


class HealthController(Controller):
    path = "/health"
    tags = ["health"]
    include_in_schema = True

    @get("/live", opt=roles(PUBLIC))
    async def live(self) -> HealthOut:
        return HealthOut(status="ok")

    @get(
        "/ready",
        opt=roles(PUBLIC),
        responses={503: ResponseSpec(Problem, description="The database or the broker is not reachable")},
    )
    async def ready(self, state: State) -> Response[HealthOut] | Response[Problem]:
        settings: Settings = state.settings
        database, broker = await asyncio.gather(_database_reachable(), broker_reachable(settings.broker_url))
        if database and broker is not False:
            return Response(HealthOut(status="ok", database=database, broker=broker))
        down = [name for name, up in (("database", database), ("broker", broker)) if up is False]
        return problem_response(503, f"not reachable: {', '.join(down)}")
