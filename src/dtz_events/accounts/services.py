"""Accounts, password login and API keys."""

from __future__ import annotations

import logging
import time
from typing import Any

from msgspec import UNSET

from dtz_events.accounts.schemas import AccountCreate, AccountOut, AccountUpdate, ApiKeyCreated, ApiKeyOut
from dtz_events.accounts.tables import Account, ApiKey
from dtz_events.core.auth import Principal, Role
from dtz_events.core.clock import local, local_or_none, utcnow
from dtz_events.core.db import after_commit, is_postgres, write_transaction
from dtz_events.core.errors import Conflict, InvalidInput, NotFound, Unauthorized
from dtz_events.core.schemas import normalise_email
from dtz_events.core.security import hash_password, new_token, token_digest, verify_password
from dtz_events.partners.tables import Organisation

logger = logging.getLogger(__name__)

API_KEY_PREFIX = "dtz_key"


def _principal(row: dict[str, Any]) -> Principal:
    return Principal(
        account_id=row["id"],
        role=Role(row["role"]),
        name=row["name"],
        email=row["email"],
        language=row["language"],
        organisation_id=row["organisation"],
    )


_PRINCIPAL_COLUMNS = (
    Account.id,
    Account.role,
    Account.name,
    Account.email,
    Account.language,
    Account.organisation,
)


def account_out(row: dict[str, Any]) -> AccountOut:
    return AccountOut(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        role=Role(row["role"]),
        organisation_id=row["organisation"],
        language=row["language"],
        active=row["active"],
        created_at=local(row["created_at"]),
        last_login_at=local_or_none(row["last_login_at"]),
    )


async def _check_organisation(role: Role, organisation_id: int | None) -> None:
    """A partner coordinator belongs to exactly one (existing) organisation; every other role to none."""
    if role is Role.partner_coordinator and organisation_id is None:
        raise InvalidInput("organisation_id", "a partner coordinator belongs to one organisation")
    if role is not Role.partner_coordinator and organisation_id is not None:
        raise InvalidInput("organisation_id", "only partner coordinators are bound to an organisation")
    if organisation_id is not None and not await Organisation.exists().where(
        Organisation.id == organisation_id
    ):
        raise InvalidInput("organisation_id", "no such organisation")


async def create_account(data: AccountCreate) -> AccountOut:
    email = normalise_email(data.email)
    await _check_organisation(data.role, data.organisation_id)
    if await Account.exists().where(Account.email == email):
        raise Conflict("an account with this email address exists", field="email")
    account = Account(
        email=email,
        name=data.name,
        role=data.role.value,
        organisation=data.organisation_id,
        language=data.language,
        password_hash=hash_password(data.password) if data.password else None,
    )
    await account.save()
    return await get_account(account.id)


async def get_account(account_id: int) -> AccountOut:
    row = await Account.select().where(Account.id == account_id).first()
    if row is None:
        raise NotFound("account")
    return account_out(row)


async def list_accounts() -> list[AccountOut]:
    rows = await Account.select().order_by(Account.id)
    return [account_out(r) for r in rows]


async def update_account(actor: Principal, account_id: int, data: AccountUpdate) -> AccountOut:
    """Change an account's role, name or organisation, or (de)activate it. Deactivation works at once: the
    session middleware loads only active accounts, login refuses them, and this process forgets their API
    keys (other processes within API_KEY_CACHE_SECONDS). There is always at least one active admin left."""
    async with write_transaction():
        # Every change takes the active admins' rows first, in one order: two admins demoting each other
        # at once are serialised, and the second sees that the first is no longer an admin.
        admins = Account.select(Account.id).where(
            (Account.role == Role.admin.value) & (Account.active == True)  # noqa: E712 - Piccolo needs ==
        )
        target = Account.select().where(Account.id == account_id)
        if is_postgres():
            admins, target = admins.order_by(Account.id).lock_rows(), target.lock_rows()
        active_admins = {r["id"] for r in await admins}
        row = await target.first()
        if row is None:
            raise NotFound("account")
        role = Role(row["role"]) if data.role is UNSET else data.role
        active = row["active"] if data.active is UNSET else data.active
        organisation = row["organisation"] if data.organisation_id is UNSET else data.organisation_id
        await _check_organisation(role, organisation)
        stays_admin = role is Role.admin and active
        if account_id in active_admins and not stays_admin and active_admins <= {account_id}:
            field = "active" if not active else "role"
            raise Conflict(
                "this is the last active admin: make another account admin before deactivating or "
                "demoting this one",
                field=field,
            )
        values: dict[Any, Any] = {}
        if role.value != row["role"]:
            values[Account.role] = role.value
        if active != row["active"]:
            values[Account.active] = active
        if row["active"] and not active:
            values[Account.session_epoch] = Account.session_epoch + 1
        if organisation != row["organisation"]:
            values[Account.organisation] = organisation
        if data.name is not UNSET and data.name != row["name"]:
            values[Account.name] = data.name
        if values:
            await Account.update(values).where(Account.id == account_id)
            after_commit(lambda: forget_api_keys(account_id))
    if values:
        logger.info(
            "account %s changed by account %s: %s (now role %s, active %s)",
            account_id,
            actor.account_id,
            ", ".join(sorted(c._meta.name for c in values)),
            role.value,
            active,
        )
    return await get_account(account_id)


async def set_password(account_id: int, password: str) -> None:
    await Account.update({Account.password_hash: hash_password(password)}).where(Account.id == account_id)


async def login(email: str, password: str) -> Principal:
    row = (
        await Account.select(*_PRINCIPAL_COLUMNS, Account.password_hash, Account.active)
        .where(Account.email == email.strip().lower())
        .first()
    )
    password_hash = row["password_hash"] if row else None
    if not verify_password(password_hash, password) or row is None or not row["active"]:
        raise Unauthorized("wrong email address or password")
    await Account.update({Account.last_login_at: utcnow()}).where(Account.id == row["id"])
    return _principal(row)


async def principal_for_account(account_id: int, session_epoch: int) -> Principal | None:
    """The caller behind a session cookie: its account, if active and not deactivated since the login."""
    row = (
        await Account.select(*_PRINCIPAL_COLUMNS)
        .where(
            (Account.id == account_id)
            & (Account.active == True)  # noqa: E712 - Piccolo needs ==
            & (Account.session_epoch == session_epoch)
        )
        .first()
    )
    return _principal(row) if row else None


async def session_epoch(account_id: int) -> int:
    row = await Account.select(Account.session_epoch).where(Account.id == account_id).first()
    return int(row["session_epoch"]) if row else 0


# API keys are looked up on every request by integrations: a short cache saves a query per request.
# A revoked key, or the key of an account deactivated or changed, therefore keeps its old answer for up to
# API_KEY_CACHE_SECONDS in other web processes; in the process that made the change it stops at once.
API_KEY_CACHE_SECONDS = 10.0
_api_key_cache: dict[str, tuple[float, Principal | None]] = {}
# Raised by every forget: a lookup that read the database before a change and finishes after the change
# was forgotten must not put its stale answer into the cache.
_api_key_generation = 0


def forget_api_keys(account_id: int | None = None) -> None:
    """Drop the cached answers for one account's API keys, and the cached refusals (a reactivated account's
    keys work again at once); everything when None."""
    global _api_key_generation
    _api_key_generation += 1
    if account_id is None:
        _api_key_cache.clear()
        return
    for digest, (_, principal) in list(_api_key_cache.items()):
        if principal is None or principal.account_id == account_id:
            _api_key_cache.pop(digest, None)


async def principal_for_api_key(token: str) -> Principal | None:
    if not token.startswith(API_KEY_PREFIX + "_"):
        return None
    digest = token_digest(token)
    cached = _api_key_cache.get(digest)
    now = time.monotonic()
    if cached is not None and cached[0] > now:
        return cached[1]
    generation = _api_key_generation
    principal = await _lookup_api_key(digest)
    if generation != _api_key_generation:  # something was forgotten while we looked: do not keep this
        return principal
    if len(_api_key_cache) > 10_000:
        _api_key_cache.clear()
    _api_key_cache[digest] = (now + API_KEY_CACHE_SECONDS, principal)
    return principal


async def _lookup_api_key(digest: str) -> Principal | None:
    row = (
        await ApiKey.select(
            *(getattr(ApiKey.account, c._meta.name) for c in _PRINCIPAL_COLUMNS),
        )
        .where(
            (ApiKey.digest == digest) & ApiKey.revoked_at.is_null() & (ApiKey.account.active == True)  # noqa: E712
        )
        .first()
    )
    if row is None:
        return None
    return _principal({key.removeprefix("account."): value for key, value in row.items()})


def api_key_out(row: dict[str, Any]) -> ApiKeyOut:
    return ApiKeyOut(
        id=row["id"],
        name=row["name"],
        prefix=row["prefix"],
        created_at=local(row["created_at"]),
        revoked_at=local_or_none(row["revoked_at"]),
    )


async def create_api_key(principal: Principal, name: str) -> ApiKeyCreated:
    token = new_token(API_KEY_PREFIX)
    key = ApiKey(account=principal.account_id, name=name, prefix=token[:14], digest=token_digest(token))
    await key.save()
    row = await ApiKey.select().where(ApiKey.id == key.id).first()
    assert row is not None
    out = api_key_out(row)
    return ApiKeyCreated(**{f: getattr(out, f) for f in out.__struct_fields__}, key=token)


async def list_api_keys(principal: Principal) -> list[ApiKeyOut]:
    rows = await ApiKey.select().where(ApiKey.account == principal.account_id).order_by(ApiKey.id)
    return [api_key_out(r) for r in rows]


async def revoke_api_key(principal: Principal, key_id: int) -> None:
    found = await ApiKey.exists().where((ApiKey.id == key_id) & (ApiKey.account == principal.account_id))
    if not found:
        raise NotFound("API key")
    await ApiKey.update({ApiKey.revoked_at: utcnow()}).where(
        (ApiKey.id == key_id) & ApiKey.revoked_at.is_null()
    )
    forget_api_keys()  # the cache is keyed by digest, which the row does not give back: forget them all
