"""Domain errors raised by services, and their translation into RFC 9457 problem+json responses."""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://dutchtechzone.nl/problems/"


class FieldError(msgspec.Struct, frozen=True):
    field: str
    message: str


class Problem(msgspec.Struct, omit_defaults=True):
    """The body of every error response (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str = ""
    errors: list[FieldError] = msgspec.field(default_factory=list)


class DomainError(Exception):
    status = HTTPStatus.BAD_REQUEST
    slug = "bad-request"

    def __init__(self, detail: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class InvalidInput(DomainError):
    status = HTTPStatus.UNPROCESSABLE_ENTITY
    slug = "invalid-input"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", [FieldError(field=field, message=message)])


class NotFound(DomainError):
    status = HTTPStatus.NOT_FOUND
    slug = "not-found"

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found")


class Conflict(DomainError):
    status = HTTPStatus.CONFLICT
    slug = "conflict"

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(detail, [FieldError(field=field, message=detail)] if field else None)


class Forbidden(DomainError):
    status = HTTPStatus.FORBIDDEN
    slug = "forbidden"


class Unauthorized(DomainError):
    status = HTTPStatus.UNAUTHORIZED
    slug = "unauthorized"


def problem_response(
    status: int, detail: str = "", errors: list[FieldError] | None = None
) -> Response[Problem]:
    phrase = HTTPStatus(status).phrase
    slug = phrase.lower().replace(" ", "-")
    body = Problem(type=PROBLEM_BASE + slug, title=phrase, status=status, detail=detail, errors=errors or [])
    return Response(body, status_code=status, media_type=PROBLEM_JSON)


def domain_error_handler(_: Request[Any, Any, Any], exc: DomainError) -> Response[Problem]:
    return problem_response(exc.status, exc.detail, exc.errors)


_MSGSPEC_PATH = re.compile(r"- at `\$(?P<path>[^`]*)`")


def field_from_msgspec_path(path: str) -> str:
    """`$.people[3].email` -> `people[3].email`; `$` -> `body`."""
    return path.lstrip(".") or "body"


def field_errors_from_msgspec(message: str) -> list[FieldError]:
    match = _MSGSPEC_PATH.search(message)
    text = message.split(" - at ", 1)[0]
    field = "body" if match is None else field_from_msgspec_path(match.group("path"))  # no path: top level
    unknown = re.match(r"Object contains unknown field `(?P<name>[^`]+)`", text)
    if unknown:
        prefix = "" if field == "body" else field + "."
        return [FieldError(field=prefix + unknown.group("name"), message="unknown field")]
    missing = re.match(r"Object missing required field `(?P<name>[^`]+)`", text)
    if missing:
        prefix = "" if field == "body" else field + "."
        return [FieldError(field=prefix + missing.group("name"), message="required field is missing")]
    return [FieldError(field=field, message=text)]


def _public_name(request: Request[Any, Any, Any], key: str) -> str:
    """Litestar names a bad parameter by its Python name; the client sent its alias (`?from=`)."""
    handler = request.scope.get("route_handler")
    parameter = handler.parsed_fn_signature.parameters.get(key) if handler is not None else None
    alias = getattr(getattr(parameter, "kwarg_definition", None), "name", None)
    return alias if isinstance(alias, str) and alias else key


def validation_error_handler(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Problem]:
    errors: list[FieldError] = []
    extra = exc.extra if isinstance(exc.extra, list) else []
    for item in extra:
        if isinstance(item, dict):
            key = str(item.get("key") or "body")
            if item.get("source") != "body":
                key = _public_name(request, key)
            message = str(item.get("message") or exc.detail)
            parsed = field_errors_from_msgspec(message) if " - at `$" in message else None
            errors.extend(parsed or [FieldError(field=key, message=message)])
    detail = exc.detail or "invalid request"
    if "JSON is malformed" in detail or "Malformed" in detail:
        return problem_response(HTTPStatus.BAD_REQUEST, "the request body is not valid JSON", errors)
    if not errors:
        errors = [FieldError(field="body", message=detail)]
    return problem_response(HTTPStatus.BAD_REQUEST, detail, errors)


def http_error_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    detail = exc.detail if exc.detail != HTTPStatus(exc.status_code).phrase else ""
    response = problem_response(exc.status_code, detail)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if _is_database_outage(exc):
        return problem_response(
            HTTPStatus.SERVICE_UNAVAILABLE, "the database is not reachable; try again soon"
        )
    return problem_response(HTTPStatus.INTERNAL_SERVER_ERROR, "an unexpected error happened")


_OUTAGE_ERRORS = frozenset(
    {
        "ConnectionRefusedError",  # the server is down
        "ConnectionResetError",
        "CannotConnectNowError",  # starting up or shutting down
        "ConnectionDoesNotExistError",  # a pooled connection the restart cut
        "ConnectionFailureError",
        "AdminShutdownError",  # terminating connection due to administrator command
        "CrashShutdownError",
        "TooManyConnectionsError",
        "InterfaceError",  # asyncpg: the connection is closed
        "PostgresConnectionError",
    }
)


def _is_database_outage(exc: BaseException) -> bool:
    """The database (or the way to it) is away, as opposed to a bug: 503, try again soon."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _OUTAGE_ERRORS & {type(c).__name__ for c in type(current).__mro__}:
            return True
        if isinstance(current, OSError) and not isinstance(current, FileNotFoundError | PermissionError):
            return True
        current = current.__cause__ or current.__context__
    return False


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: domain_error_handler,
    ValidationException: validation_error_handler,
    HTTPException: http_error_handler,
    Exception: internal_error_handler,
}

__all__ = [
    "PROBLEM_JSON",
    "Conflict",
    "DomainError",
    "FieldError",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "Problem",
    "Unauthorized",
]
