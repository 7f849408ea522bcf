"""CSRF protection for everything a browser's cookies can authorise.

Litestar's double-submit middleware (a signed token in an HttpOnly cookie, repeated in the form field
`_csrf_token` or the `X-CSRFToken` header) guards every unsafe request, the JSON API with a session cookie
included, because
Litestar decodes a JSON body whatever its Content-Type says, so a cross-site text/plain form could otherwise
post JSON with the victim's session. Exempt, because nothing ambient authorises them:

- requests with `Authorization: Bearer ...`: a browser never adds an API key by itself (a cross-site page
  cannot set the header without a CORS preflight, which only our own origin passes), and with the header
  the session cookie is ignored (PrincipalMiddleware);
- API requests (`/api/...`) that carry no session cookie: they act as anonymous, which an attacker can do
  without a victim (so the API's own `POST /api/auth/login` from a script, and anonymous calls still get
  their 401 from the guard). Pages are always protected, the login form included (login CSRF);
- `POST /api/auth/login` sent as `application/json`, even with a session cookie: it carries its own
  credential, and a cross-site page cannot send that content type without a CORS preflight, which only our
  own origin passes (so no login CSRF either). Sent as anything else, it needs the token.

A refused request gets 403: an HTML page on pages, problem+json under /api."""

from __future__ import annotations

import hashlib
from typing import Any

from litestar import Request
from litestar.config.csrf import CSRFConfig
from litestar.enums import ScopeType
from litestar.exceptions import PermissionDeniedException
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.response import Response, Template
from litestar.status_codes import HTTP_403_FORBIDDEN
from litestar.types import Receive, Scope, Send

from dtz_events.core.errors import problem_response
from dtz_events.core.i18n import gettext, pick_language

COOKIE = "dtz_csrf"
HEADER = "x-csrftoken"
# /api/matchmaking/<token>/...: the participant's link token in the path is the credential; no cookie
# authorises anything there, so there is nothing ambient to forge.
EXEMPT_PATHS = ["^/health", "^/schema", "^/api/matchmaking/"]
SESSION_COOKIE = b"dtz_session"
JSON_LOGIN = "/api/auth/login"
_REFUSED = "CSRF token verification failed"


class CsrfRefused(PermissionDeniedException):
    """The token is missing or does not match the cookie."""


def _nothing_ambient(scope: Scope) -> bool:
    """A Bearer API key; the JSON login; or an API call without the session cookie."""
    cookies = b""
    content_type = b""
    for name, value in scope.get("headers", ()):
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            return True
        if name == b"cookie":
            cookies += value + b";"
        elif name == b"content-type":
            content_type = value
    path = scope.get("path", "")
    if path == JSON_LOGIN and content_type.split(b";")[0].strip().lower() == b"application/json":
        return True
    return path.startswith("/api/") and SESSION_COOKIE not in cookies


class BearerExemptCsrfMiddleware(CSRFMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and _nothing_ambient(scope):
            await self.app(scope, receive, send)
            return
        try:
            await super().__call__(scope, receive, send)
        except PermissionDeniedException as exc:
            if exc.detail == _REFUSED and not isinstance(exc, CsrfRefused):
                raise CsrfRefused(_REFUSED) from exc
            raise


def csrf_config(secret_key: str, secure: bool) -> CSRFConfig:
    return CSRFConfig(
        secret=hashlib.sha256(b"csrf:" + secret_key.encode()).hexdigest(),
        cookie_name=COOKIE,
        header_name=HEADER,
        cookie_httponly=True,  # our scripts read the token from the page's <meta name="csrf-token">
        cookie_samesite="lax",
        cookie_secure=secure,
        exclude=EXEMPT_PATHS,
    )


def csrf_middleware(secret_key: str, secure: bool) -> DefineMiddleware:
    return DefineMiddleware(BearerExemptCsrfMiddleware, config=csrf_config(secret_key, secure))


def csrf_refused(request: Request[Any, Any, Any], _: CsrfRefused) -> Response[Any]:
    if request.url.path.startswith("/api/"):
        return problem_response(HTTP_403_FORBIDDEN, "the CSRF token is missing or wrong; reload the page")
    principal = request.scope.get("user")
    lang = pick_language(
        request.session.get("lang") if "session" in request.scope else None,
        getattr(principal, "language", None),
        request.headers.get("accept-language"),
    )
    context = {
        "lang": lang,
        "heading": gettext(lang, "This form has expired"),
        "message": gettext(lang, "Go back, reload the page and send the form again."),
    }
    return Template("problem.html.j2", context=context, status_code=HTTP_403_FORBIDDEN)
