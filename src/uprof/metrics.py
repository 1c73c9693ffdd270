"""The Prometheus metrics every request counts, and the registry `GET /metrics` reads (probes.py).

Request counts and latencies are counted in each process (with several workers, `uprof serve` points
prometheus-client's multiprocess mode at a shared directory so a scrape sees them all); the webhook
queue, attempt outcomes and the connection pool are read when scraped, by collectors the app hands in.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

REQUESTS = Counter("uprof_http_requests", "HTTP requests answered", ["route", "method", "status"])
LATENCY = Histogram(
    "uprof_http_request_duration_seconds",
    "Time from request start to response end",
    ["route", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)


# The children of REQUESTS and LATENCY by (route, method, status): `labels()` looks its child up
# under a lock on every call, a cost every request paid twice. Bounded, as clients choose the method.
_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
MAX_CHILDREN = 4096


def observe(route: str, method: str, status: int, seconds: float) -> None:
    key = (route, method, status)
    children = _children.get(key)
    if children is None:
        if len(_children) >= MAX_CHILDREN:
            _children.clear()
        children = _children[key] = (REQUESTS.labels(route, method, str(status)), LATENCY.labels(route, method))
    children[0].inc()
    children[1].observe(seconds)


def registry_for(collectors: Sequence[Collector]) -> CollectorRegistry:
    """The registry a scrape reads: this process's (or, with several workers, every process's) request
    counts and latencies, and `collectors` read at scrape time."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # prometheus-client ships it untyped
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)
    for collector in collectors:
        registry.register(collector)
    return registry
