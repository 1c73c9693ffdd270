"""HTTP handlers for webhook endpoint management (/v1/organizations/webhooks…, docs/reference/webhooks.md §1–3) and the
delivery log (/v1/admin/webhook_deliveries…, §7)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from starlette.routing import Route

from uprof.http.endpoint import ADMIN_ROUTES, WEBHOOK_ROUTES, ApiCall, Operation, api_route
from uprof.http.listing import Listing
from uprof.http.query import limit, single
from uprof.timestamps import utc_now
from uprof.webhooks import delivery_log, egress, schemas, serializers, service

# --- endpoints ---


def create_endpoint(call: ApiCall) -> dict[str, Any]:
    allow_http, policy = call.runtime.settings.webhook_allow_http, egress.policy_for(call.runtime.settings)
    new = schemas.new_endpoint(call.body, allow_http=allow_http, egress=policy)
    org, now, box = call.principal.organization_id, utc_now(), call.runtime.secret_box
    created = call.transact(lambda c: service.create(c, org, new, now, box), write=True)
    return serializers.new_endpoint_view(created.row, created.signing_secret)


def list_endpoints(call: ApiCall) -> dict[str, Any]:
    query = schemas.endpoint_list_query(call.query)
    org = call.principal.organization_id
    page = call.transact(lambda c: service.list_page(c, org, query), write=False)
    data = [serializers.endpoint_view(row) for row in page.rows]
    return {
        "data": data,
        "has_more": page.has_more,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
    }


def retrieve_endpoint(call: ApiCall) -> dict[str, Any]:
    endpoint_id, org = call.path_param("webhook_endpoint_id"), call.principal.organization_id
    row = call.transact(lambda c: service.retrieve(c, org, endpoint_id), write=False)
    return serializers.endpoint_view(row)


def update_endpoint(call: ApiCall) -> dict[str, Any]:
    allow_http, policy = call.runtime.settings.webhook_allow_http, egress.policy_for(call.runtime.settings)
    changes = schemas.endpoint_changes(call.body, allow_http=allow_http, egress=policy)
    endpoint_id, org, now = call.path_param("webhook_endpoint_id"), call.principal.organization_id, utc_now()
    row = call.transact(lambda c: service.update(c, org, endpoint_id, changes, now), write=True)
    return serializers.endpoint_view(row)


def delete_endpoint(call: ApiCall) -> dict[str, Any]:
    endpoint_id, org = call.path_param("webhook_endpoint_id"), call.principal.organization_id
    call.transact(lambda c: service.delete(c, org, endpoint_id), write=True)
    return {"id": endpoint_id, "type": "webhook_endpoint_deleted"}


def regenerate_signing_secret(call: ApiCall) -> dict[str, Any]:
    schemas.no_fields(call.body)
    endpoint_id, org, now = call.path_param("webhook_endpoint_id"), call.principal.organization_id, utc_now()
    box = call.runtime.secret_box
    secret = call.transact(lambda c: service.regenerate_secret(c, org, endpoint_id, now, box), write=True)
    return {"signing_secret": secret}


# --- the delivery log ---


def list_deliveries(call: ApiCall) -> dict[str, Any]:
    params = call.query
    filters = schemas.delivery_filters(params)
    listing = Listing("webhook_deliveries", "desc", single(params, "page"), limit(params))
    org, cursors = call.principal.organization_id, call.runtime.cursors
    rows, cursor = call.transact(lambda c: delivery_log.list_page(c, org, filters, listing, cursors), write=False)
    return {"data": [serializers.delivery_view(row) for row in rows], "next_page": cursor}


def retrieve_delivery(call: ApiCall) -> dict[str, Any]:
    delivery_id, org = call.path_param("delivery_id"), call.principal.organization_id
    record = call.transact(lambda c: delivery_log.retrieve(c, org, delivery_id), write=False)
    return _delivery_with_attempts(record)


def retry_delivery(call: ApiCall) -> dict[str, Any]:
    schemas.no_fields(call.body)
    delivery_id, org, now = call.path_param("delivery_id"), call.principal.organization_id, utc_now()

    def work(connection: Connection) -> delivery_log.DeliveryRecord:
        return delivery_log.retry(connection, org, delivery_id, now)

    return _delivery_with_attempts(call.transact(work, write=True))


def _delivery_with_attempts(record: delivery_log.DeliveryRecord) -> dict[str, Any]:
    return serializers.delivery_view(record.delivery, [attempt._mapping for attempt in record.attempts])


routes: list[Route] = [
    api_route(
        "/v1/organizations/webhooks",
        {"GET": Operation(list_endpoints), "POST": Operation(create_endpoint, takes_body=True)},
        WEBHOOK_ROUTES,
    ),
    api_route(
        "/v1/organizations/webhooks/{webhook_endpoint_id}",
        {
            "GET": Operation(retrieve_endpoint),
            "POST": Operation(update_endpoint, takes_body=True),
            "DELETE": Operation(delete_endpoint),
        },
        WEBHOOK_ROUTES,
    ),
    api_route(
        "/v1/organizations/webhooks/{webhook_endpoint_id}/regenerate_signing_secret",
        {"POST": Operation(regenerate_signing_secret, takes_body=True)},
        WEBHOOK_ROUTES,
    ),
    api_route("/v1/admin/webhook_deliveries", {"GET": Operation(list_deliveries)}, ADMIN_ROUTES),
    api_route("/v1/admin/webhook_deliveries/{delivery_id}", {"GET": Operation(retrieve_delivery)}, ADMIN_ROUTES),
    api_route(
        "/v1/admin/webhook_deliveries/{delivery_id}/retry",
        {"POST": Operation(retry_delivery, takes_body=True)},
        ADMIN_ROUTES,
    ),
]
