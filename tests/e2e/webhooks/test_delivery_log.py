"""The delivery log's Admin API: query errors, lookups and who may look, pages newest first."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.webhooks.support import (
    PROFILE_EVENTS,
    UPDATED,
    Hub,
    Operator,
    Receiver,
    settled,
)
from uprof.accounts import service as accounts

MISSING = "whdel_000000000000000000000000"
OTHERS = ["external_key.failed", "external_key.recovered", "external_storage.failed", "external_storage.recovered"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=lost", "status: must be one of pending, succeeded, failed, cancelled"),
        ("event_type=user_profile.deleted", "event_type: must be one of " + ", ".join([*PROFILE_EVENTS, *OTHERS])),
        ("limit=0", "limit: must be an integer from 1 to 100"),
        ("page=page_forged", "page: not a valid cursor"),
        ("event_id=a&event_id=b", "event_id: must be given once"),
    ],
)
def test_delivery_log_query_errors(operator: Operator, query: str, message: str) -> None:
    response = operator.http.get(f"/v1/admin/webhook_deliveries?{query}")
    assert response.status_code == 400
    assert response.json()["error"] == {"type": "invalid_request_error", "message": message}


def test_delivery_log_lookups(operator: Operator, shared: Hub) -> None:
    http = operator.http
    refused = http.get("/v1/admin/webhook_deliveries?endpoint_id=%00&event_id=%00")
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == "endpoint_id: contains a character that is not allowed"
    for method, path in (("GET", "whdel_000000000000000000000000"), ("POST", "%00/retry")):
        response = http.request(method, f"/v1/admin/webhook_deliveries/{path}")
        assert response.status_code == 404
        assert response.json()["error"] == {"type": "not_found_error", "message": "webhook delivery not found"}
    response = http.post("/v1/admin/webhook_deliveries/whdel_000000000000000000000000/retry", json={"now": True})
    assert response.status_code == 400 and response.json()["error"]["message"] == "now: unknown field"
    name = f"webhooks-{uuid.uuid4()}"
    workspace_id = f"wrkspc_log{uuid.uuid4().hex[:8]}"
    keys = shared.database.run(
        lambda c: [
            accounts.create_key(c, organization_name=name).key,
            accounts.create_key(c, organization_name=name, workspace_id=workspace_id).key,
        ],
        write=True,
    )
    log = f"{shared.server.url}/v1/admin/webhook_deliveries"
    for key in keys:  # a standard key and a workspace-scoped one, on every route of the log
        for method, url in (("GET", log), ("GET", f"{log}/{MISSING}"), ("POST", f"{log}/{MISSING}/retry")):
            refused = httpx.request(method, url, headers={"x-api-key": key})
            assert refused.status_code == 403
            assert refused.json()["error"] == {
                "type": "permission_error",
                "message": "this endpoint requires an admin API key",
            }


def test_delivery_log_pages_newest_first(operator: Operator, receiver: Receiver) -> None:
    created = operator.endpoint(receiver.url("/paged"), [UPDATED])
    receiver.route("/paged", created.signing_secret)
    profiles = [operator.profile() for _ in range(5)]
    for profile in profiles:
        operator.set_cyber(profile)
    settled(operator, created.id, 5, "succeeded")
    seen: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 2, "endpoint_id": created.id}
    pages = 0
    while True:
        page = operator.http.get("/v1/admin/webhook_deliveries", params=params).json()
        seen += page["data"]
        pages += 1
        assert "attempts" not in page["data"][0]
        if page["next_page"] is None:
            break
        params["page"] = page["next_page"]
    assert pages == 3 and len({d["id"] for d in seen}) == 5
    assert [d["created_at"] for d in seen] == sorted((d["created_at"] for d in seen), reverse=True)
    bodies = [json.loads(item.body)["data"]["id"] for item in receiver.at("/paged")]
    assert sorted(bodies) == sorted(profiles)
