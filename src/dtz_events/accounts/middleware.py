"""Resolves the caller from an API key (Authorization: Bearer) or the session cookie; anonymous otherwise."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from dtz_events.accounts import services

SESSION_KEY = "account_id"
EPOCH_KEY = "account_epoch"


async def session_for(account_id: int) -> dict[str, int]:
    """What a login puts into the session cookie: the account and its session epoch (see Account)."""
    return {SESSION_KEY: account_id, EPOCH_KEY: await services.session_epoch(account_id)}


class PrincipalMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        authorization = connection.headers.get("authorization", "")
        if authorization.lower().startswith("bearer "):
            principal = await services.principal_for_api_key(authorization[7:].strip())
            return AuthenticationResult(user=principal, auth="api_key" if principal else None)
        scope_session = connection.scope.get("session")
        session: dict[str, Any] = scope_session if isinstance(scope_session, dict) else {}
        account_id = session.get(SESSION_KEY)
        if isinstance(account_id, int):
            epoch = session.get(EPOCH_KEY, 0)  # cookies from before epochs existed hold none: 0
            if not isinstance(epoch, int):
                epoch = -1
            principal = await services.principal_for_account(account_id, epoch)
            if principal is None:  # deactivated or removed: the cookie forgets the account with this answer
                forgotten = (SESSION_KEY, EPOCH_KEY)
                connection.scope["session"] = {k: v for k, v in session.items() if k not in forgotten}
            return AuthenticationResult(user=principal, auth="session" if principal else None)
        return AuthenticationResult(user=None, auth=None)
