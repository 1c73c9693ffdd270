"""Prometheus metrics at `GET /metrics` (text format), via prometheus-client.

Request counts and latencies are counted in each process (with several workers, `uprof serve` points
prometheus-client's multiprocess mode at a shared directory so a scrape sees them all); the webhook
queue, attempt outcomes and the connection pool are read when scraped.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from uprof.db.unit_of_work import Database
from uprof.webhooks.models import webhook_attempt, webhook_delivery

REQUESTS = Counter("uprof_http_requests", "HTTP requests answered", ["route", "method", "status"])
LATENCY = Histogram(
    "uprof_http_request_duration_seconds",
    "Time from request start to response end",
    ["route", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)


def observe(route: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(route, method, str(status)).inc()
    LATENCY.labels(route, method).observe(seconds)


class DatabaseCollector(Collector):
    """Gauges read at scrape time: webhook deliveries by status, attempts by outcome, pool use."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def collect(self) -> Iterator[GaugeMetricFamily]:
        deliveries, attempts = self.database.run(_queue_figures, write=False)
        depth = GaugeMetricFamily("uprof_webhook_deliveries", "Webhook deliveries by status", labels=["status"])
        for status, count in deliveries:
            depth.add_metric([status], count)
        yield depth
        outcomes = GaugeMetricFamily(
            "uprof_webhook_attempts", "Recorded webhook delivery attempts by outcome", labels=["outcome"]
        )
        for outcome, count in attempts.items():
            outcomes.add_metric([outcome], count)
        yield outcomes
        pool: Any = self.database.engine.pool
        checked_out = GaugeMetricFamily("uprof_db_pool_connections_in_use", "Pooled connections in use (this process)")
        checked_out.add_metric([], pool.checkedout() if hasattr(pool, "checkedout") else 0)
        yield checked_out


def _queue_figures(connection: Any) -> tuple[list[tuple[str, int]], dict[str, int]]:
    deliveries = [
        (row[0], row[1])
        for row in connection.execute(
            select(webhook_delivery.c.status, func.count()).group_by(webhook_delivery.c.status)
        )
    ]
    attempts: dict[str, int] = {"success": 0, "failure": 0}
    query = select(webhook_attempt.c.status_code, webhook_attempt.c.error, func.count()).group_by(
        webhook_attempt.c.status_code, webhook_attempt.c.error
    )
    for status_code, error, count in connection.execute(query):
        ok = error is None and status_code is not None and 200 <= status_code < 300
        attempts["success" if ok else "failure"] += count
    return deliveries, attempts


def registry_for(database: Database) -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # prometheus-client ships it untyped
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)
    registry.register(DatabaseCollector(database))
    return registry


def bearer_matches(authorization: str, token: str) -> bool:
    """Whether an Authorization header carries `token` with the Bearer scheme (its name in any case,
    as docs/reference/http.md §3 reads it), compared in constant time."""
    scheme, _, credentials = authorization.strip().partition(" ")
    supplied = credentials.strip().encode()
    return scheme.lower() == "bearer" and hmac.compare_digest(supplied, token.encode())


async def metrics(request: Request) -> Response:
    settings = request.app.state.services.settings
    token = settings.metrics_token
    if token and not bearer_matches(request.headers.get("authorization", ""), token):
        return Response("metrics require Authorization: Bearer <token>\n", status_code=401, media_type="text/plain")
    registry: CollectorRegistry = request.app.state.metrics_registry
    body = await run_in_threadpool(generate_latest, registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


routes = [Route("/metrics", metrics, methods=["GET"])]
