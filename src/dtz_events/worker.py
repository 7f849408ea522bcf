"""Worker entry point for `dramatiq dtz_events.worker`: the broker first, then every domain's actors."""

from __future__ import annotations

from typing import Any

import dramatiq
from dramatiq.asyncio import get_event_loop_thread

from dtz_events.broker import setup_broker
from dtz_events.core import db
from dtz_events.settings import Settings


class DatabaseMiddleware(dramatiq.Middleware):
    """Opens the connection pool in the worker's event loop (async actors run there) and closes it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def after_worker_boot(self, broker: dramatiq.Broker, worker: Any) -> None:
        from dtz_events.mail.services import configure

        loop = get_event_loop_thread()
        assert loop is not None, "the AsyncIO middleware starts the event loop first"
        loop.run_coroutine(db.connect(self.settings))
        configure(self.settings)

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: Any) -> None:
        loop = get_event_loop_thread()
        if loop is not None:
            loop.run_coroutine(db.disconnect())


settings = Settings.from_env()
broker = setup_broker(settings)
broker.add_middleware(DatabaseMiddleware(settings))

from dtz_events import tasks  # noqa: E402,F401 - the actors, after the broker is set
