"""Guessing is limited: after N failed logins (or N unknown link tokens) from one address, the next attempt
gets 429 problem+json with Retry-After, the right password included; others are not affected."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import httpx
import pytest

from dtz_events.accounts.schemas import AccountCreate
from dtz_events.accounts.services import create_account
from dtz_events.app import create_app
from dtz_events.core.auth import Role
from dtz_events.settings import Settings

pytestmark = pytest.mark.sqlite

PASSWORD = "correct horse battery staple"


@asynccontextmanager
async def app_client(
    settings: Settings, address: str, monkeypatch: pytest.MonkeyPatch, **env: str
) -> AsyncIterator[httpx.AsyncClient]:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    transport = httpx.ASGITransport(app=create_app(settings), client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as client:
        yield client


def _address() -> str:
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


async def _account() -> str:
    account = await create_account(
        AccountCreate(email="inlog@dutchtechzone.nl", name="Inlogger", role=Role.organiser, password=PASSWORD)
    )
    return account.email


def _is_429(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 429
    return int(response.headers["retry-after"])


async def test_the_eleventh_failed_login_is_refused(settings, monkeypatch):
    email = await _account()
    address = _address()
    async with app_client(settings, address, monkeypatch, DTZ_RATE_LIMIT_LOGIN="10/300") as client:
        ok = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        assert ok.status_code == 200, "a good login is not counted"
        for _ in range(10):
            r = await client.post("/api/auth/login", json={"email": email, "password": "wrong password!"})
            assert r.status_code == 401
        wait = _is_429(await client.post("/api/auth/login", json={"email": email, "password": PASSWORD}))
        assert 0 < wait <= 300
    async with app_client(settings, _address(), monkeypatch) as other:
        r = await other.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        assert r.status_code == 200, "another address is not affected"


async def test_unknown_link_tokens_are_limited(settings, monkeypatch):
    async with app_client(settings, _address(), monkeypatch, DTZ_RATE_LIMIT_TOKENS="5/60") as client:
        for n in range(5):
            r = await client.get(f"/feeds/guess-{n}.ics")
            assert r.status_code == 404, r.text
        _is_429(await client.get("/feeds/guess-x.ics"))
        _is_429(await client.get("/rsvp/guess-y"))  # the same group: every link with a token


async def test_limits_are_shared_through_redis(settings, monkeypatch):
    """Two web processes (two apps here) with a redis:// broker count together."""
    email = await _account()
    address = _address()
    redis_settings = replace(settings, broker_url="redis://127.0.0.1:6379/0")
    env = {"DTZ_RATE_LIMIT_LOGIN": "3/30"}
    async with app_client(redis_settings, address, monkeypatch, **env) as first:
        for _ in range(3):
            r = await first.post("/api/auth/login", json={"email": email, "password": "wrong password!"})
            assert r.status_code == 401
    async with app_client(redis_settings, address, monkeypatch, **env) as second:
        _is_429(await second.post("/api/auth/login", json={"email": email, "password": PASSWORD}))
