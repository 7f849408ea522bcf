"""Who may see a page, for pages that send the anonymous to the login page (a redirect, not a 401) and show
everyone else who may not see it a 'not found' page (a partner learns nothing about organiser pages)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_404_NOT_FOUND

from dtz_events.core.auth import ORGANISERS, Principal, Role
from dtz_events.pages.controllers import problem_page
from dtz_events.pages.rendering import page_language

PARTNERS = frozenset({Role.partner_coordinator})
PageResult = Template | Redirect


def login_redirect(request: Request[Any, Any, Any]) -> Redirect:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    return Redirect(f"/login?next={quote(target, safe='/')}", status_code=HTTP_303_SEE_OTHER)


def not_found(lang: str) -> Template:
    return problem_page(
        lang,
        HTTP_404_NOT_FOUND,
        "Page not found",
        "This page does not exist, or you may not see it. Check the address, or ask the organisers.",
    )


def allowed(request: Request[Any, Any, Any], roles: frozenset[Role]) -> Principal | PageResult:
    """The caller if their role may see the page; otherwise the answer to give instead."""
    principal: Principal | None = request.user
    if principal is None:
        return login_redirect(request)
    if principal.role not in roles:
        return not_found(page_language(request, principal))
    return principal


def organiser(request: Request[Any, Any, Any]) -> Principal | PageResult:
    return allowed(request, ORGANISERS)


def partner(request: Request[Any, Any, Any]) -> Principal | PageResult:
    return allowed(request, PARTNERS)


async def form_values(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The first value of each field, stripped; files are left out."""
    form = await request.form()
    return {key: value.strip() for key, value in form.items() if isinstance(value, str)}


async def form_lists(request: Request[Any, Any, Any]) -> dict[str, list[str]]:
    form = await request.form()
    return {key: [v for v in form.getall(key) if isinstance(v, str)] for key in form}


def see_other(url: str) -> Redirect:
    return Redirect(url, status_code=HTTP_303_SEE_OTHER)
