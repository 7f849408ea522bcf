from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post, put
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK

from dtz_events.core.auth import ORGANISERS, STAFF, Principal, Role, roles
from dtz_events.core.schemas import Page, PageNumber, PerPage, pagination
from dtz_events.events.controllers import EventId
from dtz_events.registrations import services
from dtz_events.registrations.schemas import (
    BulkRegistrationCreate,
    QuotaOut,
    QuotaSet,
    RegistrationCreate,
    RegistrationOut,
    RegistrationStatus,
)

RegistrationId = Annotated[int, PathParameter(ge=1, le=2**53, description="Registration id")]
OrganisationId = Annotated[int, PathParameter(ge=1, le=2**53, description="Organisation id")]
REGISTRARS = roles(STAFF, Role.partner_coordinator)


class EventRegistrationController(Controller):
    path = "/api/events/{event_id:int}"
    tags = ["registrations"]

    @post("/registrations", opt=REGISTRARS)
    async def register(
        self, request: Request[Principal, Any, Any], event_id: EventId, data: JSONBody[RegistrationCreate]
    ) -> RegistrationOut:
        return (await services.register(request.user, event_id, [data.person_id], "person_id"))[0]

    @post("/registrations/bulk", opt=REGISTRARS)
    async def register_many(
        self, request: Request[Principal, Any, Any], event_id: EventId, data: JSONBody[BulkRegistrationCreate]
    ) -> list[RegistrationOut]:
        return await services.register(request.user, event_id, data.person_ids, "person_ids")

    @get("/registrations", opt=REGISTRARS)
    async def list_registrations(
        self,
        request: Request[Principal, Any, Any],
        event_id: EventId,
        status: Annotated[RegistrationStatus | None, QueryParameter()] = None,
        page: PageNumber = 1,
        per_page: PerPage = 50,
    ) -> Page[RegistrationOut]:
        return await services.list_registrations(
            request.user, event_id, pagination(page, per_page), status=status
        )

    @get("/quotas", opt=roles(ORGANISERS, Role.partner_coordinator))
    async def list_quotas(self, request: Request[Principal, Any, Any], event_id: EventId) -> list[QuotaOut]:
        return await services.list_quotas(request.user, event_id)

    @put("/quotas/{organisation_id:int}", opt=roles(ORGANISERS))
    async def set_quota(
        self,
        request: Request[Principal, Any, Any],
        event_id: EventId,
        organisation_id: OrganisationId,
        data: JSONBody[QuotaSet],
    ) -> QuotaOut:
        return await services.set_quota(request.user, event_id, organisation_id, data.seats)

    @delete("/quotas/{organisation_id:int}", opt=roles(ORGANISERS))
    async def remove_quota(
        self, request: Request[Principal, Any, Any], event_id: EventId, organisation_id: OrganisationId
    ) -> None:
        await services.remove_quota(request.user, event_id, organisation_id)


class RegistrationController(Controller):
    path = "/api/registrations"
    tags = ["registrations"]

    @get("/{registration_id:int}", opt=REGISTRARS)
    async def get_registration(
        self, request: Request[Principal, Any, Any], registration_id: RegistrationId
    ) -> RegistrationOut:
        return await services.get_registration(request.user, registration_id)

    @post("/{registration_id:int}/cancel", opt=REGISTRARS, status_code=HTTP_200_OK)
    async def cancel_registration(
        self, request: Request[Principal, Any, Any], registration_id: RegistrationId
    ) -> RegistrationOut:
        return await services.cancel_registration(request.user, registration_id)
