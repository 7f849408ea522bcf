"""Rate limits on the endpoints that can be guessed at: login, and every link that carries a token.

What is counted is failures (a refused login, an unknown or revoked token) per client address within a
window; once a client has used up its failures, every further attempt on that group is answered 429
problem+json with Retry-After until the window ends, the right password or token included. People who use
their links and passwords normally are never counted.

The counts live in this process's memory by default, and in Redis (shared by every web process) when
`DTZ_RATE_LIMIT_URL`, or else a `redis://` `DTZ_BROKER_URL`, is set. Limits: `DTZ_RATE_LIMIT_LOGIN` and
`DTZ_RATE_LIMIT_TOKENS` as `failures/seconds` (defaults 10/300 and 30/60); `0/…` switches a group off."""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass
from typing import Any, Protocol, cast

from litestar.types import ASGIApp, Receive, Scope, Send

logger = logging.getLogger(__name__)

LOGIN_PATHS = frozenset({"/api/auth/login", "/login"})


@dataclass(frozen=True)
class Limit:
    failures: int
    window: int  # seconds

    @classmethod
    def parse(cls, text: str, default: Limit) -> Limit:
        try:
            failures, window = text.split("/", 1)
            return cls(int(failures), max(1, int(window)))
        except ValueError:
            return default


class Store(Protocol):
    async def retry_after(self, key: str) -> int:
        """Seconds until `key` may try again (0: it may now)."""
        ...

    async def fail(self, key: str, limit: Limit) -> None: ...


class MemoryStore:
    """Fixed windows in this process: {key: (window ends at, failures)}."""

    def __init__(self) -> None:
        self.windows: dict[str, tuple[float, int, int]] = {}  # ends_at, failures, limit

    async def retry_after(self, key: str) -> int:
        entry = self.windows.get(key)
        if entry is None:
            return 0
        ends_at, failures, limit = entry
        now = time.monotonic()
        if now >= ends_at:
            del self.windows[key]
            return 0
        return math.ceil(ends_at - now) if failures >= limit else 0

    async def fail(self, key: str, limit: Limit) -> None:
        now = time.monotonic()
        if len(self.windows) > 100_000:  # a flood of addresses: drop what has expired
            self.windows = {k: v for k, v in self.windows.items() if v[0] > now}
        ends_at, failures, _ = self.windows.get(key, (now + limit.window, 0, limit.failures))
        if now >= ends_at:
            ends_at, failures = now + limit.window, 0
        self.windows[key] = (ends_at, failures + 1, limit.failures)


class RedisStore:
    """The same windows in Redis, so that every web process shares them."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self.client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)

    async def retry_after(self, key: str) -> int:
        try:
            raw = await self.client.get(f"dtz:rl:{key}")
            if raw is None:
                return 0
            failures, limit = json.loads(raw)
            if failures < limit:
                return 0
            ttl = await self.client.ttl(f"dtz:rl:{key}")
            return max(1, int(ttl))
        except Exception:  # Redis down: fail open, logins must not depend on it
            logger.warning("rate limit store unavailable", exc_info=True)
            return 0

    async def fail(self, key: str, limit: Limit) -> None:
        name = f"dtz:rl:{key}"
        try:
            raw = await self.client.get(name)
            failures = json.loads(raw)[0] if raw else 0
            ttl = await self.client.ttl(name) if raw else -2
            await self.client.set(
                name, json.dumps([failures + 1, limit.failures]), ex=ttl if ttl > 0 else limit.window
            )
        except Exception:
            logger.warning("rate limit store unavailable", exc_info=True)


def make_store(settings: Any) -> Store:
    import os

    url = os.environ.get("DTZ_RATE_LIMIT_URL") or (
        settings.broker_url if settings.broker_url.startswith(("redis://", "rediss://")) else ""
    )
    return RedisStore(url) if url else MemoryStore()


def _group(method: str, route: str) -> str | None:
    if method == "POST" and route in LOGIN_PATHS:
        return "login"
    if "{token" in route:
        return "tokens"
    return None


def _is_failure(group: str, status: int) -> bool:
    if group == "login":
        return status in (400, 401, 403, 422)
    return status in (401, 403, 404, 410)


class RateLimitMiddleware:
    """ASGI middleware inside the router's reach: it needs `path_template`, so it is a Litestar middleware
    (`scope['path_template']` is set before user middleware runs)."""

    def __init__(self, app: ASGIApp, store: Store, limits: dict[str, Limit]) -> None:
        self.app = app
        self.store = store
        self.limits = limits

    async def __call__(self, asgi_scope: Scope, receive: Receive, send: Send) -> None:
        scope = cast("dict[str, Any]", asgi_scope)
        group = (
            _group(scope.get("method", ""), scope.get("path_template") or "")
            if scope["type"] == "http"
            else None
        )
        limit = self.limits.get(group or "")
        if group is None or limit is None or limit.failures <= 0:
            await self.app(asgi_scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        key = f"{group}:{client}"
        wait = await self.store.retry_after(key)
        if wait:
            await _too_many(send, wait, group)
            return
        status = 500

        async def watch(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)  # type: ignore[arg-type]

        await self.app(asgi_scope, receive, watch)  # type: ignore[arg-type]
        if _is_failure(group, status):
            await self.store.fail(key, limit)


async def _too_many(send: Any, wait: int, group: str) -> None:
    what = "login attempts" if group == "login" else "attempts with invalid links"
    body = json.dumps(
        {
            "type": "https://dutchtechzone.nl/problems/too-many-requests",
            "title": "Too Many Requests",
            "status": 429,
            "detail": f"too many failed {what} from your address; try again in {wait} s",
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(wait).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def limits_from_env() -> dict[str, Limit]:
    import os

    return {
        "login": Limit.parse(os.environ.get("DTZ_RATE_LIMIT_LOGIN", ""), Limit(10, 300)),
        "tokens": Limit.parse(os.environ.get("DTZ_RATE_LIMIT_TOKENS", ""), Limit(30, 60)),
    }
