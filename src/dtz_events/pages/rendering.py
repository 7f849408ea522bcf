"""Jinja2 for pages, through litestar.plugins.jinja, with Babel translations chosen by the page's `lang`."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from dtz_events.core import i18n
from dtz_events.core.templating import jinja_environment

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def page_environment() -> Environment:
    env = jinja_environment(TEMPLATES_DIR)
    i18n.install(env)
    return env


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(instance=JinjaTemplateEngine(engine_instance=page_environment()))
