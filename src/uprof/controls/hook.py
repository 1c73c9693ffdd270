"""The request hook of the test double (docs/testing.md §4-§6), installed only with --test-controls.

Before each request it catches this process's clock up with the shared one. For a `/v1/` request
presenting one of an organization's keys it applies the first matching fault rule, and journals the
request and its answer before the answer leaves, so a test that reads the journal right after its
call finds it there. The answer is held until then: every `/v1/` answer is one small JSON body.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import orjson
from sqlalchemy import Connection
from starlette.requests import ClientDisconnect
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from uprof.accounts.service import Principal
from uprof.controls import service
from uprof.controls.service import Fault
from uprof.db.unit_of_work import DatabaseBusy
from uprof.http.auth import presented_key
from uprof.http.context import RequestContext, request_context
from uprof.http.errors import ApiError, InternalError, Overloaded, error_body, json_answer
from uprof.http.headers import RequestHeaders
from uprof.http.runtime import Runtime
from uprof.timestamps import utc_now

T = TypeVar("T")
log = logging.getLogger("uprof.controls")

SECRET_HEADERS = ("x-api-key", "authorization")
TRIM_EVERY = 100  # an organization's journal inserts (in this process) between two trims to the newest kept


class TestControlsHook:
    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime
        self._inserts: dict[str, int] = {}  # journal inserts per organization in this process

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if not path.startswith("/v1/"):
            await self._off_loop(lambda: self._database(service.refresh_clock, write=False))
            await self.app(scope, receive, send)
            return
        key = _key_of(RequestHeaders(scope["headers"]))
        principal, fault = await self._off_loop(lambda: self._before(key, scope["method"], path))
        if principal is None:
            await self.app(scope, receive, send)
            return
        await self._journaled(scope, receive, send, principal, fault)

    def _before(self, key: str | None, method: str, path: str) -> tuple[Principal | None, Fault | None]:
        """The clock caught up; the caller's principal, and the fault rule its request uses up, if any."""
        principal = None if key is None else self.runtime.principals.authenticate(key, utc_now())
        if principal is None:
            self._database(service.refresh_clock, write=False)
            return None, None
        organization_id = principal.organization_id

        def look(connection: Connection) -> bool:
            service.refresh_clock(connection)
            return service.any_fault_matches(connection, organization_id, method, path)

        if not self._database(look, write=False):  # a read: most requests meet no fault
            return principal, None
        return principal, self._database(lambda c: service.take_fault(c, organization_id, method, path), write=True)

    async def _journaled(
        self, scope: Scope, receive: Receive, send: Send, principal: Principal, fault: Fault | None
    ) -> None:
        context, arrived = request_context(scope), utc_now()
        body = bytearray()
        held: list[Message] = []

        async def receive_recorded() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                body.extend(message.get("body", b""))
            return message

        async def hold(message: Message) -> None:
            held.append(message)

        if fault is not None and fault.delay_ms:
            await asyncio.sleep(fault.delay_ms / 1000)
        if fault is not None and fault.status is not None:
            _show_organization(context, principal)
            held = _fault_messages(fault, context.request_id)
            await _drain(receive_recorded)
        else:
            try:
                await self.app(scope, receive_recorded, hold)
            except ClientDisconnect:
                raise
            except Exception as error:
                api_error: ApiError = Overloaded() if isinstance(error, DatabaseBusy) else InternalError()
                held = _error_messages(api_error, context.request_id)
                await self._record(scope, principal, arrived, bytes(body), held)
                raise
        await self._record(scope, principal, arrived, bytes(body), held)
        for message in held:
            await send(message)

    async def _record(
        self, scope: Scope, principal: Principal, arrived: datetime, body: bytes, held: list[Message]
    ) -> None:
        status = next((m["status"] for m in held if m["type"] == "http.response.start"), 0)
        answer = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
        organization_id = principal.organization_id
        entry = {
            "organization_id": organization_id,
            "id": request_context(scope).request_id,
            "at": arrived,
            "method": scope["method"],
            "path": scope["path"],
            "route": _route_of(scope),
            "query": _query(scope.get("query_string", b"")),
            "headers": _headers(scope),
            "body": _body(body),
            "status": status,
            "response_body": _json_or_none(answer),
        }
        if len(self._inserts) > 10_000:  # forget idle organizations' counts now and then
            self._inserts.clear()
        count = self._inserts[organization_id] = self._inserts.get(organization_id, 0) + 1
        trim = count % TRIM_EVERY == 0
        try:
            await self._off_loop(
                lambda: self._database(lambda c: service.record_request(c, entry, trim=trim), write=True)
            )
        except Exception:
            # The answer stands: the request's own work may have committed, and an error in its place
            # would make the SDK retry a write that was made. Only the journal misses it.
            log.exception("request %s was answered but not journaled", entry["id"])

    def _database(self, work: Callable[[Connection], T], *, write: bool) -> T:
        return self.runtime.database.run(work, write=write)

    async def _off_loop(self, work: Callable[[], T]) -> T:
        """Run `work` where the API's own database work runs: on the event loop on SQLite, on a
        database thread on PostgreSQL (http/endpoint.py)."""
        threads = self.runtime.database_threads
        if threads is None:
            return work()
        return await threads.run(work)


def _route_of(scope: Scope) -> str | None:
    """The route template the path matched; for a request a fault answered before routing, the one it
    would have matched, so a journal filter by template finds it too."""
    route = scope.get("route")
    if route is None:
        for candidate in scope["app"].router.routes:
            if candidate.matches(scope)[0] != Match.NONE:
                route = candidate
                break
    return getattr(route, "path", None)


def _key_of(headers: RequestHeaders) -> str | None:
    try:
        return presented_key(headers)
    except ApiError:
        return None


def _show_organization(context: RequestContext, principal: Principal) -> None:
    context.organization_id, context.key_id = principal.organization_id, principal.key_id
    context.workspace_id = principal.workspace_id


async def _drain(receive: Callable[[], Any]) -> None:
    """Read the faulted request's body, so the journal shows it."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


def _fault_messages(fault: Fault, request_id: str) -> list[Message]:
    assert fault.status is not None
    retry_after = [] if fault.retry_after is None else [(b"retry-after", str(fault.retry_after).encode())]
    return json_answer(fault.status, service.fault_body(fault.status, request_id), retry_after)


def _error_messages(error: ApiError, request_id: str) -> list[Message]:
    return json_answer(error.status, error_body(error, request_id))


def _headers(scope: Scope) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        if name in SECRET_HEADERS:
            value = value.strip()[-4:]
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def _query(query_string: bytes) -> dict[str, str | list[str]]:
    query: dict[str, str | list[str]] = {}
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if name not in query:
            query[name] = value
        else:
            previous = query[name]
            query[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
    return query


def _body(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw.decode("utf-8", "replace")


def _json_or_none(raw: bytes) -> Any:
    try:
        return orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return None
