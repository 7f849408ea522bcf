"""Database engine from settings, connection lifecycle and the write transaction used for counting seats."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.querystring import QueryString

from dtz_events.settings import Settings


def engine_from_settings(settings: Settings) -> Engine:
    if settings.is_sqlite:
        # A busy timeout lets concurrent writers queue instead of failing with "database is locked".
        return SQLiteEngine(path=str(settings.sqlite_path), timeout=30)
    url = settings.database_url.replace("postgresql+asyncpg://", "postgresql://")
    return PostgresEngine(config={"dsn": url})


_bound: Engine | None = None


def bind(settings: Settings) -> Engine:
    """Point every table at the engine for these settings (the default comes from the environment)."""
    global _bound
    from dtz_events.tables import all_tables

    default = engine_finder()
    if _bound is None and default is not None and _same_database(default, settings):
        _bound = default
    elif _bound is None or not _same_database(_bound, settings):
        _bound = engine_from_settings(settings)
    for table in all_tables():
        table._meta._db = _bound
    return _bound


def _same_database(db: Engine, settings: Settings) -> bool:
    if isinstance(db, SQLiteEngine):
        return settings.is_sqlite and db.path == str(settings.sqlite_path)
    if isinstance(db, PostgresEngine):
        wanted = engine_from_settings(settings)
        return isinstance(wanted, PostgresEngine) and db.config.get("dsn") == wanted.config.get("dsn")
    return False


def engine() -> Engine:
    db = _bound or engine_finder()
    if db is None:  # pragma: no cover - piccolo_conf always defines DB
        raise RuntimeError("No Piccolo engine configured")
    return db


def is_postgres() -> bool:
    return isinstance(engine(), PostgresEngine)


async def connect(settings: Settings) -> bool:
    """Start the connection pool; False when one is running already (then its owner closes it)."""
    db = bind(settings)
    if isinstance(db, PostgresEngine):
        if db.pool is not None:
            return False
        await db.start_connection_pool(min_size=1, max_size=settings.db_pool_size, reset=_keep_session)
    elif isinstance(db, SQLiteEngine):
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        await db.run_ddl("PRAGMA journal_mode=WAL")
    return True


async def _keep_session(connection: Any) -> None:
    """asyncpg resets every connection it takes back (4 statements): the app keeps no session state
    (no advisory locks, LISTEN or SET), so that round trip is skipped."""


async def disconnect() -> None:
    db = engine()
    if isinstance(db, PostgresEngine) and db.pool is not None:
        await db.close_connection_pool()


_after_commit: ContextVar[list[Callable[[], None]] | None] = ContextVar("after_commit", default=None)


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the outermost write_transaction() commits (at once outside of one)."""
    pending = _after_commit.get()
    if pending is None:
        callback()
    else:
        pending.append(callback)


@asynccontextmanager
async def write_transaction() -> AsyncIterator[Any]:
    """A transaction that serialises writers: row locks on PostgreSQL, BEGIN IMMEDIATE on SQLite.
    Callbacks given to after_commit() inside it run after the commit, never after a rollback."""
    db = engine()
    outermost = _after_commit.get() is None
    token = _after_commit.set([]) if outermost else None
    try:
        if isinstance(db, SQLiteEngine):
            async with db.transaction(transaction_type=TransactionType.immediate) as txn:
                yield txn
        else:
            async with db.transaction() as txn:
                yield txn
        callbacks = (_after_commit.get() or []) if outermost else []
    finally:
        if token is not None:
            _after_commit.reset(token)
    for callback in callbacks:
        callback()


async def ping() -> bool:
    try:
        await engine().run_querystring(QueryString("SELECT 1"))
    except Exception:
        return False
    return True


def is_unique_violation(exc: BaseException) -> bool:
    name = type(exc).__name__
    text = str(exc)
    return name == "UniqueViolationError" or (name == "IntegrityError" and "UNIQUE" in text)
