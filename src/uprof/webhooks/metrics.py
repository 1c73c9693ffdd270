"""What `/metrics` reads from the database when scraped: the webhook queue by status, recorded attempts by
outcome, and the connection pool in use."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from uprof.db.unit_of_work import Database
from uprof.webhooks.models import webhook_attempt, webhook_delivery


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
