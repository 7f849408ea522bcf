from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.params import PathParameter, QueryParameter
from litestar.response import Template

from dtz_events.core.auth import ORGANISERS, PUBLIC, roles
from dtz_events.core.errors import NotFound
from dtz_events.core.i18n import pick_language
from dtz_events.core.schemas import Page, PageNumber, Pagination, PerPage, pagination
from dtz_events.mail import services
from dtz_events.mail.schemas import OutboxCounts, OutboxOut, OutboxStatus

MessageId = Annotated[int, PathParameter(ge=1, le=2**53, description="Outbox message id")]


class OutboxController(Controller):
    path = "/api/outbox"
    tags = ["mail"]

    @get("/", opt=roles(ORGANISERS))
    async def list_outbox(
        self,
        status: Annotated[OutboxStatus | None, QueryParameter()] = None,
        page: PageNumber = 1,
        per_page: PerPage = 50,
    ) -> Page[OutboxOut]:
        return await services.list_outbox(pagination(page, per_page), status)

    @get("/counts", opt=roles(ORGANISERS))
    async def counts(self) -> OutboxCounts:
        return await services.outbox_counts()


LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


async def loopback_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """The local outbox holds everyone's RSVP links: show it only to a browser on this machine."""
    if connection.client is None or connection.client.host not in LOOPBACK:
        raise NotFound("page")


class DevMailPages(Controller):
    """The local outbox in the browser: only mounted when no SMTP server is configured (embedded mode),
    and only answered on loopback."""

    path = "/dev/mail"
    include_in_schema = False
    guards = [loopback_only]

    @get("/", opt=roles(PUBLIC))
    async def list_mail(self, request: Request[Any, Any, Any]) -> Template:
        page = await services.list_outbox(Pagination(page=1, per_page=200))
        lang = pick_language(request.headers.get("accept-language"))
        return Template("dev_mail_list.html.j2", context={"lang": lang, "messages": page.items})

    @get("/{message_id:int}", opt=roles(PUBLIC))
    async def show_mail(self, request: Request[Any, Any, Any], message_id: MessageId) -> Template:
        row = await services.get_outbox_row(message_id)
        if row is None:
            raise NotFound("email")
        lang = pick_language(request.headers.get("accept-language"))
        return Template("dev_mail_detail.html.j2", context={"lang": lang, "message": row})

    @get("/{message_id:int}/invite.ics", opt=roles(PUBLIC), media_type="text/calendar; charset=utf-8")
    async def show_ics(self, message_id: MessageId) -> Response[str]:
        row = await services.get_outbox_row(message_id)
        if row is None or not row["ics"]:
            raise NotFound("calendar invitation")
        return Response(row["ics"], media_type="text/calendar; charset=utf-8")
