from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK

from dtz_events.core.auth import ORGANISERS, PUBLIC, STAFF, Principal, Role, roles
from dtz_events.core.errors import InvalidInput
from dtz_events.core.schemas import Page, PageNumber, PerPage, SearchText, pagination
from dtz_events.partners import imports, services
from dtz_events.partners.imports import ImportKind, ImportReport
from dtz_events.partners.schemas import (
    Helix,
    OrganisationCreate,
    OrganisationKind,
    OrganisationOut,
    OrganisationUpdate,
    PersonCreate,
    PersonOut,
    PersonUpdate,
    TagCreate,
    TagOut,
)
from dtz_events.partners.tables import Programme, Theme

OrganisationId = Annotated[int, PathParameter(ge=1, le=2**53, description="Organisation id")]
PersonId = Annotated[int, PathParameter(ge=1, le=2**53, description="Person id")]
Municipality = Annotated[str | None, QueryParameter(max_length=100)]
ProgrammeSlug = Annotated[str | None, QueryParameter(max_length=60, description="Programme slug")]
EVERYONE_LOGGED_IN = roles(STAFF, Role.partner_coordinator)


class TagController(Controller):
    path = "/api"
    tags = ["reference data"]

    @get("/programmes", opt=roles(PUBLIC))
    async def list_programmes(self) -> list[TagOut]:
        return await services.list_tags(Programme)

    @post("/programmes", opt=roles(ORGANISERS))
    async def create_programme(self, data: JSONBody[TagCreate]) -> TagOut:
        return await services.create_tag(Programme, data)

    @get("/themes", opt=roles(PUBLIC))
    async def list_themes(self) -> list[TagOut]:
        return await services.list_tags(Theme)

    @post("/themes", opt=roles(ORGANISERS))
    async def create_theme(self, data: JSONBody[TagCreate]) -> TagOut:
        return await services.create_tag(Theme, data)


class OrganisationController(Controller):
    path = "/api/organisations"
    tags = ["organisations"]

    @get("/", opt=EVERYONE_LOGGED_IN)
    async def list_organisations(
        self,
        request: Request[Principal, Any, Any],
        kind: Annotated[OrganisationKind | None, QueryParameter()] = None,
        helix: Annotated[Helix | None, QueryParameter()] = None,
        municipality: Municipality = None,
        programme: ProgrammeSlug = None,
        q: SearchText = None,
        page: PageNumber = 1,
        per_page: PerPage = 50,
    ) -> Page[OrganisationOut]:
        return await services.list_organisations(
            request.user,
            pagination(page, per_page),
            kind=kind,
            helix=helix,
            municipality=municipality,
            programme=programme,
            q=q,
        )

    @post("/", opt=roles(ORGANISERS))
    async def create_organisation(self, data: JSONBody[OrganisationCreate]) -> OrganisationOut:
        return await services.create_organisation(data)

    @get("/{organisation_id:int}", opt=EVERYONE_LOGGED_IN)
    async def get_organisation(
        self, request: Request[Principal, Any, Any], organisation_id: OrganisationId
    ) -> OrganisationOut:
        return await services.get_organisation(request.user, organisation_id)

    @patch("/{organisation_id:int}", opt=roles(ORGANISERS))
    async def update_organisation(
        self, organisation_id: OrganisationId, data: JSONBody[OrganisationUpdate]
    ) -> OrganisationOut:
        return await services.update_organisation(organisation_id, data)


class PersonController(Controller):
    path = "/api/people"
    tags = ["people"]

    @get("/", opt=EVERYONE_LOGGED_IN)
    async def list_people(
        self,
        request: Request[Principal, Any, Any],
        organisation_id: Annotated[int | None, QueryParameter(ge=1, le=2**53)] = None,
        q: SearchText = None,
        page: PageNumber = 1,
        per_page: PerPage = 50,
    ) -> Page[PersonOut]:
        return await services.list_people(
            request.user, pagination(page, per_page), organisation_id=organisation_id, q=q
        )

    @post("/", opt=roles(ORGANISERS, Role.partner_coordinator))
    async def create_person(
        self, request: Request[Principal, Any, Any], data: JSONBody[PersonCreate]
    ) -> PersonOut:
        return await services.create_person(request.user, data)

    @get("/{person_id:int}", opt=EVERYONE_LOGGED_IN)
    async def get_person(self, request: Request[Principal, Any, Any], person_id: PersonId) -> PersonOut:
        return await services.get_person(request.user, person_id)

    @patch("/{person_id:int}", opt=roles(ORGANISERS, Role.partner_coordinator))
    async def update_person(
        self, request: Request[Principal, Any, Any], person_id: PersonId, data: JSONBody[PersonUpdate]
    ) -> PersonOut:
        return await services.update_person(request.user, person_id, data)


class ImportController(Controller):
    path = "/api/imports"
    tags = ["partners"]

    @post("/{kind:str}", opt=roles(ORGANISERS), status_code=HTTP_200_OK)
    async def import_csv(
        self,
        request: Request[Any, Any, Any],
        kind: Annotated[ImportKind, PathParameter(description="organisations or people")],
        dry_run: Annotated[bool, QueryParameter(description="check only; write nothing")] = True,
    ) -> ImportReport:
        """The CSV file as the request body (UTF-8, `,` or `;`, a header line). A dry run (the default)
        reports each bad row; `dry_run=false` writes every row, or nothing when any row is bad."""
        body = await request.body()
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput("body", "the file must be UTF-8 text") from exc
        return await imports.import_csv(kind, text, dry_run=dry_run)
