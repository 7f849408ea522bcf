"""Worker entry point for `dramatiq dtz_events.worker`: the broker first, then every domain's actors."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
from contextvars import Token
from types import FrameType
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


class SecondSignalStopsMiddleware(dramatiq.Middleware):
    """A second SIGTERM (or SIGHUP) ends a worker process at once. Dramatiq answers it with sys.exit() in the
    main thread, which then waits forever for the consumer and event-loop threads that a graceful stop had not
    finished yet: the process hung. Rows it held are taken back by the scheduler's sweep."""

    def after_process_boot(self, broker: dramatiq.Broker) -> None:
        for signum in (signal.SIGTERM, signal.SIGHUP):
            graceful = signal.getsignal(signum)
            if callable(graceful):
                signal.signal(signum, _second_signal_exits(graceful))


def _second_signal_exits(graceful: Any) -> Any:
    received = 0

    def handle(signum: int, frame: FrameType | None) -> None:
        nonlocal received
        received += 1
        if received == 1:
            graceful(signum, frame)
            return
        logger.warning("second signal %s: stopping now", signal.Signals(signum).name)
        logging.shutdown()
        os._exit(1)  # dramatiq's RET_KILLED

    return handle


settings = Settings.from_env()
configure_logging()
broker = setup_broker(settings)
broker.add_middleware(DatabaseMiddleware(settings))
broker.add_middleware(RequestIdMiddleware())
broker.add_middleware(SecondSignalStopsMiddleware())

from dtz_events import tasks  # noqa: E402,F401 - the actors, after the broker is set
