from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.datastructures import State
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK

from dtz_events.core.auth import ORGANISERS, PUBLIC, STAFF, Principal, Role, roles
from dtz_events.core.schemas import Page, PageNumber, PerPage, pagination
from dtz_events.events.controllers import EventId
from dtz_events.partners.controllers import PersonId
from dtz_events.registrations import services
from dtz_events.registrations.schemas import (
    BulkRegistrationCreate,
    FeedLinkOut,
    QuotaOut,
    QuotaSet,
    RegistrationCreate,
    RegistrationOut,
    RegistrationStatus,
    RevokedOut,
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


class FeedLinkController(Controller):
    path = "/api"
    tags = ["calendar feeds"]

    @post("/people/{person_id:int}/feed-link", opt=roles(ORGANISERS, Role.partner_coordinator))
    async def create_person_feed_link(
        self, request: Request[Principal, Any, Any], state: State, person_id: PersonId
    ) -> FeedLinkOut:
        return FeedLinkOut(
            url=await services.create_person_feed_link(request.user, person_id, state.settings.base_url)
        )

    @post(
        "/people/{person_id:int}/feed-link/revoke",
        opt=roles(ORGANISERS, Role.partner_coordinator),
        status_code=HTTP_200_OK,
    )
    async def revoke_person_feed_links(
        self, request: Request[Principal, Any, Any], person_id: PersonId
    ) -> RevokedOut:
        return RevokedOut(revoked=await services.revoke_person_feed_links(request.user, person_id))

    @post("/partner-feed-link", opt=roles(Role.partner_coordinator))
    async def create_partner_feed_link(
        self, request: Request[Principal, Any, Any], state: State
    ) -> FeedLinkOut:
        return FeedLinkOut(url=await services.create_partner_feed_link(request.user, state.settings.base_url))

    @post("/partner-feed-link/revoke", opt=roles(Role.partner_coordinator), status_code=HTTP_200_OK)
    async def revoke_partner_feed_links(self, request: Request[Principal, Any, Any]) -> RevokedOut:
        return RevokedOut(revoked=await services.revoke_partner_feed_links(request.user))


ICS = "text/calendar; charset=utf-8"


class FeedController(Controller):
    path = "/feeds"
    tags = ["calendar feeds"]

    @get("/programmes/{slug:str}", opt=roles(PUBLIC), media_type=ICS)
    async def programme_feed(self, slug: Annotated[str, PathParameter(max_length=70)]) -> Response[bytes]:
        return Response(await services.programme_feed(slug.removesuffix(".ics")), media_type=ICS)

    @get("/{token:str}", opt=roles(PUBLIC), media_type=ICS)
    async def feed(self, token: Annotated[str, PathParameter(max_length=210)]) -> Response[bytes]:
        return Response(await services.feed_for_token(token), media_type=ICS)
