"""Who is calling, and the guard every route handler declares: `opt={"roles": ...}`."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from dtz_events.core.errors import Forbidden, Unauthorized


class Role(StrEnum):
    admin = "admin"
    organiser = "organiser"
    board_secretary = "board_secretary"
    partner_coordinator = "partner_coordinator"


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    account_id: int
    role: Role
    name: str
    email: str
    language: str = "nl"
    organisation_id: int | None = None

    @property
    def is_organiser(self) -> bool:
        return self.role in ORGANISERS

    @property
    def is_partner(self) -> bool:
        return self.role is Role.partner_coordinator


OPENAPI_PATH = "/schema"
ORGANISERS = frozenset({Role.admin, Role.organiser})
STAFF = frozenset({Role.admin, Role.organiser, Role.board_secretary})
ANY_ACCOUNT = frozenset(Role)
PUBLIC: frozenset[Role] = frozenset()


async def roles_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Every handler states who may call it in `opt["roles"]`; `PUBLIC` (empty) lets anyone in."""
    allowed: frozenset[Role] | None = handler.opt.get("roles")
    if allowed is None and connection.scope["path"].startswith(OPENAPI_PATH):
        return  # the API documentation is public
    if allowed is None and is_automatic_options(handler):
        return  # Litestar's own OPTIONS answer (an Allow header) reveals nothing
    if allowed is None:
        raise RuntimeError(f"route handler {handler.handler_name} declares no roles")
    if not allowed:
        return
    principal = connection.user
    if principal is None:
        raise Unauthorized("log in or send an API key")
    if principal.role not in allowed:
        raise Forbidden("your role may not do this")


def is_automatic_options(handler: BaseRouteHandler) -> bool:
    """The OPTIONS handler Litestar adds to every path; it cannot carry `opt["roles"]`."""
    qualname = getattr(handler.fn, "__qualname__", "")
    return qualname == "HTTPRoute.create_options_handler.<locals>.options_handler"


def roles(*allowed: frozenset[Role] | Role) -> dict[str, frozenset[Role]]:
    """`opt=roles(ORGANISERS, Role.partner_coordinator)`."""
    merged: set[Role] = set()
    for item in allowed:
        merged |= {item} if isinstance(item, Role) else set(item)
    return {"roles": frozenset(merged)}
