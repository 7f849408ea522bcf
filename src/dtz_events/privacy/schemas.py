from __future__ import annotations

from datetime import datetime
from typing import Any

from dtz_events.core.schemas import Output


class PersonExport(Output):
    """Everything stored about one person: their own row, and per table the rows that point at them
    (directly, or through their registrations and survey invitations). Token digests are left out."""

    exported_at: datetime
    person: dict[str, Any]
    data: dict[str, list[dict[str, Any]]]


class ErasureOut(Output):
    person_id: int
    erased_at: datetime
    rows: dict[str, int]  # per table, how many rows were anonymised or blanked


class RetentionOut(Output):
    days_after_event: dict[str, int]


class AuditEntryOut(Output):
    id: int
    at: datetime
    account_id: int | None
    account_email: str
    role: str
    method: str
    route: str
    path: str
    target_ids: dict[str, Any]
    status: int
    outcome: str
    request_id: str | None
