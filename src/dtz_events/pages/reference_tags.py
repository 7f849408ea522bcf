"""Reference data for organisers, continued: the programme and theme tags (list, add, rename) and, for
admins only, the accounts (list, add). The slug of a tag is fixed once made: API callers and the CSV import
use it. The accounts service has no deactivation or change of role, so neither has this page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import PathParameter
from litestar.response import Template
from litestar.status_codes import HTTP_200_OK, HTTP_400_BAD_REQUEST

from dtz_events.accounts import services as accounts
from dtz_events.accounts.schemas import AccountCreate
from dtz_events.core.auth import PUBLIC, Principal, Role, roles
from dtz_events.core.errors import DomainError, NotFound
from dtz_events.core.i18n import gettext
from dtz_events.pages import access, queries
from dtz_events.pages.access import PageResult
from dtz_events.pages.forms import domain_errors, msgspec_errors, problems, translated
from dtz_events.pages.rendering import page_language
from dtz_events.partners import services as partners
from dtz_events.partners.schemas import TagCreate
from dtz_events.partners.tables import Programme, Theme

TagSlug = Annotated[str, PathParameter(min_length=1, max_length=60, description="Slug")]
TagTable = type[Programme] | type[Theme]
ADMINS = frozenset({Role.admin})
SLUG_RULE = "Use lower-case letters, digits and single hyphens only, at most 60 characters."
TAG_LABELS = {"slug": "Short name", "name_nl": "Dutch name", "name_en": "English name"}
ACCOUNT_LABELS = {
    "name": "Name",
    "email": "Email address",
    "role": "Role",
    "organisation_id": "Organisation",
    "language": "Language",
    "password": "Initial password",
}
ROLE_NAMES = {
    "admin": "Administrator",
    "organiser": "Organiser",
    "board_secretary": "Board secretary",
    "partner_coordinator": "Partner coordinator",
}


@dataclass(frozen=True)
class TagKind:
    """What differs between the programme and the theme pages."""

    path: str
    table: TagTable
    title: str
    add_title: str


PROGRAMMES = TagKind("/organiser/programmes", Programme, "Programmes", "Add a programme")
THEMES = TagKind("/organiser/themes", Theme, "Themes", "Add a theme")


def _tag_body(values: dict[str, str], slug: str | None = None) -> dict[str, Any]:
    return {
        "slug": slug if slug is not None else values.get("slug", ""),
        "name_nl": values.get("name_nl", ""),
        "name_en": values.get("name_en", ""),
    }


def _account_body(values: dict[str, str]) -> dict[str, Any]:
    raw = values.get("organisation_id", "")
    return {
        "name": values.get("name", ""),
        "email": values.get("email", ""),
        "role": values.get("role", ""),
        "organisation_id": (int(raw) if raw.isdigit() and len(raw) < 10 else 0) if raw else None,
        "language": values.get("language") or "nl",
        "password": values.get("password") or None,
    }


class TagPages(Controller):
    path = "/organiser"
    include_in_schema = False

    @get("/programmes", opt=roles(PUBLIC))
    async def programmes(self, request: Request[Any, Any, Any]) -> PageResult:
        return await _list(request, PROGRAMMES)

    @post("/programmes", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def add_programme(self, request: Request[Any, Any, Any]) -> PageResult:
        return await _add(request, PROGRAMMES)

    @get("/programmes/{slug:str}", opt=roles(PUBLIC))
    async def programme(self, request: Request[Any, Any, Any], slug: TagSlug) -> PageResult:
        return await _show(request, PROGRAMMES, slug)

    @post("/programmes/{slug:str}", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def rename_programme(self, request: Request[Any, Any, Any], slug: TagSlug) -> PageResult:
        return await _rename(request, PROGRAMMES, slug)

    @get("/themes", opt=roles(PUBLIC))
    async def themes(self, request: Request[Any, Any, Any]) -> PageResult:
        return await _list(request, THEMES)

    @post("/themes", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def add_theme(self, request: Request[Any, Any, Any]) -> PageResult:
        return await _add(request, THEMES)

    @get("/themes/{slug:str}", opt=roles(PUBLIC))
    async def theme(self, request: Request[Any, Any, Any], slug: TagSlug) -> PageResult:
        return await _show(request, THEMES, slug)

    @post("/themes/{slug:str}", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def rename_theme(self, request: Request[Any, Any, Any], slug: TagSlug) -> PageResult:
        return await _rename(request, THEMES, slug)


class AccountPages(Controller):
    path = "/organiser/accounts"
    include_in_schema = False

    @get("/", opt=roles(PUBLIC))
    async def accounts(self, request: Request[Any, Any, Any]) -> PageResult:
        principal = access.allowed(request, ADMINS)
        if not isinstance(principal, Principal):
            return principal
        return await _accounts_page(request, principal, {"role": "organiser", "language": "nl"})

    @post("/", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def add_account(self, request: Request[Any, Any, Any]) -> PageResult:
        principal = access.allowed(request, ADMINS)
        if not isinstance(principal, Principal):
            return principal
        values = await access.form_values(request)
        try:
            await accounts.create_account(msgspec.convert(_account_body(values), AccountCreate))
        except msgspec.ValidationError as exc:
            return await _accounts_page(request, principal, values, msgspec_errors(exc))
        except DomainError as exc:
            return await _accounts_page(request, principal, values, domain_errors(exc, "email"))
        return access.see_other("/organiser/accounts")


# ---------------------------------------------------------------- tags


async def _list(request: Request[Any, Any, Any], kind: TagKind) -> PageResult:
    principal = access.organiser(request)
    if not isinstance(principal, Principal):
        return principal
    return await _tags_page(request, principal, kind, {})


async def _add(request: Request[Any, Any, Any], kind: TagKind) -> PageResult:
    principal = access.organiser(request)
    if not isinstance(principal, Principal):
        return principal
    values = await access.form_values(request)
    try:
        await partners.create_tag(kind.table, msgspec.convert(_tag_body(values), TagCreate))
    except msgspec.ValidationError as exc:
        errors = msgspec_errors(exc)
        if "slug" in errors:  # msgspec names the regex; a person needs the rule in words
            errors["slug"] = SLUG_RULE
        return await _tags_page(request, principal, kind, values, errors)
    except DomainError as exc:
        return await _tags_page(request, principal, kind, values, domain_errors(exc, "slug"))
    return access.see_other(kind.path)


async def _show(request: Request[Any, Any, Any], kind: TagKind, slug: str) -> PageResult:
    principal = access.organiser(request)
    if not isinstance(principal, Principal):
        return principal
    try:
        tag = await partners.get_tag(kind.table, slug)
    except NotFound:
        return access.not_found(page_language(request, principal))
    values = {"slug": tag.slug, "name_nl": tag.name_nl, "name_en": tag.name_en}
    return _tag_page(request, principal, kind, values)


async def _rename(request: Request[Any, Any, Any], kind: TagKind, slug: str) -> PageResult:
    principal = access.organiser(request)
    if not isinstance(principal, Principal):
        return principal
    values = {**await access.form_values(request), "slug": slug}
    try:
        await partners.rename_tag(kind.table, msgspec.convert(_tag_body(values, slug), TagCreate))
    except NotFound:
        return access.not_found(page_language(request, principal))
    except msgspec.ValidationError as exc:
        return _tag_page(request, principal, kind, values, msgspec_errors(exc))
    except DomainError as exc:
        return _tag_page(request, principal, kind, values, domain_errors(exc, "name_nl"))
    return access.see_other(kind.path)


async def _tags_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    kind: TagKind,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
) -> Template:
    lang = page_language(request, principal)
    errors = translated(errors or {}, lang)
    context = {
        "lang": lang,
        "principal": principal,
        "kind": kind,
        "items": await partners.list_tags(kind.table),
        "values": values,
        "errors": errors,
        "error_list": problems(errors, TAG_LABELS, lang),
    }
    status = HTTP_400_BAD_REQUEST if errors else HTTP_200_OK
    return Template("reference_tags.html.j2", context=context, status_code=status)


def _tag_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    kind: TagKind,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
) -> Template:
    lang = page_language(request, principal)
    errors = translated(errors or {}, lang)
    context = {
        "lang": lang,
        "principal": principal,
        "kind": kind,
        "values": values,
        "errors": errors,
        "error_list": problems(errors, TAG_LABELS, lang),
    }
    status = HTTP_400_BAD_REQUEST if errors else HTTP_200_OK
    return Template("reference_tag.html.j2", context=context, status_code=status)


# ---------------------------------------------------------------- accounts


async def _accounts_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
) -> Template:
    lang = page_language(request, principal)
    errors = translated(errors or {}, lang)
    organisations = await queries.organisation_choices()
    context = {
        "lang": lang,
        "principal": principal,
        "items": await accounts.list_accounts(),
        "org_names": {o["id"]: o["name"] for o in organisations},
        "organisations": [(o["id"], o["name"]) for o in organisations],
        "role_names": {k: gettext(lang, v) for k, v in ROLE_NAMES.items()},
        "roles": [(r.value, gettext(lang, ROLE_NAMES[r.value])) for r in Role],
        # A password typed is never sent back in the page.
        "values": {k: v for k, v in values.items() if k != "password"},
        "errors": errors,
        "error_list": problems(errors, ACCOUNT_LABELS, lang),
    }
    status = HTTP_400_BAD_REQUEST if errors else HTTP_200_OK
    return Template("reference_accounts.html.j2", context=context, status_code=status)
