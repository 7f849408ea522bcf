"""Resolves the caller from an API key (Authorization: Bearer) or the session cookie; anonymous otherwise."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from dtz_events.accounts import services

SESSION_KEY = "account_id"


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
            principal = await services.principal_for_account(account_id)
            if principal is None:  # deactivated or removed: the cookie forgets the account with this answer
                connection.scope["session"] = {k: v for k, v in session.items() if k != SESSION_KEY}
            return AuthenticationResult(user=principal, auth="session" if principal else None)
        return AuthenticationResult(user=None, auth=None)
