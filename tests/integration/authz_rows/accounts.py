"""Authorization rows of the account routes beyond the core table's (login, listing, adding, API keys)."""

from __future__ import annotations

from typing import Any

from dtz_events.accounts.schemas import AccountCreate
from dtz_events.accounts.services import create_account
from dtz_events.core.auth import Role
from tests.integration.authz_rows.pages import ADMIN_POST, with_csrf
from tests.support.authz import Ctx, Row, codes, const


async def fresh_account(ctx: Ctx, role: str) -> dict[str, int]:
    """An organiser of its own per role, so that changing it touches none of the callers."""
    n = ctx.next()
    account = await create_account(
        AccountCreate(email=f"te-wijzigen-{n}@dutchtechzone.nl", name=f"Te Wijzigen {n}", role=Role.organiser)
    )
    return {"account_id": account.id}


async def renamed_board_secretary(ctx: Ctx, role: str, body: Any) -> None:
    assert body["name"] == "Gewijzigd Account"
    assert body["role"] == "board_secretary"
    assert body["active"] is True


ROWS: list[Row] = [
    Row(
        "change an account",
        "PATCH",
        "/api/accounts/{account_id:int}",
        codes(401, 200, 403, 403, 403, 403),
        params=fresh_account,
        body=const({"name": "Gewijzigd Account", "role": "board_secretary"}),
        check=renamed_board_secretary,
    ),
    Row(
        "change an account on the accounts page (admins only)",
        "POST",
        "/organiser/accounts/{account_id:int}",
        ADMIN_POST,
        params=fresh_account,
        body=with_csrf(const({"action": "save", "role": "board_secretary", "organisation_id": ""})),
        form=True,
        page=True,
    ),
]
