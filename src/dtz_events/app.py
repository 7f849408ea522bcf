"""The Litestar application. `create_app(settings)` builds it; importing this module starts nothing."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, Request, get
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.response import Redirect

from dtz_events import __version__, scheduler
from dtz_events.accounts.controllers import AccountController, ApiKeyController, AuthController
from dtz_events.accounts.middleware import PrincipalMiddleware
from dtz_events.board.controllers import BOARD_HANDLERS
from dtz_events.broker import make_broker
from dtz_events.cooperation.controllers import CooperationController
from dtz_events.core import db
from dtz_events.core.auth import PUBLIC, roles, roles_guard
from dtz_events.core.dispatch import BrokerDispatcher, InProcessDispatcher, set_dispatcher
from dtz_events.core.errors import EXCEPTION_HANDLERS
from dtz_events.core.health import HealthController
from dtz_events.core.metrics import ObservabilityMiddleware, metrics_endpoint
from dtz_events.core.openapi import document_problems
from dtz_events.core.ratelimit import RateLimitMiddleware, limits_from_env, make_store
from dtz_events.core.schemas import strict_body, strict_path, strict_query
from dtz_events.core.security_headers import SecurityHeadersMiddleware
from dtz_events.events.controllers import EventController
from dtz_events.mail.controllers import DevMailPages, OutboxController
from dtz_events.mail.services import configure as configure_mail
from dtz_events.matchmaking.controllers import MATCHMAKING_HANDLERS
from dtz_events.pages.board import BOARD_PAGES
from dtz_events.pages.controllers import RsvpPages
from dtz_events.pages.cooperation import CooperationPages
from dtz_events.pages.csrf import CsrfRefused, csrf_middleware, csrf_refused
from dtz_events.pages.events import OrganiserEventPages
from dtz_events.pages.matchmaking import MATCHMAKING_PAGES
from dtz_events.pages.organiser import LoginPages, OrganiserPages, SurveyResultsPage
from dtz_events.pages.participant import SurveyPages, TicketPages
from dtz_events.pages.partner import PartnerPages
from dtz_events.pages.promotion_days import PromotionDayPages
from dtz_events.pages.reference import ReferencePages
from dtz_events.pages.reference_tags import AccountPages, TagPages
from dtz_events.pages.rendering import STATIC_FILES, template_config
from dtz_events.partners.controllers import (
    ImportController,
    OrganisationController,
    PersonController,
    TagController,
)
from dtz_events.privacy.controllers import AuditLogController, PrivacyController
from dtz_events.privacy.middleware import AuditMiddleware
from dtz_events.promotion_days.controllers import (
    PromotionDayController,
    SchoolGroupController,
    WorkshopController,
)
from dtz_events.registrations.controllers import (
    EventRegistrationController,
    FeedController,
    FeedLinkController,
    RegistrationController,
)
from dtz_events.settings import Settings
from dtz_events.surveys.controllers import SurveyController

API_HANDLERS = [
    AuthController,
    AccountController,
    ApiKeyController,
    TagController,
    OrganisationController,
    PersonController,
    ImportController,
    EventController,
    EventRegistrationController,
    RegistrationController,
    FeedLinkController,
    FeedController,
    OutboxController,
    SurveyController,
    CooperationController,
    *BOARD_HANDLERS,
    *MATCHMAKING_HANDLERS,
    PromotionDayController,
    SchoolGroupController,
    WorkshopController,
    HealthController,
    PrivacyController,
    AuditLogController,
]
PAGE_HANDLERS = [RsvpPages, SurveyPages, TicketPages, LoginPages, OrganiserPages, SurveyResultsPage]
PAGE_HANDLERS += [CooperationPages]
PAGE_HANDLERS += [TagPages, AccountPages]
PAGE_HANDLERS += [OrganiserEventPages, PartnerPages, ReferencePages, STATIC_FILES]
PAGE_HANDLERS += BOARD_PAGES
PAGE_HANDLERS += MATCHMAKING_PAGES
PAGE_HANDLERS += [PromotionDayPages]


@get("/", opt=roles(PUBLIC), include_in_schema=False)
async def root() -> Redirect:
    return Redirect("/schema")


@asynccontextmanager
async def background_work(settings: Settings) -> AsyncIterator[None]:
    """Embedded: an in-process worker and scheduler in this loop. Production: only a broker to send to."""
    if not settings.embedded_broker:
        set_dispatcher(BrokerDispatcher(make_broker(settings)))
        yield
        set_dispatcher(None)
        return
    worker = InProcessDispatcher()
    worker.start()
    set_dispatcher(worker)
    scheduler_task = asyncio.create_task(scheduler.run_loop())
    try:
        yield
    finally:
        scheduler_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await scheduler_task
        set_dispatcher(None)
        await worker.stop()


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        owns_pool = await db.connect(settings)
        configure_mail(settings)
        try:
            async with background_work(settings):
                yield
        finally:
            # The in-process worker stops first: its jobs need the pool.
            if owns_pool:
                await db.disconnect()

    # The local outbox page exists only where mail stays local: embedded mode without SMTP.
    dev_pages = [DevMailPages] if settings.embedded_broker and not settings.smtp_url else []
    session = CookieBackendConfig(
        secret=hashlib.sha256(settings.secret_key.encode()).digest(),
        key="dtz_session",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        exclude=["/health", "/schema"],
    )
    openapi = OpenAPIConfig(
        title="dtz-events API",
        version=__version__,
        description="Events, registrations and invitations of the Dutch TechZone cooperation.",
        path="/schema",
        render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
        components=Components(
            security_schemes={
                "apiKey": SecurityScheme(type="http", scheme="bearer", description="dtz_key_... API key"),
                "session": SecurityScheme(type="apiKey", name="dtz_session", security_scheme_in="cookie"),
            }
        ),
        security=[{"apiKey": []}, {"session": []}],
    )
    app = Litestar(
        route_handlers=[root, metrics_endpoint, *API_HANDLERS, *PAGE_HANDLERS, *dev_pages],
        template_config=template_config(),
        lifespan=[lifespan],
        state=State({"settings": settings}),
        middleware=[
            session.middleware,
            DefineMiddleware(RateLimitMiddleware, store=make_store(settings), limits=limits_from_env()),
            AuditMiddleware,
            DefineMiddleware(PrincipalMiddleware, exclude=["/schema"]),
            csrf_middleware(settings.secret_key, settings.secure_cookies),
        ],
        guards=[roles_guard],
        before_request=_before_request,
        exception_handlers={**EXCEPTION_HANDLERS, CsrfRefused: csrf_refused},
        openapi_config=openapi,
        cors_config=CORSConfig(allow_origins=[settings.base_url]),
        debug=False,
        logging_config=None,  # the process sets up logging (JSON, with request ids): core.logging
    )
    document_problems(app)
    # Around everything Litestar does (routing, its 404s, its exception handling): ids, metrics, headers.
    app.asgi_handler = ObservabilityMiddleware(
        SecurityHeadersMiddleware(app.asgi_handler, https=settings.base_url.startswith("https://"))
    )
    return app


async def _before_request(request: Request) -> None:  # type: ignore[type-arg]
    strict_path(request)
    strict_query(request)
    await strict_body(request)
