"""The Dramatiq broker from settings. `setup_broker` must run before any actor module is imported."""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import AsyncIO

from dtz_events.settings import Settings


def make_broker(settings: Settings) -> dramatiq.Broker:
    url = settings.broker_url
    broker: dramatiq.Broker
    if url.startswith(("redis://", "rediss://")):
        from dramatiq.brokers.redis import RedisBroker

        broker = RedisBroker(url=url)  # type: ignore[no-untyped-call]
    elif url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        broker = RabbitmqBroker(url=url)
    elif not url:
        broker = StubBroker()
    else:
        raise ValueError(f"DTZ_BROKER_URL must be redis://, rediss://, amqp:// or amqps://, not {url!r}")
    broker.add_middleware(AsyncIO())
    return broker


def setup_broker(settings: Settings) -> dramatiq.Broker:
    broker = make_broker(settings)
    dramatiq.set_broker(broker)
    return broker
