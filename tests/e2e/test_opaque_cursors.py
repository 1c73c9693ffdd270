"""A next-page cursor of a real server reveals nothing of the row it stops at: not the name a list
ordered by name stopped at, not the profile's ID, not the order; and it still pages."""

from __future__ import annotations

import base64

import httpx

from tests.e2e.conftest import Server, Tenant

GA = {"anthropic-version": "2023-06-01"}


def test_a_cursor_ordered_by_name_carries_no_name(server: Server, tenant: Tenant) -> None:
    with httpx.Client(base_url=server.url, headers={"x-api-key": tenant.key, **GA}, timeout=10) as api:
        names = ["Ada Lovelace", "Grace Hopper", "Katherine Johnson"]
        ids = [api.post("/v1/user_profiles", json={"name": name}).json()["id"] for name in names]
        first = api.get("/v1/user_profiles", params={"order_by": "name", "order": "asc", "limit": 1})
        assert first.status_code == 200, first.text
        assert [item["id"] for item in first.json()["data"]] == ids[:1]
        cursor = first.json()["next_page"]
        body = cursor.removeprefix("page_")
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        for revealing in (b"Ada", b"Lovelace", ids[0].encode(), ids[0].removeprefix("uprof_").encode()[:8], b"name"):
            assert revealing not in raw
        second = api.get("/v1/user_profiles", params={"order_by": "name", "order": "asc", "limit": 1, "page": cursor})
        assert second.status_code == 200, second.text
        assert [item["id"] for item in second.json()["data"]] == ids[1:2]
