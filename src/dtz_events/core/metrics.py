"""Prometheus metrics at /metrics, and the one ASGI middleware that gives every request its id and times it.

Per process by default: each web process counts its own requests, so a scraper sees the process that
answered. With `PROMETHEUS_MULTIPROC_DIR` set (an empty directory, made fresh at each start) the web
processes of one host write their counters there and any of them reports the sum. The outbox figures (depth
by status, send latency, failures, queue lag) are read from the database at each scrape, so every process
reports the same, whole-system truth, whichever worker sent the mail."""

from __future__ import annotations

import logging
import os
import time
from typing import Any, cast

from litestar import Response, get
from litestar.types import ASGIApp, Receive, Scope, Send
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from dtz_events.core import db
from dtz_events.core.auth import PUBLIC, roles
from dtz_events.core.clock import utcnow
from dtz_events.core.logging import REQUEST_ID_HEADER, accept_request_id, request_id_var

logger = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SEND_LATENCY_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0)
SEND_LATENCY_WINDOW_SECONDS = 3600

REQUESTS = Counter(
    "dtz_http_requests",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "dtz_http_request_duration_seconds",
    "Time from the request's arrival to the end of its response, by method and route template.",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)


class ObservabilityMiddleware:
    """Outermost ASGI middleware: accepts or makes the request id (X-Request-ID in and out), sets it for the
    logs and the jobs the request causes, and records the request's count and duration."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, asgi_scope: Scope, receive: Receive, send: Send) -> None:
        scope = cast("dict[str, Any]", asgi_scope)
        if scope["type"] != "http":
            await self.app(asgi_scope, receive, send)
            return
        incoming = None
        for name, value in scope.get("headers") or ():
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = accept_request_id(incoming)
        token = request_id_var.set(request_id)
        status = 500
        header = (REQUEST_ID_HEADER.encode(), request_id.encode())

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)  # type: ignore[arg-type]

        started = time.perf_counter()
        try:
            await self.app(asgi_scope, receive, send_with_id)  # type: ignore[arg-type]
        finally:
            # Unmatched paths share one label: a scanner's random URLs must not grow the series.
            route = scope.get("path_template") or "unmatched"
            method = scope.get("method", "GET")
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(time.perf_counter() - started)
            request_id_var.reset(token)


# ---------------------------------------------------------------- the outbox, read at scrape time


class _Snapshot(Collector):
    def __init__(self, families: list[Any]) -> None:
        self.families = families

    def collect(self) -> Any:
        return iter(self.families)


def _seconds_between(later: str, earlier: str) -> str:
    if db.is_postgres():
        return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


async def outbox_families() -> list[Any]:
    from dtz_events.mail.tables import OutboxMessage

    now = utcnow()
    depth = GaugeMetricFamily(
        "dtz_outbox_messages", "Outbox rows by status (queued, sending, sent, failed).", labels=["status"]
    )
    counts = {"queued": 0, "sending": 0, "sent": 0, "failed": 0}
    for row in await OutboxMessage.raw("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status"):
        counts[row["status"]] = int(row["n"])
    for status, n in sorted(counts.items()):
        depth.add_metric([status], n)

    retrying = await OutboxMessage.count().where(
        (OutboxMessage.status == "queued") & (OutboxMessage.attempts > 0)
    )
    failures = GaugeMetricFamily(
        "dtz_outbox_retrying_messages",
        "Queued rows whose last attempt failed temporarily (SMTP 4xx or no connection); they retry.",
        value=retrying,
    )
    oldest = (
        await OutboxMessage.select(OutboxMessage.next_attempt_at)
        .where((OutboxMessage.status == "queued") & (OutboxMessage.next_attempt_at <= now))
        .order_by(OutboxMessage.next_attempt_at)
        .first()
    )
    lag = GaugeMetricFamily(
        "dtz_outbox_queue_lag_seconds",
        "How long the oldest due, unsent row has waited since it became due (0 when none waits).",
        value=max(0.0, (now - oldest["next_attempt_at"]).total_seconds()) if oldest else 0.0,
    )
    return [depth, failures, lag, await _send_latency(now)]


async def _send_latency(now: Any) -> HistogramMetricFamily:
    from dtz_events.mail.tables import OutboxMessage

    seconds = _seconds_between("sent_at", "created_at")
    cases = ", ".join(
        f"SUM(CASE WHEN {seconds} <= {bound} THEN 1 ELSE 0 END) AS le_{i}"
        for i, bound in enumerate(SEND_LATENCY_BUCKETS)
    )
    since = now.timestamp() - SEND_LATENCY_WINDOW_SECONDS
    from datetime import UTC, datetime

    rows = await OutboxMessage.raw(
        f"SELECT COUNT(*) AS n, COALESCE(SUM({seconds}), 0) AS total, {cases} "
        "FROM outbox WHERE status = 'sent' AND sent_at >= {}",
        datetime.fromtimestamp(since, UTC),
    )
    row = rows[0] if rows else {}
    n = int(row.get("n") or 0)
    buckets = [(str(bound), int(row.get(f"le_{i}") or 0)) for i, bound in enumerate(SEND_LATENCY_BUCKETS)]
    family = HistogramMetricFamily(
        "dtz_outbox_send_latency_seconds",
        f"From an email's row being written to its acceptance by the SMTP server, over the emails sent "
        f"in the last {SEND_LATENCY_WINDOW_SECONDS // 60} minutes.",
    )
    family.add_metric([], [*buckets, ("+Inf", n)], float(row.get("total") or 0))
    return family


def _process_registry() -> CollectorRegistry:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return REGISTRY
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


async def render_metrics() -> bytes:
    text = generate_latest(_process_registry())
    try:
        snapshot = CollectorRegistry(auto_describe=False)
        snapshot.register(_Snapshot(await outbox_families()))
        text += generate_latest(snapshot)
    except Exception:  # the database is down: the process figures still help
        logger.warning("outbox metrics unavailable", exc_info=True)
    return text


@get("/metrics", opt=roles(PUBLIC), include_in_schema=False)
async def metrics_endpoint() -> Response[bytes]:
    """Prometheus text format. Expose it to the scraper only (keep it off the public proxy)."""
    return Response(await render_metrics(), media_type=CONTENT_TYPE_LATEST)
