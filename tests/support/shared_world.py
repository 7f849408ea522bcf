"""For modules that build one world and share it between their tests (to stay fast): an app client that
lives as long as the module, and the emptying of every table that the module then does itself."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from dtz_events.app import create_app
from dtz_events.core.db import is_postgres
from dtz_events.settings import Settings
from dtz_events.tables import all_tables


@asynccontextmanager
async def app_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Like the `client` fixture, for any scope."""
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as client:
        yield client


async def empty_all_tables() -> None:
    """What conftest's `empty_tables` does after each test."""
    tables = all_tables()
    names = [t._meta.tablename for t in tables]
    if is_postgres():
        await tables[0].raw(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE")
    else:
        for name in reversed(names):
            await tables[0].raw(f"DELETE FROM {name}")


async def table_counts() -> dict[str, int]:
    """Rows per table: compare before and after a request that must write nothing."""
    return {t._meta.tablename: await t.count() for t in all_tables()}
