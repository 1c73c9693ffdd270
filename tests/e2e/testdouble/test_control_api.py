"""The control API over plain HTTP, as any language calls it (docs/testing.md), against one
`uprof serve --test-controls` per backend; and its absence from a server started without the flag."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server, start_server, stop_server
from tests.e2e.webhooks.support import Receiver

R2 = {"anthropic-version": "2023-06-01", "anthropic-beta": "user-profiles-2026-08-18"}
WEBHOOKS = {"anthropic-version": "2023-06-01", "anthropic-beta": "webhooks-2026-10-07"}
CONTROL_PATHS = [
    ("POST", "/_uprof/organizations"),
    ("POST", "/_uprof/reset"),
    ("GET", "/_uprof/clock"),
    ("POST", "/_uprof/clock/advance"),
    ("GET", "/_uprof/requests"),
    ("DELETE", "/_uprof/requests"),
    ("POST", "/_uprof/faults"),
    ("GET", "/_uprof/faults"),
    ("DELETE", "/_uprof/faults"),
    ("POST", "/_uprof/webhooks/flush"),
]


@pytest.fixture(scope="module")
def double(database_url: str) -> Iterator[Server]:
    running = start_server(database_url, "--test-controls")
    yield running
    stop_server(running)


def bootstrap_key(server: Server) -> str:
    """An admin key to make organizations with: the first start's, or one of an organization made by
    an earlier module on the same database."""
    for line in server.output().splitlines():
        if line.startswith("sk-uprof-admin-"):
            return line.strip()
    return _KEYS[server.database_url]


_KEYS: dict[str, str] = {}


@pytest.fixture
def org(double: Server, database_url: str) -> Iterator[dict[str, Any]]:
    """A fresh organization made through the control API, with control and API clients."""
    if database_url not in _KEYS:
        from tests.databases import opened
        from uprof.accounts import service as accounts

        with opened(database_url) as database:
            made = database.run(lambda c: accounts.create_key(c, admin=True, organization_name="controls"), write=True)
        _KEYS[database_url] = made.key
    with httpx.Client(base_url=double.url, headers={"x-api-key": _KEYS[database_url]}) as maker:
        created = maker.post("/_uprof/organizations", json={}).json()
    control = httpx.Client(base_url=double.url, headers={"x-api-key": created["admin_key"]}, timeout=30)
    api = httpx.Client(base_url=double.url, headers={"x-api-key": created["api_key"], **R2}, timeout=30)
    yield {**created, "control": control, "api": api}
    control.close()
    api.close()


def error_type(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) == {"type", "error", "request_id"}, body
    return str(body["error"]["type"])


def test_without_the_flag_no_control_exists(server: Server) -> None:
    for method, path in CONTROL_PATHS:
        answer = httpx.request(method, server.url + path, headers={"x-api-key": "sk-uprof-admin-x"}, json={})
        assert answer.status_code == 404 and error_type(answer) == "not_found_error", (method, path)
    assert "test controls are on" not in server.output()


def test_controls_need_an_admin_key(double: Server, org: dict[str, Any]) -> None:
    assert "test controls are on" in double.output()
    assert error_type(httpx.get(double.url + "/_uprof/clock")) == "authentication_error"
    standard = httpx.get(double.url + "/_uprof/clock", headers={"x-api-key": org["api_key"]})
    assert standard.status_code == 403 and error_type(standard) == "permission_error"


def test_organizations_are_fresh_and_named_once(org: dict[str, Any]) -> None:
    control = org["control"]
    made = control.post("/_uprof/organizations", json={"name": f"named-{org['organization_id']}"})
    assert made.status_code == 200 and set(made.json()) == {"organization_id", "admin_key", "api_key"}
    again = control.post("/_uprof/organizations", json={"name": f"named-{org['organization_id']}"})
    assert again.status_code == 409 and error_type(again) == "conflict_error"
    bad = control.post("/_uprof/organizations", json={"name": 7})
    assert bad.status_code == 400 and bad.json()["error"]["message"].startswith("name:")


def test_the_clock_moves_forward_only_and_stamps_what_is_made(org: dict[str, Any]) -> None:
    control, api = org["control"], org["api"]
    before = control.get("/_uprof/clock").json()["now"]
    for seconds in (0, -5, "60", None, True, 10**12):
        refused = control.post("/_uprof/clock/advance", json={"seconds": seconds})
        assert refused.status_code == 400 and "seconds" in refused.json()["error"]["message"]
    after = control.post("/_uprof/clock/advance", json={"seconds": 86_400}).json()["now"]
    assert after[:10] > before[:10]
    profile = api.post("/v1/user_profiles", json={"name": "Tomorrow"}).json()
    assert profile["created_at"][:10] == after[:10]


def test_faults_answer_with_the_envelope_and_change_nothing(org: dict[str, Any], double: Server) -> None:
    control, api = org["control"], org["api"]
    for rule in ({"status": 418}, {"status": 500, "times": 0}, {"status": 500, "retry_after": 3}, {"path": "x"}, {}):
        refused = control.post("/_uprof/faults", json=rule)
        assert refused.status_code == 400 and error_type(refused) == "invalid_request_error", rule
    rule = control.post("/_uprof/faults", json={"method": "POST", "status": 503, "retry_after": 2}).json()
    assert rule["remaining"] == 1 and rule["id"].startswith("fault_")
    faulted = api.post("/v1/user_profiles", json={"name": "Never"})
    assert faulted.status_code == 503 and faulted.headers["retry-after"] == "2"
    assert faulted.json()["error"] == {"type": "api_error", "message": "injected fault"}
    assert faulted.headers["anthropic-organization-id"] == org["organization_id"]
    assert api.get("/v1/user_profiles").json()["data"] == []
    assert control.get("/_uprof/faults").json()["data"] == []
    # Another organization's requests never meet this organization's rules.
    control.post("/_uprof/faults", json={"status": 500, "times": 5})
    with httpx.Client(base_url=double.url, headers={"x-api-key": _KEYS[double.database_url], **R2}) as other:
        assert other.get("/v1/user_profiles").status_code == 200
    assert control.get("/_uprof/faults").json()["data"][0]["remaining"] == 5
    assert control.delete("/_uprof/faults").json() == {"deleted": 1}


def test_a_delay_only_fault_delays_the_real_answer(org: dict[str, Any]) -> None:
    org["control"].post("/_uprof/faults", json={"path": "/v1/user_profiles", "delay_ms": 400})
    started = time.monotonic()
    assert org["api"].get("/v1/user_profiles").status_code == 200
    assert time.monotonic() - started >= 0.4


def test_the_journal_keeps_what_was_sent_with_secrets_redacted(org: dict[str, Any], double: Server) -> None:
    control, api = org["control"], org["api"]
    api.post("/v1/user_profiles", content=b"not json", headers={"content-type": "application/json"})
    api.get("/v1/user_profiles", params={"limit": "2", "order": "asc"})
    httpx.get(double.url + "/v1/user_profiles", headers={"x-api-key": "sk-uprof-wrong", **R2})
    control.get("/_uprof/clock")
    journal = control.get("/_uprof/requests").json()["data"]
    assert [(r["method"], r["status"]) for r in journal] == [("GET", 200), ("POST", 400)]
    listed, refused = journal
    assert listed["query"] == {"limit": "2", "order": "asc"} and listed["body"] is None
    assert listed["headers"]["x-api-key"] == org["api_key"][-4:]
    assert listed["response_body"]["data"] == []
    assert refused["body"] == "not json" and refused["response_body"]["error"]["type"] == "invalid_request_error"
    assert refused["id"] == refused["response_body"]["request_id"]
    assert control.get("/_uprof/requests", params={"limit": 1}).json()["data"] == [listed]
    assert control.get("/_uprof/requests", params={"method": "post"}).json()["data"] == [refused]
    assert control.get("/_uprof/requests", params={"limit": 0}).status_code == 400
    assert control.delete("/_uprof/requests").json() == {"deleted": 2}
    assert control.get("/_uprof/requests").json()["data"] == []


def test_reset_deletes_the_organizations_objects_only(org: dict[str, Any], double: Server) -> None:
    control, api = org["control"], org["api"]
    profile = api.post("/v1/user_profiles", json={"name": "Gone"}).json()
    api.post(f"/v1/user_profiles/{profile['id']}/enrollment_url")
    deleted = control.post("/_uprof/reset").json()["deleted"]
    assert deleted["user_profiles"] == 1 and deleted["links"] == 1 and deleted["requests"] == 2
    assert api.get(f"/v1/user_profiles/{profile['id']}").status_code == 404
    assert api.get("/v1/user_profiles").status_code == 200  # the keys stay


def test_flush_attempts_now_and_the_retry_schedule_follows_the_clock(org: dict[str, Any]) -> None:
    control, api = org["control"], org["api"]
    receiver = Receiver()
    try:
        endpoint = control.post(
            "/v1/organizations/webhooks",
            json={"url": receiver.url("/hook"), "enabled_events": ["user_profile.enforcement_action_opened"]},
            headers=WEBHOOKS,
        ).json()
        receiver.route("/hook", endpoint["signing_secret"], answers=[500, 500])
        profile = api.post("/v1/user_profiles", json={"name": "Watched"}).json()
        control.post(f"/v1/admin/user_profiles/{profile['id']}/enforcement_actions", json=_restriction())
        receiver.wait("/hook", 1)  # the dispatcher's first attempt fails: the retry is due in 30 s
        wait_for_attempts(control, endpoint["id"], 1)  # and is recorded, the lease given back
        assert control.post("/_uprof/webhooks/flush").json() == {"attempted": 1, "succeeded": 0, "failed": 1}
        control.post("/_uprof/clock/advance", json={"seconds": 61})  # past the next retry (≤ 60 s)
        delivered = receiver.wait("/hook", 3, timeout=10)
        assert all(item.verified_with for item in delivered)
    finally:
        receiver.close()


def wait_for_attempts(control: httpx.Client, endpoint_id: str, count: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while True:
        deliveries = control.get("/v1/admin/webhook_deliveries").json()["data"]
        if sum(d["attempt_count"] for d in deliveries if d["endpoint_id"] == endpoint_id) >= count:
            return
        assert time.monotonic() < deadline, f"{count} attempts not recorded within {timeout} s: {deliveries}"
        time.sleep(0.05)


def _restriction() -> dict[str, Any]:
    return {"type": "restriction", "reason": "unspecified"}
