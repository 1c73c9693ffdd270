"""docs/reference/profiles.md §2.1 walked row by row with raw HTTP: per revision, the exact keys, their order and
their values.

One stored profile with everything set (all details, both programs, open enforcement actions) is read,
created, updated and listed under R1, R2, R3 and GA. The expected JSON object of each revision is
built from the docs/reference/profiles.md §2.1 field table and the §2.6 mapping, and compared with order significant
at every level (metadata, a free-form map, excepted). Also §2.4's list completeness and §1's endpoint table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server, Tenant
from uprof.db.unit_of_work import Database
from uprof.provider import service as provider

REVISION_HEADERS = {
    "r1": {"anthropic-beta": "user-profiles-2026-03-24"},
    "r2": {"anthropic-beta": "user-profiles-2026-08-18"},
    "r3": {"anthropic-beta": "user-profiles-2026-09-04"},
    "ga": {},
}
REVISIONS = tuple(REVISION_HEADERS)
ALL = frozenset(REVISIONS)
BETA = frozenset({"r1", "r2", "r3"})

# docs/reference/profiles.md §2.1, in the order of the table (which is the order keys are emitted in).
FIELD_TABLE: list[tuple[str, frozenset[str]]] = [
    ("id", ALL),
    ("type", ALL),
    ("external_id", frozenset({"r1", "r2"})),
    ("name", ALL),
    ("relationship", frozenset({"r1"})),
    ("access_type", frozenset({"r2", "r3", "ga"})),
    ("external_user_onboarded_at", frozenset({"r2"})),
    ("external_user_details", frozenset({"r3", "ga"})),
    ("metadata", ALL),
    ("trust_grants", BETA),
    ("programs", frozenset({"ga"})),
    ("enforcement_status", frozenset({"ga"})),
    ("enforcement_actions", frozenset({"ga"})),
    ("created_at", ALL),
    ("updated_at", ALL),
]
DETAIL_ORDER = ("account_status", "country", "email_hash", "entity_type", "name_hash", "onboarded_at", "reference_id")
ACTION_ORDER = ["id", "type", "action", "expires_at", "opened_at", "reason"]
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
PROFILE_ID = re.compile(r"uprof_[0-9A-Za-z]{24}")
ACTION_ID = re.compile(r"enac_[0-9A-Za-z]{24}")


@dataclass
class Stored:
    """A stored profile in neutral terms (docs/reference/profiles.md §2.6, first column)."""

    id: str = ""
    name: str | None = None
    access_type: str = "application"
    details: dict[str, str | None] = field(default_factory=lambda: dict.fromkeys(DETAIL_ORDER))
    metadata: dict[str, str] = field(default_factory=dict)
    cyber: dict[str, Any] | None = None  # full standing, as retrieve reports it
    efs: dict[str, Any] | None = None
    actions: list[dict[str, Any]] = field(default_factory=list)  # open actions as GA lists them
    created_at: str = ""
    updated_at: str = ""


def _programs(stored: Stored, listing: bool) -> dict[str, Any]:
    if not listing:
        return {"cyber": stored.cyber, "efs": stored.efs}
    cyber = None if stored.cyber is None else {"status": stored.cyber["status"], "tiers": {}, "requirements": None}
    return {"cyber": cyber, "efs": None}


def _enforcement_status(stored: Stored) -> str:
    if any(action["type"] == "ban" for action in stored.actions):
        return "banned"
    return "restricted" if stored.actions else "unrestricted"


# How each field of the table is derived from the stored profile (docs/reference/profiles.md §2.6); `listing` = list
# item view.
FIELD_VALUES: dict[str, Callable[[Stored, bool], Any]] = {
    "id": lambda s, _: s.id,
    "type": lambda s, _: "user_profile",
    "external_id": lambda s, _: s.details["reference_id"],
    "name": lambda s, _: s.name,
    "relationship": lambda s, _: {"application": "external", "passthrough": "resold"}[s.access_type],
    "access_type": lambda s, _: s.access_type,
    "external_user_onboarded_at": lambda s, _: s.details["onboarded_at"],
    "external_user_details": lambda s, _: s.details,
    "metadata": lambda s, _: s.metadata,
    "trust_grants": lambda s, _: {p: {"status": v["status"]} for p, v in (("cyber", s.cyber), ("efs", s.efs)) if v},
    "programs": _programs,
    "enforcement_status": lambda s, _: _enforcement_status(s),
    "enforcement_actions": lambda s, _: s.actions,
    "created_at": lambda s, _: s.created_at,
    "updated_at": lambda s, _: s.updated_at,
}


def expected(stored: Stored, revision: str, *, listing: bool = False) -> dict[str, Any]:
    """The JSON object `revision` must return for `stored`, keys in table order."""
    return {name: FIELD_VALUES[name](stored, listing) for name, shown in FIELD_TABLE if revision in shown}


def ordered(value: Any, key: str = "") -> Any:
    """`value` with every object turned into a list of pairs, so comparisons see key order (metadata excepted)."""
    if isinstance(value, dict):
        pairs = [(k, ordered(v, k)) for k, v in value.items()]
        return sorted(pairs) if key == "metadata" else pairs
    if isinstance(value, list):
        return [ordered(item) for item in value]
    return value


def assert_shape(body: dict[str, Any], stored: Stored, revision: str, *, listing: bool = False) -> None:
    want = expected(stored, revision, listing=listing)
    assert list(body) == list(want), revision
    assert ordered(body) == ordered(want), revision


class Api:
    """Raw HTTP as anthropic 2.14.0 sends it, with the revision chosen per call."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def call(self, revision: str, method: str, path: str, body: Any = None, **params: Any) -> httpx.Response:
        return self.http.request(method, path, headers=REVISION_HEADERS[revision], json=body, params=params)

    def ok(self, revision: str, method: str, path: str, body: Any = None, **params: Any) -> Any:
        response = self.call(revision, method, path, body, **params)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        return response.json()


@pytest.fixture
def api(server: Server, tenant: Tenant) -> Iterator[Api]:
    headers = {"authorization": f"Bearer {tenant.key}", "anthropic-version": "2026-10-21"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as http:
        yield Api(http)


def operate(database: Database, tenant: Tenant, work: Callable[..., Any]) -> Any:
    """Run `work(connection, organization_id, now)` as the operator would."""
    return database.run(lambda c: work(c, tenant.organization_id, datetime.now(UTC)), write=True)


CREATE_BODIES: dict[str, dict[str, Any]] = {
    "r1": {"external_id": "cust_889", "name": "Northwind Labs", "relationship": "resold", "metadata": {"a": "1"}},
    "r2": {
        "external_id": "cust_889",
        "name": "Northwind Labs",
        "access_type": "passthrough",
        "external_user_onboarded_at": "2026-02-01T09:00:00+01:00",
        "metadata": {"a": "1"},
    },
    "r3": {
        "name": "Northwind Labs",
        "access_type": "passthrough",
        "external_user_details": {
            "reference_id": "cust_889",
            "onboarded_at": "2026-02-01t08:00:00.0000009z",
            "country": "DE",
            "entity_type": "business",
            "email_hash": "9f2c",
            "name_hash": "77ab",
            "account_status": "active",
        },
        "metadata": {"a": "1"},
    },
}
CREATE_BODIES["ga"] = CREATE_BODIES["r3"]
ONBOARDED = "2026-02-01T08:00:00.000000Z"
FULL_DETAILS: dict[str, str | None] = {
    "account_status": "active",
    "country": "DE",
    "email_hash": "9f2c",
    "entity_type": "business",
    "name_hash": "77ab",
    "onboarded_at": ONBOARDED,
    "reference_id": "cust_889",
}
# What each create body stores (details a revision cannot send stay null).
CREATED = {
    "r1": Stored(name="Northwind Labs", access_type="passthrough", metadata={"a": "1"}),
    "r2": Stored(name="Northwind Labs", access_type="passthrough", metadata={"a": "1"}),
    "r3": Stored(name="Northwind Labs", access_type="passthrough", details=FULL_DETAILS, metadata={"a": "1"}),
}
CREATED["r1"].details["reference_id"] = "cust_889"
CREATED["r2"].details.update(reference_id="cust_889", onboarded_at=ONBOARDED)
CREATED["ga"] = CREATED["r3"]


@pytest.fixture
def populated(api: Api, database: Database, tenant: Tenant) -> Stored:
    """A profile with every stored value set: all details, both programs, two open enforcement actions."""
    body = api.ok(
        "ga", "POST", "/v1/user_profiles", {**CREATE_BODIES["ga"], "metadata": {"tier": "gold", "seats": "5"}}
    )
    profile_id = body["id"]
    operate(
        database,
        tenant,
        lambda c, org, now: provider.set_program(
            c,
            org,
            profile_id,
            "cyber",
            status="active",
            items={"a": "active"},
            requirements={"human_review": False},
            now=now,
        ),
    )
    operate(
        database, tenant, lambda c, org, now: provider.set_program(c, org, profile_id, "efs", status="pending", now=now)
    )
    expiry = datetime(2030, 1, 2, 3, 4, 5, 600000, tzinfo=UTC)
    restriction = operate(
        database,
        tenant,
        lambda c, org, now: provider.open_enforcement_action(
            c, org, profile_id, type="restriction", reason="unsupported_region", verifiable=True, now=now
        ),
    )
    ban = operate(
        database,
        tenant,
        lambda c, org, now: provider.open_enforcement_action(
            c, org, profile_id, type="ban", reason="usage_policy_violation", expires_at=expiry, now=now
        ),
    )
    operate(  # an expired action is not reported anywhere
        database,
        tenant,
        lambda c, org, now: provider.open_enforcement_action(
            c, org, profile_id, type="ban", reason="high_harm", expires_at=now - timedelta(seconds=1), now=now
        ),
    )
    current = api.ok("ga", "GET", f"/v1/user_profiles/{profile_id}")
    opened = [action["opened_at"] for action in current["enforcement_actions"]]
    assert len(opened) == 2 and all(TIMESTAMP.fullmatch(t) for t in opened)
    return Stored(
        id=profile_id,
        name="Northwind Labs",
        access_type="passthrough",
        details=dict(FULL_DETAILS),
        metadata={"tier": "gold", "seats": "5"},
        cyber={
            "status": "active",
            "tiers": {"a": {"status": "active"}, "b": {"status": "inactive"}, "c": {"status": "inactive"}},
            "requirements": {"data_retention": True, "human_review": False},
        },
        efs={
            "status": "pending",
            "features": {
                "data_retention_exemption": {"status": "inactive"},
                "cmek": {"status": "inactive"},
                "storage": {"status": "inactive"},
            },
        },
        actions=[
            {
                "id": restriction,
                "type": "restriction",
                "action": "verify",
                "expires_at": None,
                "opened_at": opened[0],
                "reason": "unsupported_region",
            },
            {
                "id": ban,
                "type": "ban",
                "action": None,
                "expires_at": "2030-01-02T03:04:05.600000Z",
                "opened_at": opened[1],
                "reason": "usage_policy_violation",
            },
        ],
        created_at=body["created_at"],
        updated_at=current["updated_at"],
    )


def test_the_table_names_every_field_of_every_revision() -> None:
    counts = {revision: len(expected(Stored(), revision)) for revision in REVISIONS}
    assert counts == {"r1": 9, "r2": 10, "r3": 9, "ga": 11}
    assert [name for name, _ in FIELD_TABLE] == list(FIELD_VALUES)


@pytest.mark.parametrize("revision", REVISIONS)
def test_retrieve(api: Api, populated: Stored, revision: str) -> None:
    body = api.ok(revision, "GET", f"/v1/user_profiles/{populated.id}")
    assert_shape(body, populated, revision)
    assert PROFILE_ID.fullmatch(body["id"])
    assert TIMESTAMP.fullmatch(body["created_at"]) and TIMESTAMP.fullmatch(body["updated_at"])
    assert body["updated_at"] > body["created_at"]  # program standing moved it


@pytest.mark.parametrize("revision", REVISIONS)
def test_create(api: Api, revision: str) -> None:
    body = api.ok(revision, "POST", "/v1/user_profiles", CREATE_BODIES[revision])
    stored = replace(CREATED[revision], id=body["id"], created_at=body["created_at"], updated_at=body["created_at"])
    assert_shape(body, stored, revision)
    assert PROFILE_ID.fullmatch(body["id"]) and TIMESTAMP.fullmatch(body["created_at"])
    empty = api.ok(revision, "POST", "/v1/user_profiles", {})
    defaults = Stored(id=empty["id"], created_at=empty["created_at"], updated_at=empty["created_at"])
    assert_shape(empty, defaults, revision)
    for other in REVISIONS:  # the same two stored profiles, read under every revision
        assert_shape(api.ok(other, "GET", f"/v1/user_profiles/{body['id']}"), stored, other)
        assert_shape(api.ok(other, "GET", f"/v1/user_profiles/{empty['id']}"), defaults, other)


UPDATE_BODIES: dict[str, dict[str, Any]] = {
    "r1": {"name": "Northwind", "external_id": "cust_900", "relationship": "external", "metadata": {"tier": ""}},
    "r2": {
        "name": "Northwind",
        "external_id": "cust_900",
        "access_type": "application",
        "external_user_onboarded_at": "2026-03-01T00:00:00Z",
        "metadata": {"tier": ""},
    },
    "r3": {
        "name": "Northwind",
        "access_type": "application",
        "external_user_details": {"reference_id": "cust_900", "country": "AT", "onboarded_at": "2026-03-01T00:00:00Z"},
        "metadata": {"tier": ""},
    },
}
UPDATE_BODIES["ga"] = UPDATE_BODIES["r3"]


@pytest.mark.parametrize("revision", REVISIONS)
def test_update(api: Api, populated: Stored, revision: str) -> None:
    body = api.ok(revision, "POST", f"/v1/user_profiles/{populated.id}", UPDATE_BODIES[revision])
    details = {**populated.details, "reference_id": "cust_900"}
    if revision != "r1":
        details["onboarded_at"] = "2026-03-01T00:00:00.000000Z"
    if revision in ("r3", "ga"):
        details["country"] = "AT"
    after = replace(
        populated,
        name="Northwind",
        access_type="application",
        details=details,
        metadata={"seats": "5"},
        updated_at=body["updated_at"],
    )
    assert_shape(body, after, revision)
    assert body["updated_at"] > populated.updated_at
    for other in REVISIONS:
        assert_shape(api.ok(other, "GET", f"/v1/user_profiles/{populated.id}"), after, other)
    unchanged = api.ok(revision, "POST", f"/v1/user_profiles/{populated.id}", {})
    assert_shape(unchanged, after, revision)


@pytest.mark.parametrize("revision", REVISIONS)
def test_list_items(api: Api, database: Database, tenant: Tenant, populated: Stored, revision: str) -> None:
    plain = api.ok("ga", "POST", "/v1/user_profiles", {"name": "plain"})
    pending = api.ok("ga", "POST", "/v1/user_profiles", {})
    operate(
        database,
        tenant,
        lambda c, org, now: provider.set_program(c, org, pending["id"], "cyber", status="pending", now=now),
    )
    pending = api.ok("ga", "GET", f"/v1/user_profiles/{pending['id']}")
    body = api.ok(revision, "GET", "/v1/user_profiles", order="asc")
    assert list(body) == ["data", "next_page"] and body["next_page"] is None
    first, second, third = body["data"]
    assert_shape(first, populated, revision, listing=True)
    stored_plain = Stored(id=plain["id"], name="plain", created_at=plain["created_at"], updated_at=plain["created_at"])
    assert_shape(second, stored_plain, revision, listing=True)
    stored_pending = Stored(
        id=pending["id"],
        cyber={"status": "pending", "tiers": {}, "requirements": None},
        created_at=pending["created_at"],
        updated_at=pending["updated_at"],
    )
    assert_shape(third, stored_pending, revision, listing=True)
    for item in body["data"]:
        single = api.ok(revision, "GET", f"/v1/user_profiles/{item['id']}")
        if revision == "ga":  # docs/reference/profiles.md §2.4: all but the program details is as retrieve has it
            assert ordered({**item, "programs": None}) == ordered({**single, "programs": None})
        else:  # docs/reference/profiles.md §2.3: lists and single reads report trust_grants (and all else) alike
            assert ordered(item) == ordered(single)


def test_ga_list_programs_are_partial(api: Api, populated: Stored) -> None:
    [item] = api.ok("ga", "GET", "/v1/user_profiles")["data"]
    assert ordered(item["programs"]) == [
        ("cyber", [("status", "active"), ("tiers", []), ("requirements", None)]),
        ("efs", None),
    ]
    filtered = api.ok("ga", "GET", "/v1/user_profiles", **{"enforcement_status[]": ["banned"]})["data"]
    assert [ordered(i) for i in filtered] == [ordered(item)]
    full = api.ok("ga", "GET", f"/v1/user_profiles/{populated.id}")["programs"]
    assert ordered(full) == ordered({"cyber": populated.cyber, "efs": populated.efs})


@pytest.mark.parametrize("revision", REVISIONS)
def test_links_and_delete(api: Api, server: Server, revision: str) -> None:
    profile_id = api.ok(revision, "POST", "/v1/user_profiles", {})["id"]
    action = api.ok(
        revision, "POST", f"/v1/user_profiles/{profile_id}/action_urls", {"action": {"type": "enroll_end_user"}}
    )
    assert list(action) == ["type", "url", "expires_at"] and action["type"] == "user_profile_action_url"
    assert action["url"].startswith(f"{server.url}/portal/") and TIMESTAMP.fullmatch(action["expires_at"])
    enrollment = api.call(revision, "POST", f"/v1/user_profiles/{profile_id}/enrollment_url")
    if revision == "ga":
        assert enrollment.status_code == 400
        assert enrollment.json()["error"] == {
            "type": "invalid_request_error",
            "message": "anthropic-beta: this endpoint requires one of user-profiles-2026-03-24, "
            "user-profiles-2026-08-18, user-profiles-2026-09-04",
        }
    else:
        assert enrollment.status_code == 200
        link = enrollment.json()
        assert list(link) == ["type", "url", "expires_at"] and link["type"] == "enrollment_url"
        assert link["url"].startswith(f"{server.url}/enroll/") and TIMESTAMP.fullmatch(link["expires_at"])
    deleted = api.ok(revision, "DELETE", f"/v1/user_profiles/{profile_id}")
    assert ordered(deleted) == [("id", profile_id), ("type", "user_profile_deleted")]
    gone = api.call(revision, "GET", f"/v1/user_profiles/{profile_id}")
    assert gone.status_code == 404 and gone.json()["error"]["message"] == "user profile not found"
