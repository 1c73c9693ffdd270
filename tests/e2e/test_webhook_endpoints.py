"""Webhook endpoint management (docs/reference/webhooks.md §1–3) with anthropic 2.14.0's
`client.beta.organization.webhooks`.

Every SDK method runs against the real server; raw HTTP covers what the SDK cannot send (bad
types, unknown fields, missing beta header). Each test gets a fresh organization with an admin
key and a standard key, so endpoint counts and lists start empty.
"""

from __future__ import annotations

import base64
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import anthropic
import httpx
import pytest
from anthropic.types.beta.organization import (
    BetaDeletedOrganizationWebhookEndpoint,
    BetaNewOrganizationWebhookEndpoint,
    BetaOrganizationWebhookEndpoint,
    BetaOrganizationWebhookEndpointSigningSecret,
)
from sqlalchemy import Connection, update

from tests.e2e.conftest import Server
from tests.e2e.webhooks.support import EventType
from uprof.accounts import service as accounts
from uprof.db.unit_of_work import Database
from uprof.webhooks.models import webhook_endpoint

SDK = anthropic.__version__
CLIENT = f"anthropic {SDK} beta.organization.webhooks"
BETA = "webhooks-2026-10-07"
ALL_EVENTS: list[EventType] = [
    "user_profile.program_status_updated",
    "user_profile.enforcement_action_opened",
    "user_profile.enforcement_action_resolved",
    "external_key.failed",
    "external_key.recovered",
    "external_storage.failed",
    "external_storage.recovered",
]
PROFILE_EVENTS = ALL_EVENTS[:3]
ENDPOINT_KEYS = {"id", "name", "description", "url", "enabled_events", "state", "disabled_reason"} | {
    "created_at",
    "updated_at",
}
URL_PROBLEM = "url: must be an absolute https URL"
EVENTS_PROBLEM = "enabled_events: must list at least one event type"
EVENT_CHOICES = "must be one of " + ", ".join(ALL_EVENTS)
SECRET = re.compile(r"whsec_[A-Za-z0-9+/]{43}=")
ENDPOINT_ID = re.compile(r"whep_[0-9A-Za-z]{24}")
HOOK = "https://platform.example.com/hooks/uprof"


@dataclass
class Org:
    organization_id: str
    admin_key: str
    standard_key: str


def new_org(database: Database) -> Org:
    name = f"webhooks-{uuid.uuid4()}"

    def work(connection: Connection) -> Org:
        admin = accounts.create_key(connection, name="admin", admin=True, organization_name=name)
        standard = accounts.create_key(connection, name="standard", organization_name=name)
        return Org(accounts.organization_for(connection, name), admin.key, standard.key)

    return database.run(work, write=True)


@pytest.fixture
def org(database: Database) -> Org:
    return new_org(database)


@pytest.fixture
def sdk(server: Server, org: Org) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(api_key=org.admin_key, base_url=server.url, max_retries=0) as client:
        yield client


def raw_client(server: Server, key: str, *, beta: bool = True) -> httpx.Client:
    headers = {"x-api-key": key, "anthropic-version": "2023-06-01"}
    if beta:
        headers["anthropic-beta"] = BETA
    return httpx.Client(base_url=server.url, headers=headers, timeout=10)


@pytest.fixture
def api(server: Server, org: Org) -> Iterator[httpx.Client]:
    with raw_client(server, org.admin_key) as client:
        yield client


def compat(*operations: str) -> Callable[[Any], Any]:
    def mark(test: Any) -> Any:
        for operation in operations:
            test = pytest.mark.compat(client=CLIENT, operation=operation)(test)
        return test

    return mark


def sent_keys(model: anthropic.BaseModel) -> set[str]:
    return set(model.model_fields_set) | set(model.model_extra or {})


def assert_error(response: httpx.Response, status: int, error_type: str, message: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["type", "error", "request_id"]
    assert body["error"] == {"type": error_type, "message": message}
    assert response.headers["request-id"] == body["request_id"]


def assert_invalid(response: httpx.Response, message: str) -> None:
    assert_error(response, 400, "invalid_request_error", message)


def make(sdk: anthropic.Anthropic, **fields: Any) -> BetaNewOrganizationWebhookEndpoint:
    fields.setdefault("url", HOOK)
    fields.setdefault("enabled_events", PROFILE_EVENTS)
    return sdk.beta.organization.webhooks.create(**fields)


# --- create, retrieve ----------------------------------------------------------------------


@compat("create")
def test_create_returns_the_endpoint_with_its_secret_once(sdk: anthropic.Anthropic) -> None:
    before = datetime.now(UTC)
    created = sdk.beta.organization.webhooks.create(
        url=HOOK, enabled_events=PROFILE_EVENTS, name="production", description="the main platform"
    )
    assert isinstance(created, BetaNewOrganizationWebhookEndpoint)
    assert sent_keys(created) == ENDPOINT_KEYS | {"signing_secret"}
    assert ENDPOINT_ID.fullmatch(created.id)
    assert (created.url, created.enabled_events, created.name) == (HOOK, PROFILE_EVENTS, "production")
    assert (created.description, created.state, created.disabled_reason) == ("the main platform", "enabled", "")
    assert created.created_at == created.updated_at
    assert before <= created.created_at <= datetime.now(UTC)
    assert SECRET.fullmatch(created.signing_secret)
    assert len(base64.b64decode(created.signing_secret[len("whsec_") :])) == 32


@compat("create")
def test_create_defaults_and_collapses_duplicate_events(api: httpx.Client) -> None:
    events = ["external_key.failed", "user_profile.program_status_updated", "external_key.failed"]
    response = api.post("/v1/organizations/webhooks", json={"url": HOOK, "enabled_events": events})
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == [
        "id",
        "name",
        "description",
        "url",
        "enabled_events",
        "state",
        "disabled_reason",
        "created_at",
        "updated_at",
        "signing_secret",
    ]
    assert (body["name"], body["description"]) == ("", "")
    assert body["enabled_events"] == ["external_key.failed", "user_profile.program_status_updated"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", body["created_at"])
    assert response.headers["content-type"] == "application/json"


@compat("retrieve")
def test_retrieve_never_shows_the_secret(sdk: anthropic.Anthropic, api: httpx.Client) -> None:
    created = make(sdk, name="x")
    fetched = sdk.beta.organization.webhooks.retrieve(created.id)
    assert isinstance(fetched, BetaOrganizationWebhookEndpoint)
    assert sent_keys(fetched) == ENDPOINT_KEYS
    assert fetched.model_dump() == created.model_dump(exclude={"signing_secret"})
    raw = api.get(f"/v1/organizations/webhooks/{created.id}")
    assert "signing_secret" not in raw.json() and created.signing_secret not in raw.text


@compat("retrieve", "update", "delete", "regenerate_signing_secret")
def test_unknown_and_foreign_ids_are_not_found(
    sdk: anthropic.Anthropic, server: Server, database: Database, api: httpx.Client
) -> None:
    other = new_org(database)
    with anthropic.Anthropic(api_key=other.admin_key, base_url=server.url, max_retries=0) as stranger:
        foreign = make(stranger).id
    webhooks = sdk.beta.organization.webhooks
    for endpoint_id in (foreign, "whep_000000000000000000000000", "nonsense"):
        for call in (
            partial(webhooks.retrieve, endpoint_id),
            partial(webhooks.update, endpoint_id, name="x"),
            partial(webhooks.delete, endpoint_id),
            partial(webhooks.regenerate_signing_secret, endpoint_id),
        ):
            with pytest.raises(anthropic.NotFoundError) as raised:
                call()
            assert raised.value.body["error"] == {  # type: ignore[index]
                "type": "not_found_error",
                "message": "webhook endpoint not found",
            }
    assert_error(
        api.get("/v1/organizations/webhooks/whep_%2F..%2Fx"), 404, "not_found_error", "webhook endpoint not found"
    )


# --- update --------------------------------------------------------------------------------


@compat("update")
def test_update_changes_only_what_is_sent(sdk: anthropic.Anthropic) -> None:
    created = make(sdk, name="before", description="notes")
    webhooks = sdk.beta.organization.webhooks
    time.sleep(0.002)
    same = webhooks.update(created.id, name="before", enabled_events=[])
    assert sent_keys(same) == ENDPOINT_KEYS
    assert same.updated_at == created.updated_at  # nothing really changed
    assert same.enabled_events == PROFILE_EVENTS  # [] leaves the set alone
    updated = webhooks.update(
        created.id,
        url="https://other.example.com/h?x=1",
        enabled_events=["external_storage.failed", "external_storage.failed"],
    )
    assert (updated.name, updated.description) == ("before", "notes")
    assert updated.url == "https://other.example.com/h?x=1"
    assert updated.enabled_events == ["external_storage.failed"]
    assert updated.updated_at > created.updated_at
    assert updated.created_at == created.created_at
    renamed = webhooks.update(created.id, name="", description="")
    assert (renamed.name, renamed.description) == ("", "")
    assert webhooks.retrieve(created.id).model_dump() == renamed.model_dump()


@compat("update")
def test_state_changes_and_disabled_reason(sdk: anthropic.Anthropic, database: Database) -> None:
    webhooks = sdk.beta.organization.webhooks
    created = make(sdk)
    disabled = webhooks.update(created.id, state="disabled")
    assert (disabled.state, disabled.disabled_reason) == ("disabled", "")
    assert disabled.updated_at > created.updated_at
    again = webhooks.update(created.id, state="disabled")
    assert again.updated_at == disabled.updated_at
    # As if uprof had disabled it automatically: a request that sets a state clears the reason.
    automatic = update(webhook_endpoint).where(webhook_endpoint.c.id == created.id)
    database.run(lambda c: c.execute(automatic.values(disabled_reason="consecutive_delivery_failures")), write=True)
    assert webhooks.retrieve(created.id).disabled_reason == "consecutive_delivery_failures"
    assert webhooks.update(created.id, state="disabled").disabled_reason == ""
    enabled = webhooks.update(created.id, state="enabled")
    assert (enabled.state, enabled.disabled_reason) == ("enabled", "")


# --- delete, regenerate --------------------------------------------------------------------


@compat("delete")
def test_delete_removes_the_endpoint(sdk: anthropic.Anthropic) -> None:
    webhooks = sdk.beta.organization.webhooks
    created = make(sdk)
    deleted = webhooks.delete(created.id)
    assert isinstance(deleted, BetaDeletedOrganizationWebhookEndpoint)
    assert sent_keys(deleted) == {"id", "type"}
    assert (deleted.id, deleted.type) == (created.id, "webhook_endpoint_deleted")
    with pytest.raises(anthropic.NotFoundError):
        webhooks.retrieve(created.id)
    with pytest.raises(anthropic.NotFoundError):
        webhooks.delete(created.id)
    assert webhooks.list().data == []


@compat("regenerate_signing_secret")
def test_regenerate_returns_a_new_secret_only_there(sdk: anthropic.Anthropic, api: httpx.Client) -> None:
    webhooks = sdk.beta.organization.webhooks
    created = make(sdk)
    regenerated = webhooks.regenerate_signing_secret(created.id)
    assert isinstance(regenerated, BetaOrganizationWebhookEndpointSigningSecret)
    assert sent_keys(regenerated) == {"signing_secret"}
    assert SECRET.fullmatch(regenerated.signing_secret)
    assert regenerated.signing_secret != created.signing_secret
    fetched = webhooks.retrieve(created.id)
    assert fetched.updated_at > created.updated_at
    for response in (api.get(f"/v1/organizations/webhooks/{created.id}"), api.get("/v1/organizations/webhooks")):
        assert regenerated.signing_secret not in response.text and "signing_secret" not in response.text
    assert_invalid(
        api.post(f"/v1/organizations/webhooks/{created.id}/regenerate_signing_secret", json={"x": 1}),
        "x: unknown field",
    )


# --- list ----------------------------------------------------------------------------------


def _make_many(sdk: anthropic.Anthropic, count: int) -> list[str]:
    return [make(sdk, name=f"e{index}").id for index in range(count)]


@compat("list")
def test_list_pages_newest_first_with_the_sdk_iterator(sdk: anthropic.Anthropic) -> None:
    ids = _make_many(sdk, 5)
    webhooks = sdk.beta.organization.webhooks
    page = webhooks.list(limit=2)
    assert [item.id for item in page.data] == ids[:-3:-1]
    assert (page.has_more, page.first_id, page.last_id) == (True, ids[4], ids[3])
    assert all(sent_keys(item) == ENDPOINT_KEYS for item in page.data)
    assert [item.id for item in webhooks.list(limit=2)] == ids[::-1]  # auto-pagination via after_id
    assert [item.id for item in webhooks.list(limit=2, order="asc")] == ids
    assert [item.id for item in webhooks.list().data] == ids[::-1]
    assert [item.id for item in webhooks.list(limit=0).data] == ids[::-1]  # 0 means 20
    last = webhooks.list(after_id=ids[1], order="asc", limit=3)
    assert ([item.id for item in last.data], last.has_more) == (ids[2:5], False)


@compat("list")
def test_before_id_counts_from_the_start_of_the_list(sdk: anthropic.Anthropic) -> None:
    ids = _make_many(sdk, 5)  # asc order: ids[0] … ids[4]
    webhooks = sdk.beta.organization.webhooks
    page = webhooks.list(before_id=ids[4], order="asc", limit=2)
    assert [item.id for item in page.data] == ids[0:2]
    assert (page.has_more, page.first_id, page.last_id) == (True, ids[0], ids[1])  # ids[2], ids[3] lie between
    page = webhooks.list(before_id=ids[3], order="asc", limit=3)
    assert ([item.id for item in page.data], page.has_more) == (ids[0:3], False)
    page = webhooks.list(before_id=ids[1], limit=10)  # desc: ids[4], ids[3], ids[2] come before ids[1]
    assert ([item.id for item in page.data], page.has_more) == (ids[4:1:-1], False)
    empty = webhooks.list(before_id=ids[4])
    assert (empty.data, empty.has_more, empty.first_id, empty.last_id) == ([], False, None, None)


def test_an_empty_list(api: httpx.Client) -> None:
    response = api.get("/v1/organizations/webhooks")
    assert response.json() == {"data": [], "has_more": False, "first_id": None, "last_id": None}
    assert list(response.json()) == ["data", "has_more", "first_id", "last_id"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=101", "limit: must be an integer from 0 to 100"),
        ("limit=-1", "limit: must be an integer from 0 to 100"),
        ("limit=abc", "limit: must be an integer from 0 to 100"),
        ("limit=99999999999999999999999", "limit: must be an integer from 0 to 100"),
        ("order=newest", "order: must be one of asc, desc"),
        ("after_id=whep_a&before_id=whep_b", "before_id: cannot be combined with after_id"),
        ("after_id=whep_000000000000000000000000", "after_id: no webhook endpoint with this ID"),
        ("before_id=%00", "before_id: contains a character that is not allowed"),
    ],
)
def test_list_query_errors(api: httpx.Client, query: str, message: str) -> None:
    assert_invalid(api.get(f"/v1/organizations/webhooks?{query}"), message)


def test_a_foreign_cursor_is_unknown(api: httpx.Client, server: Server, database: Database) -> None:
    with raw_client(server, new_org(database).admin_key) as stranger:
        foreign = stranger.post("/v1/organizations/webhooks", json={"url": HOOK, "enabled_events": ALL_EVENTS})
    assert_invalid(
        api.get("/v1/organizations/webhooks", params={"after_id": foreign.json()["id"]}),
        "after_id: no webhook endpoint with this ID",
    )


# --- field rules ---------------------------------------------------------------------------

GOOD = {"url": HOOK, "enabled_events": ["user_profile.program_status_updated"]}

CREATE_ERRORS = [
    ({"enabled_events": ALL_EVENTS}, URL_PROBLEM),
    ({**GOOD, "url": None}, URL_PROBLEM),
    ({**GOOD, "url": 42}, URL_PROBLEM),
    ({**GOOD, "url": ""}, URL_PROBLEM),
    ({**GOOD, "url": "https://e.com/" + "a" * 2035}, URL_PROBLEM),  # 2,049 characters
    ({**GOOD, "url": "/hooks"}, URL_PROBLEM),
    ({**GOOD, "url": "ftp://example.com/hooks"}, URL_PROBLEM),
    ({**GOOD, "url": "http://example.com/hooks"}, URL_PROBLEM),
    ({**GOOD, "url": "http://10.0.0.1/hooks"}, URL_PROBLEM),
    ({**GOOD, "url": "http://localhost.example.com/hooks"}, URL_PROBLEM),
    ({**GOOD, "url": "https:///hooks"}, URL_PROBLEM),
    ({**GOOD, "url": "https://user:secret@example.com/hooks"}, URL_PROBLEM),
    ({**GOOD, "url": "https://example.com/hooks#part"}, URL_PROBLEM),
    ({**GOOD, "url": "https://example.com:99999/hooks"}, URL_PROBLEM),
    ({**GOOD, "url": "https://exa mple.com/hooks"}, URL_PROBLEM),
    ({**GOOD, "url": "https://[::1/hooks"}, URL_PROBLEM),
    ({"url": "nope", "enabled_events": []}, URL_PROBLEM),  # the first problem in table order
    ({"url": HOOK}, EVENTS_PROBLEM),
    ({**GOOD, "enabled_events": []}, EVENTS_PROBLEM),
    ({**GOOD, "enabled_events": None}, EVENTS_PROBLEM),
    ({**GOOD, "enabled_events": "user_profile.program_status_updated"}, EVENTS_PROBLEM),
    (
        {**GOOD, "enabled_events": ["user_profile.program_status_updated", "nope"]},
        f"enabled_events[1]: {EVENT_CHOICES}",
    ),
    ({**GOOD, "enabled_events": [["user_profile.program_status_updated"]]}, f"enabled_events[0]: {EVENT_CHOICES}"),
    ({**GOOD, "name": "n" * 256}, "name: must be a string of at most 255 characters"),
    ({**GOOD, "name": None}, "name: must be a string of at most 255 characters"),
    ({**GOOD, "name": 7}, "name: must be a string of at most 255 characters"),
    ({**GOOD, "description": "d" * 1001}, "description: must be a string of at most 1000 characters"),
    ({**GOOD, "description": ["x"]}, "description: must be a string of at most 1000 characters"),
    ({**GOOD, "state": "enabled"}, "state: unknown field"),
    ({**GOOD, "signing_secret": "whsec_x"}, "signing_secret: unknown field"),
    ({**GOOD, "name": "n" * 300, "extra": 1}, "name: must be a string of at most 255 characters"),
]


@pytest.mark.parametrize(("body", "message"), CREATE_ERRORS)
def test_create_field_errors(api: httpx.Client, body: dict[str, Any], message: str) -> None:
    assert_invalid(api.post("/v1/organizations/webhooks", json=body), message)
    assert api.get("/v1/organizations/webhooks").json()["data"] == []


UPDATE_ERRORS = [
    ({"url": "http://example.com/h"}, URL_PROBLEM),
    ({"url": None}, URL_PROBLEM),
    ({"enabled_events": ["user_profile.program_status_updated", 3]}, f"enabled_events[1]: {EVENT_CHOICES}"),
    ({"enabled_events": {}}, EVENTS_PROBLEM),
    ({"name": "n" * 256}, "name: must be a string of at most 255 characters"),
    ({"description": None}, "description: must be a string of at most 1000 characters"),
    ({"state": "paused"}, "state: must be one of enabled, disabled"),
    ({"state": None}, "state: must be one of enabled, disabled"),
    ({"secret": "x"}, "secret: unknown field"),
]


@pytest.mark.parametrize(("body", "message"), UPDATE_ERRORS)
def test_update_field_errors(api: httpx.Client, body: dict[str, Any], message: str) -> None:
    created = api.post("/v1/organizations/webhooks", json=GOOD).json()
    assert_invalid(api.post(f"/v1/organizations/webhooks/{created['id']}", json=body), message)
    fetched = api.get(f"/v1/organizations/webhooks/{created['id']}").json()
    assert fetched == {key: value for key, value in created.items() if key != "signing_secret"}


def test_limits_that_are_accepted(api: httpx.Client) -> None:
    url = "https://e.com/" + "a" * 2034  # 2,048 characters
    body = {"url": url, "enabled_events": ALL_EVENTS, "name": "n" * 255, "description": "d" * 1000}
    response = api.post("/v1/organizations/webhooks", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["url"] == url and response.json()["enabled_events"] == ALL_EVENTS


@pytest.mark.parametrize(
    "url",
    ["http://localhost/h", "http://LOCALHOST:9/h", "http://127.0.0.1/h", "http://127.8.9.10:1/h", "http://[::1]:8/h"],
)
def test_plain_http_is_accepted_for_loopback_hosts(api: httpx.Client, url: str) -> None:
    response = api.post("/v1/organizations/webhooks", json={**GOOD, "url": url})
    assert response.status_code == 200, response.text
    endpoint_id = response.json()["id"]
    assert api.post(f"/v1/organizations/webhooks/{endpoint_id}", json={"url": url}).status_code == 200


def test_the_33rd_endpoint_is_refused(sdk: anthropic.Anthropic, api: httpx.Client) -> None:
    ids = [make(sdk, enabled_events=["external_key.failed"]).id for _ in range(32)]
    message = "body: the organization already has 32 webhook endpoints, the maximum"
    assert_invalid(api.post("/v1/organizations/webhooks", json=GOOD), message)
    sdk.beta.organization.webhooks.update(ids[0], state="disabled")  # disabled endpoints count too
    with pytest.raises(anthropic.BadRequestError) as raised:
        make(sdk)
    assert raised.value.body["error"]["message"] == message  # type: ignore[index]
    sdk.beta.organization.webhooks.delete(ids[0])
    assert make(sdk).state == "enabled"
    assert len(list(sdk.beta.organization.webhooks.list(limit=100))) == 32


# --- access rules --------------------------------------------------------------------------

ROUTES = [
    ("GET", "/v1/organizations/webhooks"),
    ("POST", "/v1/organizations/webhooks"),
    ("GET", "/v1/organizations/webhooks/whep_000000000000000000000000"),
    ("POST", "/v1/organizations/webhooks/whep_000000000000000000000000"),
    ("DELETE", "/v1/organizations/webhooks/whep_000000000000000000000000"),
    ("POST", "/v1/organizations/webhooks/whep_000000000000000000000000/regenerate_signing_secret"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_standard_key_is_refused(server: Server, org: Org, method: str, path: str) -> None:
    with raw_client(server, org.standard_key) as client:
        response = client.request(method, path, json=GOOD if method == "POST" else None)
    assert_error(response, 403, "permission_error", "this endpoint requires an admin API key")
    assert response.headers["anthropic-organization-id"] == org.organization_id


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_without_the_beta_the_routes_do_not_exist(server: Server, org: Org, method: str, path: str) -> None:
    for key in (org.admin_key, org.standard_key):
        with raw_client(server, key, beta=False) as client:
            response = client.request(method, path, json=GOOD if method == "POST" else None)
            unknown = client.get("/v1/organizations/nothing_here")
        assert_error(response, 404, "not_found_error", "not found")
        assert response.json()["error"] == unknown.json()["error"]
    with raw_client(server, org.admin_key, beta=False) as client:
        other_betas = client.get("/v1/organizations/webhooks", headers={"anthropic-beta": "user-profiles-2026-08-18"})
    assert_error(other_betas, 404, "not_found_error", "not found")


def test_the_beta_may_come_among_others(server: Server, org: Org) -> None:
    with raw_client(server, org.admin_key, beta=False) as client:
        response = client.get(
            "/v1/organizations/webhooks",
            headers=[("anthropic-beta", "foo-1"), ("anthropic-beta", f"x, {BETA.upper()}")],
        )
    assert response.status_code == 200, response.text


def test_a_missing_version_is_refused(server: Server, org: Org) -> None:
    with httpx.Client(base_url=server.url, headers={"x-api-key": org.admin_key, "anthropic-beta": BETA}) as client:
        assert_invalid(client.get("/v1/organizations/webhooks"), "anthropic-version: header is required")


def test_the_sdk_sees_both_refusals(server: Server, org: Org) -> None:
    with anthropic.Anthropic(api_key=org.standard_key, base_url=server.url, max_retries=0) as standard:
        with pytest.raises(anthropic.PermissionDeniedError):
            standard.beta.organization.webhooks.list()
        with pytest.raises(anthropic.NotFoundError):
            standard.beta.organization.webhooks.list(extra_headers={"anthropic-beta": "user-profiles-2026-08-18"})
