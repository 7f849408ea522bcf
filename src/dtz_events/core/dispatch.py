"""Hands work to the workers after the transaction that caused it commits.

Production: a Dramatiq message on Redis or RabbitMQ, built by actor name, so the web process needs no actor
imports. Embedded: an asyncio queue consumed in the web process's own loop (sharing its connection pool).
No dispatcher (a CLI command): nothing is sent, and the scheduler's sweep finds the work later."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import dramatiq

from dtz_events.core.logging import request_id_var

logger = logging.getLogger(__name__)

Handler = Callable[..., Awaitable[Any]]

# Actor name -> the service function it calls; the one table both the Dramatiq actors and the in-process
# worker are built from (see dtz_events.tasks).
HANDLERS: dict[str, tuple[str, Handler]] = {}


def handler(actor_name: str, queue_name: str = "default") -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[actor_name] = (queue_name, fn)
        return fn

    return register


class Dispatcher(Protocol):
    def send(self, actor_name: str, *args: Any) -> None: ...


def job_options() -> dict[str, Any]:
    """Message options a job carries: the request id of the request that caused it, for the logs."""
    request_id = request_id_var.get()
    return {"request_id": request_id} if request_id else {}


class BrokerDispatcher:
    def __init__(self, broker: dramatiq.Broker) -> None:
        self.broker = broker

    def send(self, actor_name: str, *args: Any) -> None:
        queue_name = HANDLERS[actor_name][0] if actor_name in HANDLERS else "default"
        message: dramatiq.Message[Any] = dramatiq.Message(
            queue_name=queue_name, actor_name=actor_name, args=args, kwargs={}, options=job_options()
        )
        try:
            self.broker.enqueue(message)
        except Exception:  # the row is in the database: the sweep will dispatch it again
            logger.exception("could not enqueue %s; the scheduler's sweep will retry", actor_name)


class InProcessDispatcher:
    """The embedded worker: runs handlers in this event loop, a few at a time."""

    def __init__(self, concurrency: int = 2) -> None:
        self.queue: asyncio.Queue[tuple[str, tuple[Any, ...], str | None]] = asyncio.Queue()
        self.concurrency = concurrency
        self.tasks: list[asyncio.Task[None]] = []

    def send(self, actor_name: str, *args: Any) -> None:
        self.queue.put_nowait((actor_name, args, request_id_var.get()))

    async def _consume(self) -> None:
        while True:
            actor_name, args, request_id = await self.queue.get()
            token = request_id_var.set(request_id)
            try:
                logger.debug("job %s started", actor_name)
                await HANDLERS[actor_name][1](*args)
            except Exception:
                logger.exception("in-process job %s failed", actor_name)
            finally:
                request_id_var.reset(token)
                self.queue.task_done()

    def start(self) -> None:
        self.tasks = [asyncio.create_task(self._consume()) for _ in range(self.concurrency)]

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def drain(self) -> None:
        await self.queue.join()


_current: Dispatcher | None = None


def set_dispatcher(dispatcher: Dispatcher | None) -> None:
    global _current
    _current = dispatcher


def is_active() -> bool:
    """False in a process that has no worker to hand work to (a CLI command)."""
    return _current is not None


def dispatch(actor_name: str, *args: Any) -> None:
    if _current is not None:
        _current.send(actor_name, *args)
