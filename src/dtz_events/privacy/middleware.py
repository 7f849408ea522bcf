"""The audit log's recorder: after each change made by someone logged in (any method but GET, HEAD and
OPTIONS), each such attempt their role refused, and every handler that declares `opt={"audit": True}` (the
personal-data export), one row.
It reads the caller from the scope once the authentication middleware inside it has set it."""

from __future__ import annotations

import logging
from typing import Any, cast

from litestar.types import ASGIApp, Receive, Scope, Send

from dtz_events.core.logging import request_id_var

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Refusals of the input (malformed, unknown, in conflict, breaking a rule) change nothing and are not
# recorded; refusals of the caller (401, 403) are, as are changes made and server errors.
INPUT_ERRORS = frozenset({400, 404, 405, 409, 413, 415, 422, 429})


def _outcome(status: int) -> str:
    if status >= 500:
        return "error"
    return "refused" if status >= 400 else "done"


def _targets(params: dict[str, Any]) -> dict[str, Any]:
    """The ids in the path; a link's token is a secret and is not written down."""
    return {
        key: value if isinstance(value, int) else "(secret)" if "token" in key else str(value)[:100]
        for key, value in params.items()
    }


class AuditMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, asgi_scope: Scope, receive: Receive, send: Send) -> None:
        scope = cast("dict[str, Any]", asgi_scope)
        if scope["type"] != "http":
            await self.app(asgi_scope, receive, send)
            return
        status = 500

        async def watch(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)  # type: ignore[arg-type]

        try:
            await self.app(asgi_scope, receive, watch)  # type: ignore[arg-type]
        finally:
            await self._record(scope, status)

    async def _record(self, scope: dict[str, Any], status: int) -> None:
        principal = scope.get("user")
        if principal is None:
            return
        handler = scope.get("route_handler")
        audited = bool(handler is not None and handler.opt.get("audit"))
        if scope.get("method") in SAFE_METHODS and not audited:
            return
        if status in INPUT_ERRORS:  # nothing changed, nothing was attempted beyond the caller's rights
            return
        from dtz_events.privacy.services import record

        try:
            await record(
                {
                    "account": principal.account_id,
                    "account_email": principal.email,
                    "role": principal.role.value,
                    "method": scope.get("method", ""),
                    "route": (scope.get("path_template") or "")[:300],
                    "path": scope.get("path", "")[:500],
                    "target_ids": _targets(scope.get("path_params") or {}),
                    "status": status,
                    "outcome": _outcome(status),
                    "request_id": request_id_var.get(),
                }
            )
        except Exception:  # the change itself is done; a lost audit line is logged, not raised
            logger.exception(
                "could not write the audit log entry for %s %s", scope.get("method"), scope.get("path")
            )
