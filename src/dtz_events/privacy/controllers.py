from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK

from dtz_events.core.auth import ORGANISERS, Principal, Role, roles
from dtz_events.core.schemas import MAX_ID, Page, PageNumber, PerPage, pagination
from dtz_events.privacy import services
from dtz_events.privacy.schemas import AuditEntryOut, ErasureOut, PersonExport, RetentionOut

PersonId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="Person id")]


class PrivacyController(Controller):
    path = "/api/people/{person_id:int}"
    tags = ["privacy"]

    @get("/export", opt={**roles(ORGANISERS), "audit": True})
    async def export_person(self, person_id: PersonId) -> PersonExport:
        """Everything stored about this person, as JSON (a subject access request); audit-logged."""
        return await services.export_person(person_id)

    @post("/erase", opt=roles(Role.admin), status_code=HTTP_200_OK)
    async def erase_person(self, request: Request[Principal, Any, Any], person_id: PersonId) -> ErasureOut:
        """Anonymise this person: their registrations stay as counts, their links stop working, the copies
        of their emails are blanked. Cannot be undone."""
        return await services.erase_person(request.user, person_id)


class AuditLogController(Controller):
    path = "/api/audit-log"
    tags = ["privacy"]

    @get("/", opt=roles(Role.admin))
    async def list_audit_log(
        self,
        account_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
        route: Annotated[str | None, QueryParameter(max_length=300)] = None,
        since: Annotated[date | None, QueryParameter(description="Entries from this day on")] = None,
        page: PageNumber = 1,
        per_page: PerPage = 50,
    ) -> Page[AuditEntryOut]:
        """Who changed what, newest first."""
        return await services.list_audit(
            pagination(page, per_page), account_id=account_id, route=route, since=since
        )

    @get("/retention", opt=roles(Role.admin))
    async def retention_policy(self) -> RetentionOut:
        """Days after an event that its participants' personal data is kept, per kind of event."""
        return services.retention_policy()
