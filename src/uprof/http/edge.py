"""The outermost ASGI layer: request IDs, common response headers, the request log, last-resort errors
(the API's envelope, or the HTML page `page_error` gives for the paths it claims).

It also makes routing see the percent-encoded path, so an encoded slash stays inside a path
parameter (docs/reference/http.md §2); handlers decode their parameters themselves.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from uprof import metrics
from uprof.db.unit_of_work import DatabaseBusy
from uprof.http.context import RequestContext
from uprof.http.errors import ApiError, InternalError, Overloaded, error_body, json_answer
from uprof.http.protocol import ANSWERED_BY_PROTOCOL
from uprof.logs import REQUEST_LOG

log = logging.getLogger("uprof.request")

# Probes and scrapes come every few seconds: they are counted in metrics but not logged.
_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
# nginx's status for a request whose client went away before the answer: logged and counted, never sent.
CLIENT_CLOSED = 499
# Link tokens are secrets: the request log shows these paths with the token masked.
_SECRET_PATH_NAMES = ("enroll", "portal")
_SECRET_PATH_PREFIXES = tuple(f"/{name}/" for name in _SECRET_PATH_NAMES)  # the cheap test, first
_SECRET_PATH = re.compile(rf"^/({'|'.join(_SECRET_PATH_NAMES)})/[^/]+")
# The answer for a last-resort status on a path that wants HTML (a page), or None for the JSON envelope.
PageError = Callable[[Scope, int], ASGIApp | None]


class Edge:
    def __init__(self, app: ASGIApp, page_error: PageError | None = None) -> None:
        self.app = app
        self.page_error = page_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        context = RequestContext.start(scope)
        raw_path = scope.get("raw_path")
        if raw_path:
            scope["path"] = raw_path.decode("latin-1").split("?", 1)[0]
        is_api = scope["path"].startswith("/v1/")
        started = time.perf_counter()
        status = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"request-id", context.request_id.encode()))
                if is_api:
                    headers.append((b"cache-control", b"no-store"))
                if context.organization_id is not None:
                    headers.append((b"anthropic-organization-id", context.organization_id.encode()))
                if context.workspace_id is not None:
                    headers.append((b"anthropic-workspace-id", context.workspace_id.encode()))
                headers.extend(context.extra_headers)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except ClientDisconnect:
            # The client closed the connection while its body was read, or was too slow and got its
            # 400 from the HTTP protocol: nothing to answer, and no server fault.
            status = scope.get(ANSWERED_BY_PROTOCOL, CLIENT_CLOSED)
        except Exception as error:  # the last resort: nothing internal ever reaches the client
            if status:
                raise
            api_error: ApiError = Overloaded() if isinstance(error, DatabaseBusy) else InternalError()
            if not isinstance(error, DatabaseBusy):
                log.exception("unhandled error in request %s", context.request_id)
            page = self._error_page(scope, api_error.status)
            if page is None:
                await _send_error(send_with_headers, api_error, context.request_id)
            else:
                await page(scope, receive, send_with_headers)
        finally:
            seconds = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "unmatched")
            metrics.observe(route, scope["method"], status, seconds)
            if scope["path"] not in _QUIET_PATHS:
                _log_request(scope, context, route, status, seconds)

    def _error_page(self, scope: Scope, status: int) -> ASGIApp | None:
        if self.page_error is None:
            return None
        try:
            return self.page_error(scope, status)
        except Exception:  # the envelope, rather than nothing at all
            log.exception("the error page of a %d failed", status)
            return None


async def _send_error(send: Send, error: ApiError, request_id: str) -> None:
    for message in json_answer(error.status, error_body(error, request_id)):
        await send(message)


def _log_request(scope: Scope, context: RequestContext, route: str, status: int, seconds: float) -> None:
    if not REQUEST_LOG.enabled:
        return
    path = scope["path"]
    if path.startswith(_SECRET_PATH_PREFIXES):
        path = _SECRET_PATH.sub(lambda m: f"/{m.group(1)}/…", path)
    client = scope["client"][0] if scope.get("client") else "-"
    fields: dict[str, Any] = {
        "request_id": context.request_id,
        "method": scope["method"],
        "path": path,
        "route": route,
        "status": status,
        "duration_ms": round(seconds * 1000, 3),
        "key_id": context.key_id,
        # The client's address and scheme as a trusted proxy reported them (--forwarded-allow-ips).
        "client": client,
        "scheme": scope.get("scheme"),
    }
    message = f"{context.request_id} {scope['method']} {path} {status} {seconds * 1000:.1f}ms {client}"
    REQUEST_LOG.write(message, fields)
