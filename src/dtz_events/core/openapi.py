"""The error answers every operation can give, written into the OpenAPI document: RFC 9457 problem+json with
the codes it can really return (a client generated from the document, or schemathesis, then knows them)."""

from __future__ import annotations

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec

from dtz_events.core.errors import PROBLEM_JSON, Problem
from dtz_events.core.ratelimit import LOGIN_PATHS

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DESCRIPTIONS = {
    400: "The request is malformed (bad JSON, unknown or badly typed field or parameter)",
    401: "Not logged in: log in or send an API key",
    403: "Your role may not do this",
    404: "Not found, or not yours to see",
    409: "In conflict with the current state",
    422: "Valid JSON, but a value breaks a rule; `errors[].field` names it",
    429: "Too many failed attempts from your address; see Retry-After",
    503: "The database is not reachable; try again soon",
}


def _problem(status: int) -> ResponseSpec:
    return ResponseSpec(
        Problem, description=DESCRIPTIONS[status], media_type=PROBLEM_JSON, generate_examples=False
    )


def error_codes(handler: HTTPRouteHandler, path: str) -> list[int]:
    codes = [400, 404, 422, 503]  # 404 also for what exists but is not the caller's to see
    if handler.opt.get("roles"):
        codes += [401, 403]
    elif path in LOGIN_PATHS:
        codes.append(401)  # a wrong password
    if handler.http_methods & WRITES:
        codes.append(409)
    if "{token" in path or (path in LOGIN_PATHS and "POST" in handler.http_methods):
        codes.append(429)
    return sorted(codes)


def document_problems(app: Litestar) -> None:
    """Adds the problem answers to every documented handler (what a handler declares itself wins)."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if not isinstance(handler, HTTPRouteHandler) or not handler.include_in_schema:
                continue
            declared = dict(handler.responses or {})
            handler.responses = {
                **{code: _problem(code) for code in error_codes(handler, route.path)},
                **declared,
            }
