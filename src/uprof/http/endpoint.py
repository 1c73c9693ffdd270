"""The request pipeline every `/v1/` operation runs through, in the order of docs/reference/http.md §1.

A route declares its operations (method → handler plus a few flags); `api_route` turns that into
a route whose endpoint checks size, credentials, version, beta values, key kind, workspace and
body in order before the handler sees an `ApiCall`. `/v1/` requests reach the endpoint straight from
`http/api_router.py`; the test double's `/_uprof/` routes through Starlette's router.

The endpoint is the whole answer: it reads the request from the ASGI scope once (no Request or
Response objects: this is every API request's path, docs/performance.md), renders an `ApiError` in
the envelope itself, and sends one JSON response.

The event loop reads the body; everything else — the key lookup, the checks, the handler and its
unit of work, the JSON encoding — runs as one synchronous step. On SQLite that step runs right on
the event loop: a query there is a library call of a few microseconds, and a hand-off to a thread
cost more than the whole request (docs/performance.md). On PostgreSQL every query is a network
round trip, so the step makes ONE trip to one of the database threads (uprof.db.threads), each of
which keeps its own connection.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import unquote

import orjson
from sqlalchemy import Connection
from starlette.datastructures import QueryParams
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from uprof.accounts import rate_limit
from uprof.accounts import service as accounts
from uprof.accounts.principals import KeyNoLongerValid
from uprof.accounts.service import Principal
from uprof.http import body as request_body
from uprof.http.auth import acting_workspace, invalid_key, presented_key
from uprof.http.context import RequestContext, request_context
from uprof.http.errors import (
    ApiError,
    InvalidRequest,
    MethodNotAllowed,
    PermissionDenied,
    RateLimited,
    RequestTooLarge,
    error_body,
    json_answer,
    not_found_route,
    quote,
)
from uprof.http.headers import RequestHeaders
from uprof.http.query import CheckedQuery
from uprof.http.revision_choice import WEBHOOKS_BETA, Revision, merge_beta_headers, resolve_revision
from uprof.http.runtime import Runtime
from uprof.timestamps import format_seconds, utc_now

T = TypeVar("T")

SUPPORTED_VERSIONS = ("2023-06-01", "2026-10-21")


@dataclass
class ApiCall:
    """Everything a handler needs about an accepted request. Handlers are synchronous (see the module docstring)."""

    scope: Scope
    runtime: Runtime
    context: RequestContext
    principal: Principal
    revision: Revision
    body: dict[str, Any] = field(default_factory=dict)

    def path_param(self, name: str) -> str:
        """A path parameter, percent-decoded (routing matched the encoded path).

        No ID contains U+0000 and PostgreSQL text cannot hold it, so it becomes U+FFFD like an
        undecodable byte: the lookup finds nothing (404) instead of failing in the driver.
        """
        return unquote(self.scope["path_params"][name]).replace("\x00", "\ufffd")

    @property
    def query(self) -> CheckedQuery:
        """The query parameters, each refused with a 400 if it holds U+0000 when the handler reads it."""
        return CheckedQuery(QueryParams(self.scope["query_string"]))

    def transact(self, work: Callable[[Connection], T], *, write: bool) -> T:
        """Run `work` in one unit of work: the request owns the transaction."""
        return self.runtime.database.run(work, write=write)


Handler = Callable[[ApiCall], Any]


@dataclass(frozen=True)
class Operation:
    handler: Handler
    takes_body: bool = False
    # The handler returns an awaitable, awaited on the event loop for the answer (one that waits on
    # the network, like the test double's webhook flush).
    awaits: bool = False


@dataclass(frozen=True)
class RouteRules:
    """What a family of routes requires beyond a valid key."""

    version_required: bool = True
    admin_only: bool = False
    resolves_revision: bool = False  # profile routes: anthropic-beta selects the revision
    required_beta: str | None = None  # webhook routes: 404 without it
    rate_limited: bool = True  # the test double's control API is not (docs/testing.md §3)


PROFILE_ROUTES = RouteRules(resolves_revision=True)
ADMIN_ROUTES = RouteRules(version_required=False, admin_only=True)
WEBHOOK_ROUTES = RouteRules(admin_only=True, required_beta=WEBHOOKS_BETA)


def api_route(path: str, operations: dict[str, Operation], rules: RouteRules) -> Route:
    """A route whose methods are exactly `operations`; any other method is a 405 listing them."""
    return Route(path, ApiEndpoint(operations, rules))


@dataclass
class _Received:
    """The request as the event loop read it, for the synchronous step to judge."""

    scope: Scope
    headers: RequestHeaders
    runtime: Runtime
    operation: Operation
    raw_body: bytes = b""
    body_too_large: bool = False


class ApiEndpoint:
    """An ASGI endpoint (not a plain function, so Starlette leaves method dispatch to it)."""

    def __init__(self, operations: dict[str, Operation], rules: RouteRules) -> None:
        self.operations = operations
        self.rules = rules
        self.allowed = ", ".join(operations)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A DatabaseBusy goes on to the edge, which answers it with a 529 (http/edge.py).
        try:
            messages = json_answer(200, await self._answer(scope, receive))
        except ApiError as error:
            body = error_body(error, request_context(scope).request_id)
            messages = json_answer(error.status, body, _encoded(error.headers))  # `allow`, `retry-after`, …
        for message in messages:
            await send(message)

    async def _answer(self, scope: Scope, receive: Receive) -> bytes:
        method: str = scope["method"]
        operation = self.operations.get(method)
        if operation is None:
            raise MethodNotAllowed(
                f"method {method} is not allowed on {scope['path']}", headers={"allow": self.allowed}
            )
        runtime: Runtime = scope["app"].state.runtime
        headers = RequestHeaders(scope["headers"])
        limit = runtime.settings.max_body_bytes
        request_body.check_declared_length(headers.get("content-length"), limit)
        received = _Received(scope, headers, runtime, operation)
        if operation.takes_body:
            # Read now, judge later: a body over the limit is reported only after the key is checked.
            try:
                received.raw_body = await request_body.read_limited(request_body.chunks(receive), limit)
            except RequestTooLarge:
                received.body_too_large = True
        try:
            body = await runtime.step(lambda: self._respond(received))
        except KeyNoLongerValid:  # PostgreSQL: a remembered key, revoked before this request (accounts/principals.py)
            context = request_context(scope)
            context.organization_id = context.workspace_id = context.key_id = None
            context.extra_headers = []
            raise invalid_key() from None
        if operation.awaits:
            return orjson.dumps(await body)
        return body  # type: ignore[no-any-return]

    def _respond(self, received: _Received) -> Any:
        call = _accept(received, self.rules)
        result = received.operation.handler(call)
        return result if received.operation.awaits else orjson.dumps(result)


def _encoded(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]


def _accept(received: _Received, rules: RouteRules) -> ApiCall:
    runtime = received.runtime
    headers = received.headers
    key = presented_key(headers)
    requested_workspace = headers.get("anthropic-workspace-id", "").strip() or None
    principal, workspace_known = _authenticate(runtime, key, requested_workspace)
    if principal is None:
        raise invalid_key()
    context = request_context(received.scope)
    context.organization_id = principal.organization_id
    context.key_id = principal.key_id
    context.workspace_id = principal.workspace_id  # a scoped key always acts in its workspace
    try:
        revision, context.workspace_id = _check_key_use(headers, rules, principal, requested_workspace, workspace_known)
    except ApiError:
        # Checks 5-8 cost no token, but the answer still shows the bucket (docs/reference/http.md §8, §15).
        if runtime.settings.rate_limit and rules.rate_limited:
            _show_bucket(runtime, context, take=False)
        raise
    if runtime.settings.rate_limit and rules.rate_limited:
        _show_bucket(runtime, context, take=True)
    call = ApiCall(received.scope, runtime, context, principal, revision)
    if received.operation.takes_body:
        request_body.check_encoding(headers.get("content-encoding"))
        if received.body_too_large:
            raise request_body.too_large(runtime.settings.max_body_bytes)
        if received.raw_body:
            request_body.check_content_type(headers.get("content-type"))
        call.body = request_body.parse_object(received.raw_body)
    return call


def _check_key_use(
    headers: RequestHeaders,
    rules: RouteRules,
    principal: Principal,
    requested_workspace: str | None,
    workspace_known: bool,
) -> tuple[Revision, str | None]:
    """Checks 5-8 of docs/reference/http.md §1 for an accepted key (version, beta values, key kind, workspace);
    returns the revision and the workspace the request acts in."""
    _check_version(headers.get("anthropic-version"), required=rules.version_required)
    betas = merge_beta_headers(tuple(headers.getlist("anthropic-beta")))
    if rules.required_beta is not None and rules.required_beta not in betas:
        raise not_found_route()
    revision = resolve_revision(betas) if rules.resolves_revision else Revision.GA
    if rules.admin_only and not principal.is_admin:
        raise PermissionDenied("this endpoint requires an admin API key")
    return revision, acting_workspace(principal, requested_workspace, workspace_known)


def _show_bucket(runtime: Runtime, context: RequestContext, *, take: bool) -> None:
    """Check 9: take one token from the key's bucket (429 when it is empty, docs/reference/http.md §15), or with
    `take=False` only look at it; either way the response shows the bucket's state."""
    settings = runtime.settings
    rate = settings.rate_limit
    burst = settings.rate_limit_burst or rate
    key_id = context.key_id
    assert key_id is not None
    now = utc_now()
    use = rate_limit.take if take else rate_limit.peek
    decision = runtime.database.run(
        lambda connection: use(connection, key_id, rate=rate, burst=burst, now=now), write=take
    )
    context.extra_headers += [
        (b"anthropic-ratelimit-requests-limit", str(decision.limit).encode()),
        (b"anthropic-ratelimit-requests-remaining", str(decision.remaining).encode()),
        (b"anthropic-ratelimit-requests-reset", format_seconds(decision.full_at).encode()),
    ]
    if take and not decision.allowed:
        seconds = max(1, math.ceil(decision.retry_after_seconds))
        raise RateLimited(
            f"rate limit exceeded; retry after {seconds} seconds",
            headers={
                "retry-after": str(seconds),
                "retry-after-ms": str(math.ceil(decision.retry_after_seconds * 1000)),
            },
        )


def _authenticate(runtime: Runtime, key: str, requested_workspace: str | None) -> tuple[Principal | None, bool]:
    principal = runtime.principals.authenticate(key, utc_now())
    if principal is None:
        return None, False
    workspace_known = (
        requested_workspace is not None
        and principal.workspace_id is None
        and runtime.database.run(
            lambda connection: accounts.workspace_exists(connection, principal.organization_id, requested_workspace),
            write=False,
        )
    )
    return principal, workspace_known


def _check_version(value: str | None, *, required: bool) -> None:
    value = (value or "").strip()
    if not value:
        if required:
            raise InvalidRequest("anthropic-version: header is required")
        return
    if value not in SUPPORTED_VERSIONS:
        supported = ", ".join(SUPPORTED_VERSIONS)
        raise InvalidRequest(f"anthropic-version: unsupported value '{quote(value)}'; supported values are {supported}")
