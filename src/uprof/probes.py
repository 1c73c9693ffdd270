"""What is served without an API key for those who run uprof: `/healthz`, `/readyz` and `/metrics`."""

from __future__ import annotations

import hmac

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from uprof.db import migrate
from uprof.http.auth import bearer_credential
from uprof.http.runtime import Runtime


def routes(*, metrics: bool) -> list[Route]:
    """The probes, and `/metrics` when `metrics` is on."""
    served = [Route("/healthz", healthz, methods=["GET"]), Route("/readyz", readyz, methods=["GET"])]
    return served + ([Route("/metrics", scrape, methods=["GET"])] if metrics else [])


async def readyz(request: Request) -> Response:
    """Ready to serve: the database answers, its schema is current, the webhook dispatcher runs."""
    runtime: Runtime = request.app.state.runtime
    checks: dict[str, bool] = {}
    try:
        checks["database"] = True
        checks["migrations"] = await run_in_threadpool(migrate.is_current, runtime.database)
    except Exception:
        checks["database"] = checks["migrations"] = False
    dispatcher_task = getattr(request.state, "webhook_dispatcher", None)
    checks["webhook_dispatcher"] = dispatcher_task is not None and not dispatcher_task.done()
    ready = all(checks.values())
    return _json({"status": "ready" if ready else "unavailable", "checks": checks}, 200 if ready else 503)


async def healthz(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    try:
        await runtime.run(lambda c: c.execute(text("SELECT 1")), write=False)
    except Exception:
        return _json({"status": "unavailable"}, 503)
    return _json({"status": "ok"}, 200)


def _json(data: object, status: int) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def bearer_matches(authorization: str, token: str) -> bool:
    """Whether an Authorization header carries `token` with the Bearer scheme, compared in constant time."""
    supplied = bearer_credential(authorization)
    return supplied is not None and hmac.compare_digest(supplied.encode(), token.encode())


async def scrape(request: Request) -> Response:
    """The Prometheus text format; with `--metrics-token`, only for `Authorization: Bearer <token>`."""
    settings = request.app.state.runtime.settings
    token = settings.metrics_token
    if token and not bearer_matches(request.headers.get("authorization", ""), token):
        return Response("metrics require Authorization: Bearer <token>\n", status_code=401, media_type="text/plain")
    registry: CollectorRegistry = request.app.state.metrics_registry
    body = await run_in_threadpool(generate_latest, registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
