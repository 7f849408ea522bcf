"""Shared I/O shapes: strict request Structs, constrained text types, pagination, the strict body check."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

import msgspec
from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException
from litestar.params import QueryParameter
from msgspec import Meta

from dtz_events.core.errors import FieldError, field_errors_from_msgspec

T = TypeVar("T")

_NO_CONTROL = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*"
NOT_BLANK_TEXT = rf"^(?=[\s\S]*\S){_NO_CONTROL}$"
ANY_TEXT = rf"^{_NO_CONTROL}$"

Name = Annotated[str, Meta(min_length=1, max_length=200, pattern=NOT_BLANK_TEXT)]
Title = Annotated[str, Meta(min_length=1, max_length=200, pattern=NOT_BLANK_TEXT)]
ShortText = Annotated[str, Meta(max_length=200, pattern=ANY_TEXT)]
LongText = Annotated[str, Meta(max_length=20_000, pattern=ANY_TEXT)]
Slug = Annotated[str, Meta(min_length=1, max_length=60, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
EmailText = Annotated[str, Meta(min_length=3, max_length=254, pattern=ANY_TEXT)]
KvkNumber = Annotated[str, Meta(pattern=r"^[0-9]{8}$")]
Language = Annotated[str, Meta(pattern=r"^(nl|en)$")]
AwareDatetime = Annotated[datetime, Meta(tz=True)]
MAX_ID = 2**31 - 1  # the largest id a PostgreSQL serial column holds
Id = Annotated[int, Meta(ge=1, le=MAX_ID)]
Count = Annotated[int, Meta(ge=0, le=1_000_000)]

_PATTERN_MESSAGES = {
    NOT_BLANK_TEXT: "must contain text and no control characters",
    ANY_TEXT: "must not contain control characters",
    r"^[a-z0-9]+(-[a-z0-9]+)*$": "must be a slug of lower-case letters, digits and dashes",
    r"^[0-9]{8}$": "must be 8 digits",
    r"^(nl|en)$": "must be 'nl' or 'en'",
}


class Input(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of every request body: unknown fields are an error."""


class Output(msgspec.Struct, kw_only=True):
    """Base of every response body."""


class Page(Output, Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int


PageNumber = Annotated[int, QueryParameter(ge=1, le=100_000, description="Page number, from 1")]
PerPage = Annotated[int, QueryParameter(ge=1, le=200, description="Items per page, at most 200")]


class Pagination(msgspec.Struct, frozen=True):
    page: int = 1
    per_page: int = 50

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def friendly(errors: list[FieldError]) -> list[FieldError]:
    out = []
    for error in errors:
        message = error.message
        match = re.match(r"Expected `str` matching regex '(?P<re>.*)'$", message)
        if match:  # msgspec doubles the backslashes of the pattern it quotes
            pattern = match.group("re").replace("\\\\", "\\")
            message = _PATTERN_MESSAGES.get(pattern, "has an invalid format")
        out.append(FieldError(field=error.field, message=message))
    return out


_BODY_TYPES: dict[Any, Any] = {}


def _body_type(request: Request[Any, Any, Any]) -> Any:
    handler = request.route_handler
    if handler not in _BODY_TYPES:
        parameter = handler.parsed_fn_signature.parameters.get("data")
        media_type = (
            getattr(parameter.kwarg_definition, "media_type", None) if parameter is not None else None
        )
        is_json = media_type in (None, RequestEncodingType.JSON)
        _BODY_TYPES[handler] = parameter.annotation if parameter is not None and is_json else None
    return _BODY_TYPES[handler]


async def strict_body(request: Request[Any, Any, Any]) -> None:
    """Decode the body strictly before Litestar's lenient conversion, which takes 1700000000 as a datetime."""
    body_type = _body_type(request)
    if body_type is None:
        return
    body = await request.body()
    try:
        msgspec.json.decode(body, type=body_type, strict=True)
    except msgspec.ValidationError as exc:
        errors = friendly(field_errors_from_msgspec(str(exc)))
        raise ValidationException(
            detail="; ".join(f"{e.field}: {e.message}" for e in errors),
            extra=[{"key": e.field, "message": e.message, "source": "body"} for e in errors],
        ) from exc
    except msgspec.DecodeError as exc:
        raise ValidationException(
            detail="Malformed JSON: " + str(exc),
            extra=[{"key": "body", "message": "not valid JSON", "source": "body"}],
        ) from exc


_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strict_query(request: Request[Any, Any, Any]) -> None:
    """Refuse control characters in query parameters, which no filter needs (PostgreSQL cannot hold a NUL)."""
    for key, value in request.query_params.multi_items():
        if _CONTROL_CHARACTER.search(value):
            message = "must not contain control characters"
            raise ValidationException(
                detail=f"{key}: {message}", extra=[{"key": key, "message": message, "source": "query"}]
            )


def strict_path(request: Request[Any, Any, Any]) -> None:
    """An id in the path beyond what the database can hold (but within the documented bound, 2**53, which
    the parameter's own validation enforces with a 400) names nothing: 404, not a database error."""
    from dtz_events.core.errors import NotFound

    for value in request.path_params.values():
        if isinstance(value, int) and MAX_ID < value <= 2**53:
            raise NotFound("resource")


def normalise_email(value: str, field: str = "email") -> str:
    """Validated and normalised (lower case) so that one mailbox is one person."""
    from email_validator import EmailNotValidError, validate_email

    from dtz_events.core.errors import InvalidInput

    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput(field, f"not a valid email address ({exc})") from exc
    return result.normalized.lower()


def page_out(items: list[T], total: int, pagination: Pagination) -> Page[T]:
    from dtz_events.core.errors import InvalidInput

    if pagination.page > 1 and pagination.offset >= total:
        raise InvalidInput("page", f"out of range: there are {total} items")
    return Page(items=items, total=total, page=pagination.page, per_page=pagination.per_page)


def pagination(page: int, per_page: int) -> Pagination:
    return Pagination(page=page, per_page=per_page)


SearchText = Annotated[str | None, QueryParameter(max_length=200, description="Text to search for")]
