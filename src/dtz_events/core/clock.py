"""The one source of 'now', and conversion to the cooperation's time zone for output."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Europe/Amsterdam")


def utcnow() -> datetime:
    return datetime.now(UTC)


def local(value: datetime) -> datetime:
    return value.astimezone(LOCAL_TZ)


def local_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(LOCAL_TZ)
