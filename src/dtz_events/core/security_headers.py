"""Security headers on every response: a strict Content-Security-Policy on pages (scripts and everything else
from this origin only, nothing inline but styles), a closed one on API answers, and the usual companions.

The API documentation under /schema loads its renderer from a CDN with inline scripts, so it gets no CSP of
ours (it shows no personal data). Referrer-Policy matters here: participant links carry their token in the
path, and no-referrer keeps it out of other sites' logs."""

from __future__ import annotations

from typing import Any, cast

from litestar.types import ASGIApp, Receive, Scope, Send

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-src 'self'; frame-ancestors 'none'; form-action 'self'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"
DOCS_PREFIX = "/schema"

COMMON = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    # The check-in page scans QR codes with the phone's camera; nothing needs the rest.
    (b"permissions-policy", b"camera=(self), microphone=(), geolocation=(), payment=(), usb=()"),
)
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.extra = (*COMMON, HSTS) if https else COMMON

    async def __call__(self, asgi_scope: Scope, receive: Receive, send: Send) -> None:
        scope = cast("dict[str, Any]", asgi_scope)
        if scope["type"] != "http":
            await self.app(asgi_scope, receive, send)
            return
        docs = scope.get("path", "").startswith(DOCS_PREFIX)

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in self.extra if name not in present]
                if not docs and b"content-security-policy" not in present:
                    html = any(
                        name.lower() == b"content-type" and value.startswith(b"text/html")
                        for name, value in headers
                    )
                    headers.append((b"content-security-policy", (PAGE_CSP if html else API_CSP).encode()))
                message["headers"] = headers
            await send(message)  # type: ignore[arg-type]

        await self.app(asgi_scope, receive, send_with_headers)  # type: ignore[arg-type]
