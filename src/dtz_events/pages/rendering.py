"""Jinja2 for pages, through litestar.plugins.jinja, with Babel translations chosen by the page's `lang`."""

from __future__ import annotations

from contextvars import ContextVar
from pathlib import Path
from typing import Any

from jinja2 import Environment, Template
from litestar import Request
from litestar.datastructures import CacheControlHeader
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from markupsafe import Markup

from dtz_events.core import i18n
from dtz_events.core.auth import PUBLIC, Principal, roles

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
LANGUAGE_KEY = "lang"  # the language switch's choice, in the session

_csrf_field: ContextVar[Markup | None] = ContextVar("csrf_field", default=None)


def csrf_field() -> Markup:
    """The hidden CSRF input of the page being rendered; for macros imported without context."""
    return _csrf_field.get() or Markup("")


def page_environment() -> Environment:
    env = jinja_environment_with_globals()
    i18n.install(env)
    return env


def jinja_environment_with_globals() -> Environment:
    from dtz_events.core.templating import jinja_environment

    env = jinja_environment(TEMPLATES_DIR)
    env.globals["csrf_field"] = csrf_field
    return env


class _PageTemplate:
    """Litestar hands `csrf_input` over as a plain string; autoescaping would print it as text."""

    def __init__(self, template: Template) -> None:
        self.template = template

    def render(self, **context: Any) -> str:
        field = Markup(context.get("csrf_input") or "")  # noqa: S704 - Litestar's input, its value html-escaped
        context["csrf_input"] = field
        reset = _csrf_field.set(field)
        try:
            return self.template.render(**context)
        finally:
            _csrf_field.reset(reset)


class PageEngine(JinjaTemplateEngine):
    def get_template(self, template_name: str) -> Any:
        return _PageTemplate(super().get_template(template_name))


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(instance=PageEngine(engine_instance=page_environment()))


def page_language(request: Request[Any, Any, Any], principal: Principal | None = None) -> str:
    """The language switch's choice, else the account's language, else the browser's."""
    chosen = request.session.get(LANGUAGE_KEY) if "session" in request.scope else None
    return i18n.pick_language(
        chosen if isinstance(chosen, str) else None,
        principal.language if principal else None,
        request.headers.get("accept-language"),
    )


STATIC_DIR = Path(__file__).resolve().parent / "static"

# The pages' own scripts (the CSP allows scripts from this origin only, none inline). Typed Any: it joins
# the app's list of controllers.
STATIC_FILES: Any = create_static_files_router(
    path="/static",
    directories=[STATIC_DIR],
    opt=roles(PUBLIC),
    include_in_schema=False,
    cache_control=CacheControlHeader(max_age=3600),
)
