"""The board API. Every account passes the door; the service then lets in the secretary and organisers
(everything) and board members with an account (reading), and answers 404 to everyone else, as for a
board session that does not exist."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post, put
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK

from dtz_events.board import services
from dtz_events.board.schemas import (
    ActionIn,
    ActionOut,
    ActionUpdate,
    AgendaIn,
    AgendaItemOut,
    ApproveIn,
    AttendanceIn,
    DecisionIn,
    DecisionOut,
    MembershipCreate,
    MembershipOut,
    MembershipUpdate,
    MinutesIn,
    PickIn,
    PollIn,
    Quorum,
    RsvpOnBehalf,
    SessionOut,
    SessionSettings,
)
from dtz_events.core.auth import ANY_ACCOUNT, Principal, is_automatic_options, roles
from dtz_events.events.controllers import EventId

BOARD = roles(ANY_ACCOUNT)


async def board_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Before the body is read: an account that is neither staff nor on the board gets 404 (never a 400
    that would show the route is there for someone)."""
    if is_automatic_options(handler):
        return
    principal: Principal | None = connection.scope.get("user")
    if principal is not None:
        await services.viewer_for_principal(principal)


MembershipId = Annotated[int, PathParameter(ge=1, le=2**53, description="Membership id")]
ItemId = Annotated[int, PathParameter(ge=1, le=2**53, description="Agenda item id")]
ActionId = Annotated[int, PathParameter(ge=1, le=2**53, description="Action item id")]
Year = Annotated[int | None, QueryParameter(ge=2000, le=2100, description="Only decisions of this year")]
Req = Request[Principal, Any, Any]


class BoardMembershipController(Controller):
    path = "/api/board/members"
    tags = ["board"]
    guards = [board_guard]

    @get("/", opt=BOARD)
    async def list_members(self, request: Req) -> list[MembershipOut]:
        return await services.list_memberships(request.user)

    @post("/", opt=BOARD)
    async def create_member(self, request: Req, data: JSONBody[MembershipCreate]) -> MembershipOut:
        return await services.create_membership(request.user, data)

    @patch("/{membership_id:int}", opt=BOARD)
    async def update_member(
        self, request: Req, membership_id: MembershipId, data: JSONBody[MembershipUpdate]
    ) -> MembershipOut:
        return await services.update_membership(request.user, membership_id, data)


class BoardSessionController(Controller):
    path = "/api/board/sessions/{event_id:int}"
    tags = ["board"]
    guards = [board_guard]

    @get("/", opt=BOARD)
    async def get_session(self, request: Req, event_id: EventId) -> SessionOut:
        return await services.session_for_principal(request.user, event_id)

    @patch("/", opt=BOARD)
    async def update_settings(
        self, request: Req, event_id: EventId, data: JSONBody[SessionSettings]
    ) -> SessionOut:
        return await services.update_settings(request.user, event_id, data)

    @get("/quorum", opt=BOARD)
    async def get_quorum(self, request: Req, event_id: EventId) -> Quorum:
        return await services.quorum_for_principal(request.user, event_id)

    @put("/agenda", opt=BOARD)
    async def set_agenda(self, request: Req, event_id: EventId, data: JSONBody[AgendaIn]) -> SessionOut:
        return await services.set_agenda(request.user, event_id, data)

    @post("/invitations", opt=BOARD, status_code=HTTP_200_OK)
    async def send_invitations(self, request: Req, event_id: EventId) -> SessionOut:
        return await services.send_invitations(request.user, event_id)

    @post("/rsvp", opt=BOARD, status_code=HTTP_200_OK)
    async def answer_on_behalf(
        self, request: Req, event_id: EventId, data: JSONBody[RsvpOnBehalf]
    ) -> SessionOut:
        return await services.answer_on_behalf(
            request.user, event_id, data.person_id, data.answer, data.hand_over
        )

    @put("/attendance", opt=BOARD)
    async def set_attendance(
        self, request: Req, event_id: EventId, data: JSONBody[AttendanceIn]
    ) -> SessionOut:
        return await services.set_attendance(request.user, event_id, data.present)

    @put("/agenda/{item_id:int}/minutes", opt=BOARD)
    async def set_minutes(
        self, request: Req, event_id: EventId, item_id: ItemId, data: JSONBody[MinutesIn]
    ) -> AgendaItemOut:
        return await services.set_minutes(request.user, event_id, item_id, data.text)

    @post("/minutes/approve", opt=BOARD, status_code=HTTP_200_OK)
    async def approve_minutes(self, request: Req, event_id: EventId, data: JSONBody[ApproveIn]) -> SessionOut:
        return await services.approve_minutes(request.user, event_id, data)

    @post("/decisions", opt=BOARD)
    async def create_decision(
        self, request: Req, event_id: EventId, data: JSONBody[DecisionIn]
    ) -> DecisionOut:
        return await services.create_decision(request.user, event_id, data)

    @post("/actions", opt=BOARD)
    async def create_action(self, request: Req, event_id: EventId, data: JSONBody[ActionIn]) -> ActionOut:
        return await services.create_action(request.user, event_id, data)

    @post("/poll", opt=BOARD, status_code=HTTP_200_OK)
    async def open_poll(self, request: Req, event_id: EventId, data: JSONBody[PollIn]) -> SessionOut:
        return await services.open_poll(request.user, event_id, data)

    @post("/poll/pick", opt=BOARD, status_code=HTTP_200_OK)
    async def pick_date(self, request: Req, event_id: EventId, data: JSONBody[PickIn]) -> SessionOut:
        return await services.pick_date(request.user, event_id, data.option_id)


class BoardRecordController(Controller):
    path = "/api/board"
    tags = ["board"]
    guards = [board_guard]

    @get("/decisions", opt=BOARD)
    async def list_decisions(self, request: Req, year: Year = None) -> list[DecisionOut]:
        return await services.list_decisions(request.user, year)

    @patch("/actions/{action_id:int}", opt=BOARD)
    async def update_action(
        self, request: Req, action_id: ActionId, data: JSONBody[ActionUpdate]
    ) -> ActionOut:
        return await services.update_action(request.user, action_id, data)


BOARD_HANDLERS = [BoardMembershipController, BoardSessionController, BoardRecordController]
