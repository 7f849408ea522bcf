from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete, get, patch, post, put
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK

from dtz_events.core.auth import ORGANISERS, Principal, Role, roles
from dtz_events.events.controllers import EventId
from dtz_events.promotion_days import services
from dtz_events.promotion_days.schemas import (
    LockInput,
    PupilsReached,
    RotationOut,
    RotationSettings,
    SchoolGroupCreate,
    SchoolGroupOut,
    SchoolGroupUpdate,
    WorkshopCreate,
    WorkshopOut,
    WorkshopUpdate,
)

PARTNERS_TOO = roles(ORGANISERS, Role.partner_coordinator)
ORGANISERS_ONLY = roles(ORGANISERS)
GroupId = Annotated[int, PathParameter(ge=1, le=2**53, description="School group id")]
WorkshopId = Annotated[int, PathParameter(ge=1, le=2**53, description="Workshop id")]
RoundNumber = Annotated[int, PathParameter(ge=1, le=12, description="Round number")]
TimeLimit = Annotated[
    float, QueryParameter(ge=1, le=60, description="Seconds the solver may take (default 10)")
]
User = Request[Principal, Any, Any]


class PromotionDayController(Controller):
    """School groups and workshops of one promotion day, and its rotation."""

    path = "/api/events/{event_id:int}"
    tags = ["promotion days"]

    @get("/school-groups", opt=PARTNERS_TOO)
    async def list_groups(self, request: User, event_id: EventId) -> list[SchoolGroupOut]:
        """Organisers see every group; a school's coordinator sees its own."""
        return await services.list_groups(request.user, event_id)

    @post("/school-groups", opt=PARTNERS_TOO)
    async def create_group(
        self, request: User, event_id: EventId, data: JSONBody[SchoolGroupCreate]
    ) -> SchoolGroupOut:
        """Register a group: counts and the adults' contacts, never pupils' details."""
        return await services.create_group(request.user, event_id, data)

    @get("/workshops", opt=PARTNERS_TOO)
    async def list_workshops(self, request: User, event_id: EventId) -> list[WorkshopOut]:
        return await services.list_workshops(request.user, event_id)

    @post("/workshops", opt=PARTNERS_TOO)
    async def create_workshop(
        self, request: User, event_id: EventId, data: JSONBody[WorkshopCreate]
    ) -> WorkshopOut:
        """Organisers, or the host's coordinator for its own organisation."""
        return await services.create_workshop(request.user, event_id, data)

    @get("/rotation", opt=ORGANISERS_ONLY)
    async def get_rotation(self, request: User, event_id: EventId) -> RotationOut:
        return await services.get_rotation(request.user, event_id)

    @put("/rotation", opt=ORGANISERS_ONLY)
    async def set_rotation(
        self, request: User, event_id: EventId, data: JSONBody[RotationSettings]
    ) -> RotationOut:
        """The rounds and how many workshops each group visits."""
        return await services.set_rotation(request.user, event_id, data)

    @post("/rotation/generate", opt=ORGANISERS_ONLY, status_code=HTTP_200_OK)
    async def generate(self, request: User, event_id: EventId, time_limit: TimeLimit = 10.0) -> RotationOut:
        """Compute the schedule; locked visits stay and the rest moves as little as possible. Once
        published, the changes go out to the teachers and hosts concerned."""
        return await services.generate(request.user, event_id, time_limit)

    @post("/rotation/publish", opt=ORGANISERS_ONLY, status_code=HTTP_200_OK)
    async def publish(self, request: User, event_id: EventId) -> RotationOut:
        """Send each teacher their groups' rounds (a calendar invitation per group) and each host its
        visitors."""
        return await services.publish(request.user, event_id)

    @post("/rotation/locks", opt=ORGANISERS_ONLY, status_code=HTTP_200_OK)
    async def lock(self, request: User, event_id: EventId, data: JSONBody[LockInput]) -> RotationOut:
        return await services.lock(request.user, event_id, data)

    @delete("/rotation/locks/{group_id:int}/{round_number:int}", opt=ORGANISERS_ONLY, status_code=HTTP_200_OK)
    async def unlock(
        self, request: User, event_id: EventId, group_id: GroupId, round_number: RoundNumber
    ) -> RotationOut:
        return await services.unlock(request.user, event_id, group_id, round_number)

    @get("/pupils-reached", opt=ORGANISERS_ONLY)
    async def pupils_reached(self, request: User, event_id: EventId) -> PupilsReached:
        return await services.pupils_reached(request.user, event_id)


class SchoolGroupController(Controller):
    path = "/api/school-groups/{group_id:int}"
    tags = ["promotion days"]

    @get("/", opt=PARTNERS_TOO)
    async def get_group(self, request: User, group_id: GroupId) -> SchoolGroupOut:
        return await services.get_group(request.user, group_id)

    @patch("/", opt=PARTNERS_TOO)
    async def update_group(
        self, request: User, group_id: GroupId, data: JSONBody[SchoolGroupUpdate]
    ) -> SchoolGroupOut:
        return await services.update_group(request.user, group_id, data)

    @post("/cancel", opt=PARTNERS_TOO, status_code=HTTP_200_OK)
    async def cancel_group(self, request: User, group_id: GroupId) -> SchoolGroupOut:
        """Once the schedule went out, the teacher's calendar entry is cancelled."""
        return await services.cancel_group(request.user, group_id)


class WorkshopController(Controller):
    path = "/api/workshops/{workshop_id:int}"
    tags = ["promotion days"]

    @get("/", opt=PARTNERS_TOO)
    async def get_workshop(self, request: User, workshop_id: WorkshopId) -> WorkshopOut:
        return await services.get_workshop(request.user, workshop_id)

    @patch("/", opt=PARTNERS_TOO)
    async def update_workshop(
        self, request: User, workshop_id: WorkshopId, data: JSONBody[WorkshopUpdate]
    ) -> WorkshopOut:
        return await services.update_workshop(request.user, workshop_id, data)

    @post("/withdraw", opt=PARTNERS_TOO, status_code=HTTP_200_OK)
    async def withdraw_workshop(self, request: User, workshop_id: WorkshopId) -> WorkshopOut:
        return await services.withdraw_workshop(request.user, workshop_id)
