"""Test set-up: a fresh database per run (PostgreSQL by default, SQLite with DTZ_TEST_BACKEND=sqlite),
migrated once, emptied between tests. Everything a fixture starts, it stops."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

BACKEND = os.environ.get("DTZ_TEST_BACKEND", "postgres")
PG_ADMIN_URL = os.environ.get("DTZ_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TEST_DB_NAME = f"dtz_test_{os.getpid()}"
_tmp = tempfile.mkdtemp(prefix="dtz-test-")


def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


if BACKEND == "postgres":
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{TEST_DB_NAME}"'))
    asyncio.run(_pg_admin(f'CREATE DATABASE "{TEST_DB_NAME}"'))
    os.environ["DTZ_DATABASE_URL"] = _pg_url(TEST_DB_NAME)
else:
    os.environ["DTZ_DATABASE_URL"] = f"sqlite:///{Path(_tmp) / 'test.sqlite3'}"
os.environ["DTZ_BASE_URL"] = "http://testserver.local"
os.environ["DTZ_SECRET_KEY"] = "test-secret-key-not-for-production"
os.environ.pop("DTZ_BROKER_URL", None)
os.environ.pop("DTZ_SMTP_URL", None)
os.environ["PICCOLO_CONF"] = "dtz_events.piccolo_conf"

from dtz_events.core import db  # noqa: E402
from dtz_events.migrate import migrate  # noqa: E402
from dtz_events.settings import Settings  # noqa: E402
from dtz_events.tables import all_tables  # noqa: E402

pytest_plugins = ["tests.support.fixtures"]


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="session", autouse=True)
async def database(settings: Settings) -> AsyncIterator[None]:
    await migrate(settings)
    await db.connect(settings)
    yield
    await db.disconnect()
    if BACKEND == "postgres":
        await _pg_admin(f'DROP DATABASE IF EXISTS "{TEST_DB_NAME}" WITH (FORCE)')


@pytest.fixture(autouse=True)
async def empty_tables(database: None) -> AsyncIterator[None]:
    yield
    names = [t._meta.tablename for t in all_tables()]
    if BACKEND == "postgres":
        await all_tables()[0].raw(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE")
    else:
        for name in reversed(names):
            await all_tables()[0].raw(f"DELETE FROM {name}")


@pytest.fixture(scope="session")
def backend() -> str:
    return BACKEND


@pytest.fixture(scope="session")
def tmp_root() -> Path:
    return Path(_tmp)
