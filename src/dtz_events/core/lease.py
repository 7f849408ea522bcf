"""A lease row: at most one holder at a time, taken over once the holder stops renewing it. The scheduler
uses it so that of all scheduler processes exactly one ticks; works the same on PostgreSQL and SQLite."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from piccolo.columns import Serial, Timestamptz, Varchar
from piccolo.table import Table

from dtz_events.core.clock import utcnow
from dtz_events.core.db import is_unique_violation


class Lease(Table):
    id: Serial
    name = Varchar(length=60, unique=True)
    holder = Varchar(length=200, null=True, default=None)
    expires_at = Timestamptz()


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def acquire(name: str, holder: str, ttl: float) -> bool:
    """Take or renew the lease: True while `holder` has it for the next `ttl` seconds."""
    now = utcnow()
    until = now + timedelta(seconds=ttl)
    taken = (
        await Lease.update({Lease.holder: holder, Lease.expires_at: until})
        .where(
            (Lease.name == name)
            & ((Lease.holder == holder) | (Lease.expires_at < now) | Lease.holder.is_null())
        )
        .returning(Lease.id)
    )
    if taken:
        return True
    if await Lease.exists().where(Lease.name == name):
        return False
    try:
        await Lease.insert(Lease(name=name, holder=holder, expires_at=until))
    except Exception as exc:
        if is_unique_violation(exc):  # another process created it first: it holds it
            return False
        raise
    return True


async def release(name: str, holder: str) -> None:
    await Lease.update({Lease.holder: None, Lease.expires_at: utcnow()}).where(
        (Lease.name == name) & (Lease.holder == holder)
    )


async def current_holder(name: str) -> str | None:
    row = await Lease.select(Lease.holder, Lease.expires_at).where(Lease.name == name).first()
    if row is None or row["holder"] is None or row["expires_at"] < utcnow():
        return None
    return str(row["holder"])
