"""Reference data for organisers, continued: the programme and theme tags (list, add, rename) and, for
admins only, the accounts (list, add; per account change the role and organisation, deactivate, reactivate).
The slug of a tag is fixed once made: API callers and the CSV import use it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import PathParameter
from litestar.response import Template
from litestar.status_codes import HTTP_200_OK

from dtz_events.accounts import services as accounts
from dtz_events.accounts.schemas import AccountCreate, AccountUpdate
from dtz_events.core.auth import PUBLIC, Principal, Role, roles
from dtz_events.core.errors import NotFound
from dtz_events.core.i18n import gettext
from dtz_events.pages import access, queries
from dtz_events.pages.access import PageResult
from dtz_events.pages.forms import FormErrors, form_id, form_page, msgspec_errors, save_or_rerender
from dtz_events.pages.rendering import page_language
from dtz_events.partners import services as partners
from dtz_events.partners.schemas import TagCreate
from dtz_events.partners.tables import Programme, Theme

TagSlug = Annotated[str, PathParameter(min_length=1, max_length=60, description="Slug")]
AccountId = Annotated[int, PathParameter(ge=1, le=2**53, description="Account id")]
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
    "active": "Active",
}
NEW_ACCOUNT = {"role": "organiser", "language": "nl"}  # the add form's first values
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
        "organisation_id": form_id(raw) if raw else None,
        "language": values.get("language") or "nl",
        "password": values.get("password") or None,
    }


def _account_change(values: dict[str, str]) -> dict[str, Any]:
    """The row form's buttons: `deactivate`, `reactivate`, or else save the role and organisation chosen."""
    action = values.get("action", "")
    if action in ("deactivate", "reactivate"):
        return {"active": action == "reactivate"}
    raw = values.get("organisation_id", "")
    return {"role": values.get("role", ""), "organisation_id": form_id(raw) if raw else None}


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
        return await _accounts_page(request, principal, NEW_ACCOUNT)

    @post("/", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def add_account(self, request: Request[Any, Any, Any]) -> PageResult:
        principal = access.allowed(request, ADMINS)
        if not isinstance(principal, Principal):
            return principal
        values = await access.form_values(request)
        return await save_or_rerender(
            lambda: accounts.create_account(msgspec.convert(_account_body(values), AccountCreate)),
            lambda errors: _accounts_page(request, principal, values, errors),
            main_field="email",
            done="/organiser/accounts",
        )

    @post("/{account_id:int}", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def change_account(self, request: Request[Any, Any, Any], account_id: AccountId) -> PageResult:
        """One account's row form: save its role (and organisation), or deactivate or reactivate it."""
        principal = access.allowed(request, ADMINS)
        if not isinstance(principal, Principal):
            return principal
        values = await access.form_values(request)
        return await save_or_rerender(
            lambda: accounts.update_account(
                principal, account_id, msgspec.convert(_account_change(values), AccountUpdate)
            ),
            lambda errors: _accounts_page(request, principal, NEW_ACCOUNT, errors, row=(account_id, values)),
            main_field="role",
            done="/organiser/accounts",
            missing=lambda: access.not_found(page_language(request, principal)),
        )


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
    return await save_or_rerender(
        lambda: partners.create_tag(kind.table, _new_tag(values)),
        lambda errors: _tags_page(request, principal, kind, values, errors),
        main_field="slug",
        done=kind.path,
    )


def _new_tag(values: dict[str, str]) -> TagCreate:
    try:
        return msgspec.convert(_tag_body(values), TagCreate)
    except msgspec.ValidationError as exc:
        errors = msgspec_errors(exc)
        if "slug" in errors:  # msgspec names the regex; a person needs the rule in words
            errors["slug"] = SLUG_RULE
        raise FormErrors(errors) from exc


async def _show(request: Request[Any, Any, Any], kind: TagKind, slug: str) -> PageResult:
    principal = access.organiser(request)
    if not isinstance(principal, Principal):
        return principal
    try:
        tag = await partners.get_tag(kind.table, slug)
    except NotFound:
        return access.not_found(page_language(request, principal))
    values = {"slug": tag.slug, "name_nl": tag.name_nl, "name_en": tag.name_en}
    return await _tag_page(request, principal, kind, values)


async def _rename(request: Request[Any, Any, Any], kind: TagKind, slug: str) -> PageResult:
    principal = access.organiser(request)
    if not isinstance(principal, Principal):
        return principal
    values = {**await access.form_values(request), "slug": slug}
    return await save_or_rerender(
        lambda: partners.rename_tag(kind.table, msgspec.convert(_tag_body(values, slug), TagCreate)),
        lambda errors: _tag_page(request, principal, kind, values, errors),
        main_field="name_nl",
        done=kind.path,
        missing=lambda: access.not_found(page_language(request, principal)),
    )


async def _tags_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    kind: TagKind,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
) -> Template:
    return form_page(
        "reference_tags.html.j2",
        page_language(request, principal),
        principal,
        TAG_LABELS,
        values,
        errors,
        kind=kind,
        items=await partners.list_tags(kind.table),
    )


async def _tag_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    kind: TagKind,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
) -> Template:
    lang = page_language(request, principal)
    return form_page("reference_tag.html.j2", lang, principal, TAG_LABELS, values, errors, kind=kind)


# ---------------------------------------------------------------- accounts


async def _accounts_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    row: tuple[int, dict[str, str]] | None = None,
) -> Template:
    """The list with a change form per account, and the add form. `row`: the account whose change form was
    refused, with what was chosen in it; its errors are then that row's (anchored `role-<id>`, ...)."""
    lang = page_language(request, principal)
    organisations = await queries.organisation_choices()
    labels = ACCOUNT_LABELS
    row_values: dict[int, dict[str, str]] = {}
    if row is not None:
        account_id, row_values[account_id] = row[0], row[1]
        errors = {f"{field}-{account_id}": message for field, message in (errors or {}).items()}
        labels = {**labels, **{f"{field}-{account_id}": label for field, label in ACCOUNT_LABELS.items()}}
    return form_page(
        "reference_accounts.html.j2",
        lang,
        principal,
        labels,
        {k: v for k, v in values.items() if k != "password"},  # a password typed is never sent back
        errors,
        items=await accounts.list_accounts(),
        row_values=row_values,
        org_names={o["id"]: o["name"] for o in organisations},
        organisations=[(o["id"], o["name"]) for o in organisations],
        role_names={k: gettext(lang, v) for k, v in ROLE_NAMES.items()},
        roles=[(r.value, gettext(lang, ROLE_NAMES[r.value])) for r in Role],
    )
