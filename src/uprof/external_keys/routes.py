"""HTTP handlers for /v1/organizations/external_keys… (admin keys, docs/data_controls.md §2) and the
operator's verdict on a key, /v1/admin/external_keys/{id}/validation (§4)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from starlette.routing import Route

from uprof.external_keys import schemas, service
from uprof.external_keys.serializers import external_key_view
from uprof.http.endpoint import ADMIN_ROUTES, ApiCall, Operation, RouteRules, api_route
from uprof.http.listing import Listing
from uprof.http.query import limit, single
from uprof.timestamps import utc_now
from uprof.webhooks.schemas import no_fields

# Organization routes like the webhook ones, but the SDK sends no beta value for them.
EXTERNAL_KEY_ROUTES = RouteRules(admin_only=True)


def _view(connection: Connection, row: Any) -> dict[str, Any]:
    return external_key_view(row._mapping, service.is_attached(connection, row.id, utc_now()))


def create_key(call: ApiCall) -> dict[str, Any]:
    new = schemas.new_external_key(call.body)
    org, now = call.principal.organization_id, utc_now()
    return call.transact(lambda c: _view(c, service.create(c, org, new, now)), write=True)


def retrieve_key(call: ApiCall) -> dict[str, Any]:
    key_id, org = call.path_param("external_key_id"), call.principal.organization_id
    return call.transact(lambda c: _view(c, service.retrieve(c, org, key_id)), write=False)


def update_key(call: ApiCall) -> dict[str, Any]:
    changes = schemas.external_key_changes(call.body)
    key_id, org, now = call.path_param("external_key_id"), call.principal.organization_id, utc_now()
    return call.transact(lambda c: _view(c, service.update(c, org, key_id, changes, now)), write=True)


def list_keys(call: ApiCall) -> dict[str, Any]:
    listing = Listing("external_keys", "desc", single(call.query, "page") or None, limit(call.query))
    org, cursors, now = call.principal.organization_id, call.runtime.cursors, utc_now()
    page = call.transact(lambda c: service.list_page(c, org, listing, cursors, now), write=False)
    return {
        "data": [external_key_view(row._mapping, row.id in page.attached) for row in page.rows],
        "next_page": page.next_page,
    }


def delete_key(call: ApiCall) -> dict[str, Any]:
    key_id, org, now = call.path_param("external_key_id"), call.principal.organization_id, utc_now()
    call.transact(lambda c: service.delete(c, org, key_id, now), write=True)
    return {"id": key_id, "type": "external_key_deleted"}


def validate_key(call: ApiCall) -> dict[str, Any]:
    no_fields(call.body)
    key_id, org = call.path_param("external_key_id"), call.principal.organization_id
    return call.transact(lambda c: service.validate(c, org, key_id), write=False)


def set_validation(call: ApiCall) -> dict[str, Any]:
    outcome = schemas.validation_outcome(call.body)
    key_id, org, now = call.path_param("external_key_id"), call.principal.organization_id, utc_now()
    return call.transact(lambda c: service.set_validation(c, org, key_id, outcome, now), write=True)


routes: list[Route] = [
    api_route(
        "/v1/organizations/external_keys",
        {"GET": Operation(list_keys), "POST": Operation(create_key, takes_body=True)},
        EXTERNAL_KEY_ROUTES,
    ),
    api_route(
        "/v1/organizations/external_keys/{external_key_id}",
        {
            "GET": Operation(retrieve_key),
            "POST": Operation(update_key, takes_body=True),
            "DELETE": Operation(delete_key),
        },
        EXTERNAL_KEY_ROUTES,
    ),
    api_route(
        "/v1/organizations/external_keys/{external_key_id}/validate",
        {"POST": Operation(validate_key, takes_body=True)},
        EXTERNAL_KEY_ROUTES,
    ),
    api_route(
        "/v1/admin/external_keys/{external_key_id}/validation",
        {"POST": Operation(set_validation, takes_body=True)},
        ADMIN_ROUTES,
    ),
]
