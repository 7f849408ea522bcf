"""Worker entry point for `dramatiq dtz_events.worker`: the broker first, then every domain's actors."""

from __future__ import annotations

import contextlib
import logging
from contextvars import Token
from typing import Any

import dramatiq
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.broker import MessageProxy

from dtz_events.broker import setup_broker
from dtz_events.core import db
from dtz_events.core.logging import configure_logging, request_id_var
from dtz_events.settings import Settings

logger = logging.getLogger("dtz_events.worker")


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


class RequestIdMiddleware(dramatiq.Middleware):
    """Sets the request id a message carries (see core.dispatch.job_options) around its processing, so the
    job's log lines name the request that caused it. The async actor runs in the event loop thread, but
    run_coroutine_threadsafe copies this worker thread's context into its task, so the id goes along."""

    def __init__(self) -> None:
        self.tokens: dict[str, Token[str | None]] = {}

    def before_process_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        request_id = message.options.get("request_id")
        self.tokens[message.message_id] = request_id_var.set(
            request_id if isinstance(request_id, str) else None
        )
        logger.info("job %s started", message.actor_name, extra={"message_id": message.message_id})

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        outcome = "failed" if exception is not None else "done"
        logger.info("job %s %s", message.actor_name, outcome, extra={"message_id": message.message_id})
        token = self.tokens.pop(message.message_id, None)
        if token is not None:
            with contextlib.suppress(ValueError):  # reset from another context: nothing to undo
                request_id_var.reset(token)

    def after_skip_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        self.after_process_message(broker, message)


settings = Settings.from_env()
configure_logging()
broker = setup_broker(settings)
broker.add_middleware(DatabaseMiddleware(settings))
broker.add_middleware(RequestIdMiddleware())

from dtz_events import tasks  # noqa: E402,F401 - the actors, after the broker is set
