from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post
from litestar.datastructures import State
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK

from dtz_events.core.auth import ORGANISERS, PUBLIC, Principal, Role, roles
from dtz_events.core.schemas import Page, PageNumber, PerPage, pagination
from dtz_events.events import services
from dtz_events.events.schemas import EventCreate, EventKind, EventOut, EventStatus, EventUpdate

EventId = Annotated[int, PathParameter(ge=1, le=2**53, description="Event id")]
MANAGERS = roles(ORGANISERS, Role.board_secretary)


class EventController(Controller):
    path = "/api/events"
    tags = ["events"]

    @get("/", opt=roles(PUBLIC))
    async def list_events(
        self,
        request: Request[Principal | None, Any, Any],
        kind: Annotated[EventKind | None, QueryParameter()] = None,
        status: Annotated[EventStatus | None, QueryParameter()] = None,
        starts_from: Annotated[
            date | None, QueryParameter(name="from", description="First day (local)")
        ] = None,
        starts_until: Annotated[
            date | None, QueryParameter(name="until", description="Last day (local)")
        ] = None,
        municipality: Annotated[str | None, QueryParameter(max_length=100)] = None,
        programme: Annotated[str | None, QueryParameter(max_length=60)] = None,
        theme: Annotated[str | None, QueryParameter(max_length=60)] = None,
        page: PageNumber = 1,
        per_page: PerPage = 50,
    ) -> Page[EventOut]:
        return await services.list_events(
            request.user,
            pagination(page, per_page),
            kind=kind,
            status=status,
            starts_from=starts_from,
            starts_until=starts_until,
            municipality=municipality,
            programme=programme,
            theme=theme,
        )

    @post("/", opt=MANAGERS)
    async def create_event(
        self, request: Request[Principal, Any, Any], state: State, data: JSONBody[EventCreate]
    ) -> EventOut:
        return await services.create_event(request.user, data, state.settings.host)

    @get("/{event_id:int}", opt=roles(PUBLIC))
    async def get_event(self, request: Request[Principal | None, Any, Any], event_id: EventId) -> EventOut:
        return await services.get_event(request.user, event_id)

    @patch("/{event_id:int}", opt=MANAGERS)
    async def update_event(
        self, request: Request[Principal, Any, Any], event_id: EventId, data: JSONBody[EventUpdate]
    ) -> EventOut:
        return await services.update_event(request.user, event_id, data)

    @post("/{event_id:int}/publish", opt=MANAGERS, status_code=HTTP_200_OK)
    async def publish_event(self, request: Request[Principal, Any, Any], event_id: EventId) -> EventOut:
        return await services.publish_event(request.user, event_id)

    @post("/{event_id:int}/cancel", opt=MANAGERS, status_code=HTTP_200_OK)
    async def cancel_event(self, request: Request[Principal, Any, Any], event_id: EventId) -> EventOut:
        return await services.cancel_event(request.user, event_id)

    @post("/{event_id:int}/complete", opt=MANAGERS, status_code=HTTP_200_OK)
    async def complete_event(self, request: Request[Principal, Any, Any], event_id: EventId) -> EventOut:
        return await services.complete_event(request.user, event_id)
