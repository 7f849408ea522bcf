"""Reference data for organisers: organisations and people (list, search, add, change), and the bulk import
of both from CSV with a dry run. Hand-written rather than piccolo-admin: see the report of issue 9."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import PathParameter, QueryParameter
from litestar.response import Template
from litestar.status_codes import HTTP_200_OK, HTTP_400_BAD_REQUEST

from dtz_events.core.auth import PUBLIC, Principal, roles
from dtz_events.core.errors import InvalidInput, NotFound
from dtz_events.core.i18n import gettext
from dtz_events.core.schemas import Pagination
from dtz_events.pages import access, queries
from dtz_events.pages.access import PageResult
from dtz_events.pages.forms import form_id, form_page, save_or_rerender
from dtz_events.pages.rendering import page_language
from dtz_events.partners import services as partners
from dtz_events.partners.imports import COLUMNS, ImportKind, import_csv
from dtz_events.partners.schemas import (
    OrganisationCreate,
    OrganisationKind,
    OrganisationUpdate,
    PersonCreate,
    PersonUpdate,
)

ItemId = Annotated[int, PathParameter(ge=1, le=2**31 - 1, description="Id")]
Search = Annotated[str | None, QueryParameter(max_length=200)]
ORG_LABELS = {
    "name": "Name",
    "kind": "Kind",
    "municipality": "Municipality",
    "kvk_number": "KvK number",
    "website": "Website",
}
PERSON_LABELS = {
    "name": "Name",
    "email": "Email address",
    "organisation_id": "Organisation",
    "language": "Language",
    "job_title": "Job title",
}
KIND_NAMES = {
    "company": "Company",
    "starter": "Starter",
    "school": "School",
    "knowledge_institution": "Knowledge institution",
    "municipality": "Municipality",
    "province": "Province",
    "ministry": "Ministry",
    "programme": "Programme or hub",
    "other": "Other",
}


def _org_body(values: dict[str, str]) -> dict[str, Any]:
    return {
        "name": values.get("name", ""),
        "kind": values.get("kind", ""),
        "municipality": values.get("municipality") or None,
        "kvk_number": values.get("kvk_number") or None,
        "website": values.get("website") or None,
    }


def _person_body(values: dict[str, str]) -> dict[str, Any]:
    return {
        "name": values.get("name", ""),
        "email": values.get("email", ""),
        "organisation_id": form_id(values.get("organisation_id", "")),
        "language": values.get("language") or "nl",
        "job_title": values.get("job_title") or None,
    }


class ReferencePages(Controller):
    path = "/organiser"
    include_in_schema = False

    # ------------------------------------------------------------ organisations

    @get("/organisations", opt=roles(PUBLIC))
    async def organisations(self, request: Request[Any, Any, Any], q: Search = None) -> PageResult:
        principal = access.organiser(request)
        if not isinstance(principal, Principal):
            return principal
        return await _organisations_page(request, principal, q or "", {"kind": "company"})

    @post("/organisations", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def add_organisation(self, request: Request[Any, Any, Any]) -> PageResult:
        principal = access.organiser(request)
        if not isinstance(principal, Principal):
            return principal
        values = await access.form_values(request)
        return await save_or_rerender(
            lambda: partners.create_organisation(msgspec.convert(_org_body(values), OrganisationCreate)),
            lambda errors: _organisations_page(request, principal, "", values, errors),
            main_field="name",
            done="/organiser/organisations",
        )

    @get("/organisations/{item_id:int}", opt=roles(PUBLIC))
    async def organisation(self, request: Request[Any, Any, Any], item_id: ItemId) -> PageResult:
        principal = access.organiser(request)
        if not isinstance(principal, Principal):
            return principal
        try:
            org = await partners.get_organisation(principal, item_id)
        except NotFound:
            return access.not_found(page_language(request, principal))
        values = {k: getattr(org, k) or "" for k in ORG_LABELS}
        values["kind"] = org.kind.value
        return await _organisation_page(request, principal, item_id, values)

    @post("/organisations/{item_id:int}", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def change_organisation(self, request: Request[Any, Any, Any], item_id: ItemId) -> PageResult:
        principal = access.organiser(request)
        if not isinstance(principal, Principal):
            return principal
        values = await access.form_values(request)
        return await save_or_rerender(
            lambda: partners.update_organisation(
                item_id, msgspec.convert(_org_body(values), OrganisationUpdate)
            ),
            lambda errors: _organisation_page(request, principal, item_id, values, errors),
            main_field="name",
            done="/organiser/organisations",
            missing=lambda: access.not_found(page_language(request, principal)),
        )

    # ------------------------------------------------------------ people

    @get("/people", opt=roles(PUBLIC))
    async def people(self, request: Request[Any, Any, Any], q: Search = None) -> PageResult:
        principal = access.organiser(request)
        if not isinstance(principal, Principal):
            return principal
        return await _people_page(request, principal, q or "", {"language": "nl"})

    @post("/people", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def add_person(self, request: Request[Any, Any, Any]) -> PageResult:
        principal = access.organiser(request)
        if not isinstance(principal, Principal):
            return principal
        values = await access.form_values(request)
        return await save_or_rerender(
            lambda: partners.create_person(principal, msgspec.convert(_person_body(values), PersonCreate)),
            lambda errors: _people_page(request, principal, "", values, errors),
            main_field="email",
            done="/organiser/people",
        )

    @get("/people/{item_id:int}", opt=roles(PUBLIC))
    async def person(self, request: Request[Any, Any, Any], item_id: ItemId) -> PageResult:
        principal = access.organiser(request)
        if not isinstance(principal, Principal):
            return principal
        try:
            person = await partners.get_person(principal, item_id)
        except NotFound:
            return access.not_found(page_language(request, principal))
        values = {k: str(getattr(person, k) or "") for k in PERSON_LABELS}
        return await _person_page(request, principal, item_id, values)

    @post("/people/{item_id:int}", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def change_person(self, request: Request[Any, Any, Any], item_id: ItemId) -> PageResult:
        principal = access.organiser(request)
        if not isinstance(principal, Principal):
            return principal
        values = await access.form_values(request)
        return await save_or_rerender(
            lambda: partners.update_person(
                principal, item_id, msgspec.convert(_person_body(values), PersonUpdate)
            ),
            lambda errors: _person_page(request, principal, item_id, values, errors),
            main_field="email",
            done="/organiser/people",
            missing=lambda: access.not_found(page_language(request, principal)),
        )

    # ------------------------------------------------------------ import

    @get("/import", opt=roles(PUBLIC))
    async def import_page(self, request: Request[Any, Any, Any]) -> PageResult:
        principal = access.organiser(request)
        if not isinstance(principal, Principal):
            return principal
        return _import_page(request, principal, "people")

    @post("/import", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def run_import(self, request: Request[Any, Any, Any]) -> PageResult:
        principal = access.organiser(request)
        if not isinstance(principal, Principal):
            return principal
        lang = page_language(request, principal)
        form = await request.form()
        kind = str(form.get("kind") or "")
        upload = form.get("file")
        dry_run = str(form.get("mode") or "check") != "import"
        if kind not in {k.value for k in ImportKind}:
            return _import_page(request, principal, "people", error=gettext(lang, "Choose what to import."))
        if not isinstance(upload, UploadFile):
            return _import_page(request, principal, kind, error=gettext(lang, "Choose a CSV file."))
        content = await upload.read()
        try:
            report = await import_csv(ImportKind(kind), content.decode("utf-8"), dry_run=dry_run)
        except UnicodeDecodeError:
            return _import_page(request, principal, kind, error=gettext(lang, "The file must be UTF-8 text."))
        except InvalidInput as exc:
            message = exc.errors[0].message if exc.errors else exc.detail
            return _import_page(request, principal, kind, error=message)
        return _import_page(request, principal, kind, report=report)


def _kinds(lang: str) -> list[tuple[str, str]]:
    return [(k.value, gettext(lang, KIND_NAMES[k.value])) for k in OrganisationKind]


async def _organisations_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    q: str,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
) -> Template:
    lang = page_language(request, principal)
    page = await partners.list_organisations(principal, Pagination(1, 200), q=q or None)
    return form_page(
        "reference_organisations.html.j2",
        lang,
        principal,
        ORG_LABELS,
        values,
        errors,
        q=q,
        items=page.items,
        total=page.total,
        kinds=_kinds(lang),
        kind_names={k: gettext(lang, v) for k, v in KIND_NAMES.items()},
    )


async def _organisation_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    item_id: int,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
) -> Template:
    lang = page_language(request, principal)
    return form_page(
        "reference_organisation.html.j2",
        lang,
        principal,
        ORG_LABELS,
        values,
        errors,
        item_id=item_id,
        kinds=_kinds(lang),
        people=await queries.people_of(item_id),
    )


async def _people_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    q: str,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
) -> Template:
    page = await partners.list_people(principal, Pagination(1, 200), q=q or None)
    organisations = await queries.organisation_choices()
    return form_page(
        "reference_people.html.j2",
        page_language(request, principal),
        principal,
        PERSON_LABELS,
        values,
        errors,
        q=q,
        items=page.items,
        total=page.total,
        org_names={o["id"]: o["name"] for o in organisations},
        organisations=[(o["id"], o["name"]) for o in organisations],
    )


async def _person_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    item_id: int,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
) -> Template:
    organisations = await queries.organisation_choices()
    return form_page(
        "reference_person.html.j2",
        page_language(request, principal),
        principal,
        PERSON_LABELS,
        values,
        errors,
        item_id=item_id,
        organisations=[(o["id"], o["name"]) for o in organisations],
    )


def _import_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    kind: str,
    *,
    error: str = "",
    report: Any = None,
) -> Template:
    lang = page_language(request, principal)
    context = {
        "lang": lang,
        "principal": principal,
        "kind": kind,
        "error": gettext(lang, error) if error else "",
        "report": report,
        "columns": {k.value: ", ".join(v) for k, v in COLUMNS.items()},
    }
    status = HTTP_400_BAD_REQUEST if error or (report and report.errors) else HTTP_200_OK
    return Template("reference_import.html.j2", context=context, status_code=status)
