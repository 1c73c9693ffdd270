"""The request pipeline every `/v1/` operation runs through, in the order of http.md §1.

A route declares its operations (method → handler plus a few flags); `api_route` turns that into
a Starlette route that checks size, credentials, version, beta values, key kind, workspace and
body in order before the handler sees an `ApiCall`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import unquote

import orjson
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from uprof.accounts import service as accounts
from uprof.accounts.service import Principal
from uprof.http import body as request_body
from uprof.http.auth import acting_workspace, invalid_key, presented_key
from uprof.http.context import RequestContext, request_context
from uprof.http.errors import InvalidRequest, MethodNotAllowed, PermissionDenied, not_found_route, quote
from uprof.http.revisions import WEBHOOKS_BETA, Revision, merge_beta_headers, resolve_revision
from uprof.http.services import Services
from uprof.timestamps import utc_now

T = TypeVar("T")

SUPPORTED_VERSIONS = ("2023-06-01", "2026-10-21")


@dataclass
class ApiCall:
    """Everything a handler needs about an accepted request."""

    request: Request
    services: Services
    context: RequestContext
    principal: Principal
    revision: Revision
    body: dict[str, Any] = field(default_factory=dict)

    def path_param(self, name: str) -> str:
        """A path parameter, percent-decoded (routing matched the encoded path).

        No ID contains U+0000 and PostgreSQL text cannot hold it, so it becomes U+FFFD like an
        undecodable byte: the lookup finds nothing (404) instead of failing in the driver.
        """
        return unquote(self.request.path_params[name]).replace("\x00", "\ufffd")

    async def transact(self, work: Callable[[Connection], T], *, write: bool) -> T:
        """Run `work` in one unit of work on a worker thread: the request owns the transaction."""
        return await run_in_threadpool(self.services.database.run, work, write=write)


Handler = Callable[[ApiCall], Awaitable[Any]]


@dataclass(frozen=True)
class Operation:
    handler: Handler
    takes_body: bool = False


@dataclass(frozen=True)
class RouteRules:
    """What a family of routes requires beyond a valid key."""

    version_required: bool = True
    admin_only: bool = False
    resolves_revision: bool = False  # profile routes: anthropic-beta selects the revision
    required_beta: str | None = None  # webhook routes: 404 without it


PROFILE_ROUTES = RouteRules(resolves_revision=True)
ADMIN_ROUTES = RouteRules(version_required=False, admin_only=True)
WEBHOOK_ROUTES = RouteRules(admin_only=True, required_beta=WEBHOOKS_BETA)


def json_response(data: Any) -> Response:
    return Response(orjson.dumps(data), media_type="application/json")


def api_route(path: str, operations: dict[str, Operation], rules: RouteRules) -> Route:
    """A route whose methods are exactly `operations`; any other method is a 405 listing them."""
    return Route(path, ApiEndpoint(operations, rules))


class ApiEndpoint:
    """An ASGI endpoint (not a plain function, so Starlette leaves method dispatch to it)."""

    def __init__(self, operations: dict[str, Operation], rules: RouteRules) -> None:
        self.operations = operations
        self.rules = rules
        self.allowed = ", ".join(operations)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        operation = self.operations.get(request.method)
        if operation is None:
            raise MethodNotAllowed(
                f"method {request.method} is not allowed on {request.url.path}", headers={"allow": self.allowed}
            )
        call = await _accept(request, self.rules, operation)
        response = json_response(await operation.handler(call))
        await response(scope, receive, send)


async def _accept(request: Request, rules: RouteRules, operation: Operation) -> ApiCall:
    services: Services = request.app.state.services
    headers = request.headers
    limit = services.settings.max_body_bytes
    request_body.check_declared_length(headers.get("content-length"), limit)
    key = presented_key(headers)
    requested_workspace = headers.get("anthropic-workspace-id", "").strip() or None
    principal, workspace_known = await run_in_threadpool(_authenticate, services, key, requested_workspace)
    if principal is None:
        raise invalid_key()
    context = request_context(request.scope)
    context.organization_id = principal.organization_id
    context.key_id = principal.key_id
    _check_version(headers.get("anthropic-version"), required=rules.version_required)
    betas = merge_beta_headers(headers.getlist("anthropic-beta"))
    if rules.required_beta is not None and rules.required_beta not in betas:
        raise not_found_route()
    revision = resolve_revision(betas) if rules.resolves_revision else Revision.GA
    if rules.admin_only and not principal.is_admin:
        raise PermissionDenied("this endpoint requires an admin API key")
    context.workspace_id = acting_workspace(principal, requested_workspace, workspace_known)
    call = ApiCall(request, services, context, principal, revision)
    if operation.takes_body:
        request_body.check_encoding(headers.get("content-encoding"))
        raw = await request_body.read_limited(request.stream(), limit)
        if raw.strip():
            request_body.check_content_type(headers.get("content-type"))
        call.body = request_body.parse_object(raw)
    _check_query(request)
    return call


def _check_query(request: Request) -> None:
    """No handler sees U+0000 in a query parameter: no stored value can contain it, and PostgreSQL
    text cannot even be compared with it."""
    for name, value in request.query_params.multi_items():
        if "\x00" in name or "\x00" in value:
            raise InvalidRequest(f"{quote(name) or 'query'}: contains a character that is not allowed")


def _authenticate(services: Services, key: str, requested_workspace: str | None) -> tuple[Principal | None, bool]:
    database = services.database
    with database.unit_of_work(write=False) as connection:
        principal = accounts.authenticate(connection, key)
        workspace_known = (
            principal is not None
            and requested_workspace is not None
            and principal.workspace_id is None
            and accounts.workspace_exists(connection, principal.organization_id, requested_workspace)
        )
    if principal is not None:
        now = utc_now()
        if accounts.needs_last_used_refresh(principal, now):
            database.run(lambda connection: accounts.record_use(connection, principal.key_id, now), write=True)
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
