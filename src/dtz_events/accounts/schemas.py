from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import UNSET, Meta, UnsetType

from dtz_events.core.auth import Role
from dtz_events.core.schemas import EmailText, Id, Input, Language, Name, Output

Password = Annotated[str, Meta(min_length=12, max_length=200)]


class LoginInput(Input):
    email: EmailText
    password: Annotated[str, Meta(min_length=1, max_length=200)]


class AccountCreate(Input):
    email: EmailText
    name: Name
    role: Role
    password: Password | None = None
    organisation_id: Id | None = None
    language: Language = "nl"


class AccountUpdate(Input):
    """What an admin changes of an account; a field left out stays as it is. `organisation_id: null` takes the
    organisation away (needed when a partner coordinator gets another role)."""

    role: Role | UnsetType = UNSET
    active: bool | UnsetType = UNSET
    name: Name | UnsetType = UNSET
    organisation_id: Id | UnsetType | None = UNSET


class AccountOut(Output):
    id: int
    email: str
    name: str
    role: Role
    organisation_id: int | None
    language: str
    active: bool
    created_at: datetime
    last_login_at: datetime | None


class ApiKeyCreate(Input):
    name: Name


class ApiKeyOut(Output):
    id: int
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str
