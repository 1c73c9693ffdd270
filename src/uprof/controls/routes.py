"""The control API under `/_uprof/` (docs/testing.md §3): HTTP handlers only.

Every call passes the pipeline of the Admin API (an admin key; `anthropic-version` optional) and
acts on the caller's organization only. The routes exist only on a server started with
--test-controls; elsewhere `/_uprof/` is an unknown path like any other.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from starlette.routing import Route

from uprof.controls import flush, schemas, service
from uprof.http.endpoint import ApiCall, Operation, RouteRules, api_route

# The Admin API's checks (an admin key; anthropic-version optional), without taking from the key's
# rate-limit bucket: a test's controls must not change the limits its code meets.
CONTROL_ROUTES = RouteRules(version_required=False, admin_only=True, rate_limited=False)


def create_organization(call: ApiCall) -> dict[str, str]:
    name = schemas.organization_name(call.body)
    return call.transact(lambda c: service.create_organization(c, name), write=True)


def reset(call: ApiCall) -> dict[str, Any]:
    org = call.principal.organization_id
    return call.transact(lambda c: service.reset(c, org), write=True)


def clock(call: ApiCall) -> dict[str, str]:
    return service.now_view()


def advance_clock(call: ApiCall) -> dict[str, str]:
    seconds = schemas.advance_seconds(call.body)
    return call.transact(lambda c: service.advance(c, seconds), write=True)


def list_requests(call: ApiCall) -> dict[str, Any]:
    query, org = call.query, call.principal.organization_id
    limit = schemas.journal_limit(_last(query.getlist("limit")))
    method = (_last(query.getlist("method")) or "").upper() or None
    path = _last(query.getlist("path")) or None
    data = call.transact(lambda c: service.requests(c, org, limit=limit, method=method, path=path), write=False)
    return {"data": data}


def _last(values: list[str]) -> str | None:
    return values[-1] if values else None


def clear_requests(call: ApiCall) -> dict[str, int]:
    org = call.principal.organization_id
    return call.transact(lambda c: service.clear_requests(c, org), write=True)


def add_fault(call: ApiCall) -> dict[str, Any]:
    rule, org = schemas.fault_rule(call.body), call.principal.organization_id
    return call.transact(lambda c: service.add_fault(c, org, rule), write=True)


def list_faults(call: ApiCall) -> dict[str, Any]:
    org = call.principal.organization_id
    return {"data": call.transact(lambda c: service.faults(c, org), write=False)}


def clear_faults(call: ApiCall) -> dict[str, int]:
    org = call.principal.organization_id
    return call.transact(lambda c: service.clear_faults(c, org), write=True)


def flush_webhooks(call: ApiCall) -> Awaitable[dict[str, int]]:
    return flush.flush(call.runtime, call.principal.organization_id)


routes: list[Route] = [
    api_route("/_uprof/organizations", {"POST": Operation(create_organization, takes_body=True)}, CONTROL_ROUTES),
    api_route("/_uprof/reset", {"POST": Operation(reset)}, CONTROL_ROUTES),
    api_route("/_uprof/clock", {"GET": Operation(clock)}, CONTROL_ROUTES),
    api_route("/_uprof/clock/advance", {"POST": Operation(advance_clock, takes_body=True)}, CONTROL_ROUTES),
    api_route(
        "/_uprof/requests", {"GET": Operation(list_requests), "DELETE": Operation(clear_requests)}, CONTROL_ROUTES
    ),
    api_route(
        "/_uprof/faults",
        {
            "POST": Operation(add_fault, takes_body=True),
            "GET": Operation(list_faults),
            "DELETE": Operation(clear_faults),
        },
        CONTROL_ROUTES,
    ),
    api_route("/_uprof/webhooks/flush", {"POST": Operation(flush_webhooks, awaits=True)}, CONTROL_ROUTES),
]
