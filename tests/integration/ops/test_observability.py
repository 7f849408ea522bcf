"""Health, metrics, request ids and security headers, as a scraper, a load balancer and a browser see them."""

from __future__ import annotations

import json
import logging
import re

import httpx
import pytest

from dtz_events.app import create_app
from dtz_events.core.dispatch import InProcessDispatcher, set_dispatcher
from dtz_events.core.logging import JsonFormatter, RequestIdFilter
from dtz_events.settings import Settings

pytestmark = pytest.mark.sqlite


async def test_live_and_ready(client):
    r = await client.get("/health/live")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": None, "broker": None}
    r = await client.get("/health/ready")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": True, "broker": None}


async def _client_with_broker(settings: Settings, url: str) -> httpx.AsyncClient:
    from dataclasses import replace

    app = create_app(replace(settings, broker_url=url))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver.local")


async def test_ready_is_503_problem_when_the_broker_is_down(settings):
    from tests.support.fixtures import free_port

    async with await _client_with_broker(settings, f"redis://127.0.0.1:{free_port()}/0") as c:
        r = await c.get("/health/ready")
    assert r.status_code == 503
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["status"] == 503
    assert "broker" in r.json()["detail"]
    async with await _client_with_broker(settings, f"amqp://guest:guest@127.0.0.1:{free_port()}/") as c:
        r = await c.get("/health/ready")
    assert r.status_code == 503


async def test_ready_names_a_reachable_redis(settings):
    async with await _client_with_broker(settings, "redis://127.0.0.1:6379/0") as c:
        r = await c.get("/health/ready")
    assert r.status_code == 200, r.text
    assert r.json()["broker"] is True


async def test_metrics_count_requests_and_read_the_outbox(client, world):
    h = world.actors["organiser"].headers
    r = await client.post(
        f"/api/events/{world.events['network']}/registrations",
        json={"person_id": world.people["a1"]},
        headers=h,
    )
    assert r.status_code == 201, r.text
    await client.get("/api/events", headers=h)
    await client.get("/api/events/999999", headers=h)
    r = await client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert re.search(r'dtz_http_requests_total\{method="GET",route="/api/events",status="200"\} \d', text)
    assert 'route="/api/events/{event_id}",status="404"' in text
    assert 'dtz_http_request_duration_seconds_bucket{le="0.25",method="GET",route="/api/events"}' in text
    # The registration queued its confirmation: the outbox depth says so.
    queued = re.search(r'dtz_outbox_messages\{status="queued"\} (\d+)', text)
    assert queued is not None
    assert float(queued.group(1)) > 0
    assert "dtz_outbox_queue_lag_seconds" in text
    assert 'dtz_outbox_send_latency_seconds_bucket{le="+Inf"}' in text
    assert "dtz_outbox_retrying_messages" in text


async def test_unknown_paths_share_one_label(client):
    for n in range(3):
        await client.get(f"/no/such/page/{n}")
    text = (await client.get("/metrics")).text
    assert 'route="unmatched",status="404"' in text
    assert "/no/such/page" not in text


async def test_request_id_goes_in_and_out(client):
    r = await client.get("/health/live", headers={"X-Request-ID": "lb-4711.abc"})
    assert r.headers["x-request-id"] == "lb-4711.abc"
    r = await client.get("/health/live", headers={"X-Request-ID": "bad id\r\nInjected: yes"})
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])
    r = await client.get("/health/live")
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])


async def test_request_id_follows_the_request_into_its_jobs(client, world):
    """A registration's emails go to the broker with the id of the request that caused them; the in-process
    worker runs a job with the id of the request that queued it."""
    from dramatiq.brokers.stub import StubBroker

    from dtz_events.core.dispatch import HANDLERS, BrokerDispatcher, dispatch, handler
    from dtz_events.core.logging import current_request_id, request_id_var

    broker = StubBroker()
    broker.declare_queue("mail")
    set_dispatcher(BrokerDispatcher(broker))
    try:
        r = await client.post(
            f"/api/events/{world.events['network']}/registrations",
            json={"person_id": world.people["a2"]},
            headers={**world.actors["organiser"].headers, "X-Request-ID": "register-a2"},
        )
        assert r.status_code == 201, r.text
    finally:
        set_dispatcher(None)
    messages = [m for q in broker.queues.values() for m in list(q.queue)]
    assert messages, "the registration sent its confirmation to the broker"
    import dramatiq

    decoded = [dramatiq.Message.decode(m) for m in messages]
    assert {m.options.get("request_id") for m in decoded} == {"register-a2"}

    seen: list[str | None] = []

    @handler("tests.remember_request_id")
    async def remember() -> None:
        seen.append(current_request_id())

    worker = InProcessDispatcher()
    worker.start()
    set_dispatcher(worker)
    token = request_id_var.set("req-in-process")
    try:
        dispatch("tests.remember_request_id")
        request_id_var.reset(token)
        await worker.drain()
    finally:
        set_dispatcher(None)
        await worker.stop()
        HANDLERS.pop("tests.remember_request_id", None)
    assert seen == ["req-in-process"]


def test_json_log_lines_carry_the_request_id():
    from dtz_events.core.logging import request_id_var

    record = logging.LogRecord("dtz", logging.INFO, __file__, 1, "registered %s", ("Anouk",), None)
    token = request_id_var.set("abc123")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "registered Anouk"
    assert line["request_id"] == "abc123"
    assert line["level"] == "info"


async def test_security_headers_on_pages_and_api(client):
    page = await client.get("/login")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-frame-options"] == "DENY"
    api = await client.get("/api/programmes")
    assert api.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    docs = await client.get("/schema/swagger")
    assert "content-security-policy" not in docs.headers
