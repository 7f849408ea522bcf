from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from litestar.status_codes import HTTP_200_OK

from dtz_events.cooperation import services
from dtz_events.cooperation.refresh import refresh
from dtz_events.cooperation.schemas import (
    ActiveOrganisations,
    Basis,
    Funnel,
    HelixMatrix,
    Isolated,
    Links,
    Network,
    NewLinks,
    Partners,
    Pupils,
    RefreshOut,
    Selection,
    Summary,
)
from dtz_events.core.auth import ORGANISERS, STAFF, Principal, Role, roles
from dtz_events.core.schemas import PageNumber, PerPage
from dtz_events.events.schemas import EventKind

# Partner coordinators read the figures of their own organisation; staff read everything.
READERS = roles(STAFF, Role.partner_coordinator)
# Figures about other organisations (who is active, who fell away): staff only.
STAFF_ONLY = roles(STAFF)

Period = Annotated[
    str | None,
    QueryParameter(
        pattern=r"^(\d{4}(-Q[1-4])?|all)$",
        description="A year (2026), a quarter (2026-Q3) or 'all'; by event date. Default: this year",
    ),
]
Municipality = Annotated[
    str | None,
    QueryParameter(
        max_length=100, description="Links with an organisation there; organisations located there"
    ),
]
TagSlug = Annotated[str | None, QueryParameter(max_length=60, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
OrganisationId = Annotated[
    int | None, QueryParameter(ge=1, le=2**31 - 1, description="Only links of this organisation")
]
LinkBasis = Annotated[
    Basis | None,
    QueryParameter(
        description="all links (default; the network: reported), reported by a side, or confirmed"
    ),
]
Draw = Annotated[int, QueryParameter(ge=1, le=150, description="Organisations drawn in the picture")]


async def provide_filters(
    period: Period = None,
    municipality: Municipality = None,
    programme: TagSlug = None,
    theme: TagSlug = None,
    kind: Annotated[EventKind | None, QueryParameter(description="Kind of event")] = None,
    organisation_id: OrganisationId = None,
    links: LinkBasis = None,
) -> dict[str, Any]:
    return {
        "period": period,
        "municipality": municipality,
        "programme": programme,
        "theme": theme,
        "kind": kind,
        "organisation_id": organisation_id,
        "links": links,
    }


async def _selection(
    request: Request[Principal, Any, Any], filters: dict[str, Any], default: Basis = Basis.all
) -> Selection:
    return await services.selection(request.user, **{**filters, "links": filters["links"] or default})


def _csv(figure: Any, name: str) -> Response[str]:
    filename = f"cooperation-{name}-{figure.selection.period}.csv"
    return Response(
        services.to_csv(figure),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


CSV = "text/csv; charset=utf-8"
Filters = NamedDependency[dict[str, Any]]


class CooperationController(Controller):
    path = "/api/cooperation"
    tags = ["cooperation ledger"]
    dependencies = {"filters": Provide(provide_filters)}

    @get("/summary", opt=READERS)
    async def summary(self, request: Request[Principal, Any, Any], filters: Filters) -> Summary:
        return await services.summary(await _selection(request, filters))

    @get("/summary.csv", opt=READERS, media_type=CSV)
    async def summary_csv(self, request: Request[Principal, Any, Any], filters: Filters) -> Response[str]:
        return _csv(await services.summary(await _selection(request, filters)), "summary")

    @get("/active-organisations", opt=STAFF_ONLY)
    async def active(self, request: Request[Principal, Any, Any], filters: Filters) -> ActiveOrganisations:
        return await services.active_organisations(await _selection(request, filters))

    @get("/active-organisations.csv", opt=STAFF_ONLY, media_type=CSV)
    async def active_csv(self, request: Request[Principal, Any, Any], filters: Filters) -> Response[str]:
        figure = await services.active_organisations(await _selection(request, filters))
        return _csv(figure, "active-organisations")

    @get("/new-links", opt=READERS)
    async def new_links(self, request: Request[Principal, Any, Any], filters: Filters) -> NewLinks:
        return await services.new_links(await _selection(request, filters))

    @get("/new-links.csv", opt=READERS, media_type=CSV)
    async def new_links_csv(self, request: Request[Principal, Any, Any], filters: Filters) -> Response[str]:
        return _csv(await services.new_links(await _selection(request, filters)), "new-links")

    @get("/helix", opt=READERS)
    async def helix(self, request: Request[Principal, Any, Any], filters: Filters) -> HelixMatrix:
        return await services.helix_matrix(await _selection(request, filters))

    @get("/helix.csv", opt=READERS, media_type=CSV)
    async def helix_csv(self, request: Request[Principal, Any, Any], filters: Filters) -> Response[str]:
        return _csv(await services.helix_matrix(await _selection(request, filters)), "helix")

    @get("/funnel", opt=READERS)
    async def funnel(self, request: Request[Principal, Any, Any], filters: Filters) -> Funnel:
        return await services.funnel(await _selection(request, filters))

    @get("/funnel.csv", opt=READERS, media_type=CSV)
    async def funnel_csv(self, request: Request[Principal, Any, Any], filters: Filters) -> Response[str]:
        return _csv(await services.funnel(await _selection(request, filters)), "funnel")

    @get("/pupils", opt=READERS)
    async def pupils(self, request: Request[Principal, Any, Any], filters: Filters) -> Pupils:
        return await services.pupils(await _selection(request, filters))

    @get("/pupils.csv", opt=READERS, media_type=CSV)
    async def pupils_csv(self, request: Request[Principal, Any, Any], filters: Filters) -> Response[str]:
        return _csv(await services.pupils(await _selection(request, filters)), "pupils")

    @get("/partners", opt=READERS)
    async def partners(self, request: Request[Principal, Any, Any], filters: Filters) -> Partners:
        return await services.partners(await _selection(request, filters))

    @get("/partners.csv", opt=READERS, media_type=CSV)
    async def partners_csv(self, request: Request[Principal, Any, Any], filters: Filters) -> Response[str]:
        return _csv(await services.partners(await _selection(request, filters)), "partners")

    @get("/isolated", opt=STAFF_ONLY)
    async def isolated(self, request: Request[Principal, Any, Any], filters: Filters) -> Isolated:
        return await services.isolated(await _selection(request, filters))

    @get("/isolated.csv", opt=STAFF_ONLY, media_type=CSV)
    async def isolated_csv(self, request: Request[Principal, Any, Any], filters: Filters) -> Response[str]:
        return _csv(await services.isolated(await _selection(request, filters)), "isolated")

    @get("/network", opt=READERS)
    async def network(
        self, request: Request[Principal, Any, Any], filters: Filters, draw: Draw = 40
    ) -> Network:
        return await services.network(await _selection(request, filters, Basis.reported), draw)

    @get("/network.csv", opt=READERS, media_type=CSV)
    async def network_csv(
        self, request: Request[Principal, Any, Any], filters: Filters, draw: Draw = 40
    ) -> Response[str]:
        return _csv(
            await services.network(await _selection(request, filters, Basis.reported), draw), "network"
        )

    @get("/links", opt=READERS)
    async def links(
        self,
        request: Request[Principal, Any, Any],
        filters: Filters,
        page: PageNumber = 1,
        per_page: PerPage = 50,
    ) -> Links:
        return await services.links(await _selection(request, filters), page, per_page)

    @get("/links.csv", opt=READERS, media_type=CSV)
    async def links_csv(
        self,
        request: Request[Principal, Any, Any],
        filters: Filters,
        page: PageNumber = 1,
        per_page: PerPage = 200,
    ) -> Response[str]:
        return _csv(await services.links(await _selection(request, filters), page, per_page), "links")

    @post("/refresh", opt=roles(ORGANISERS), status_code=HTTP_200_OK)
    async def refresh(self) -> RefreshOut:
        """Derive the links of events whose check-ins, meetings or survey answers changed now, instead of at
        the scheduler's next tick."""
        return RefreshOut(events_refreshed=await refresh())
