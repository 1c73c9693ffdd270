"""Validation rules and errors of docs/reference/profiles.md §3 and §4 against the real server over raw HTTP.

Every error test checks the status, the envelope, the exact message and that nothing stored changed
(the organization's profile and link rows, read from the database before and after).
"""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.e2e.conftest import Server
from tests.e2e.rules.support import (
    Snapshot,
    assert_envelope,
    assert_invalid,
    connect,
    headers,
)
from uprof.accounts import service as accounts
from uprof.db.unit_of_work import Database
from uprof.profiles.models import user_profile

MISSING = "uprof_000000000000000000000000"
NOT_FOUND = "user profile not found"
METADATA = "invalid_metadata"
CYCLE = ("R1", "R2", "R3", "GA")
# docs/reference/profiles.md §3.2: how a message names the selected revision, and each field's accepted list.
SELECTED = {
    "R1": "under user-profiles-2026-03-24",
    "R2": "under user-profiles-2026-08-18",
    "R3": "under user-profiles-2026-09-04",
    "GA": "without a user-profiles beta header",
}
ACCEPTED = {
    "external_id": "under user-profiles-2026-03-24, user-profiles-2026-08-18",
    "relationship": "under user-profiles-2026-03-24",
    "access_type": "under user-profiles-2026-08-18, user-profiles-2026-09-04, or without a user-profiles beta header",
    "external_user_onboarded_at": "under user-profiles-2026-08-18",
    "external_user_details": "under user-profiles-2026-09-04, or without a user-profiles beta header",
}
ENDPOINT_NEEDS_BETA = (
    "anthropic-beta: this endpoint requires one of user-profiles-2026-03-24, user-profiles-2026-08-18, "
    "user-profiles-2026-09-04"
)


def not_accepted(field: str, revision: str) -> str:
    return f"{field}: not accepted {SELECTED[revision]}; accepted {ACCEPTED[field]}"


def send(api: httpx.Client, operation: str, revision: str, body: Any, profile_id: str = MISSING) -> httpx.Response:
    """Create, or update `profile_id`, with a JSON body under `revision`."""
    path = "/v1/user_profiles" if operation == "create" else f"/v1/user_profiles/{profile_id}"
    return api.post(path, json=body, headers=headers(revision))


def both(*rows: tuple[str, str, Any, str]) -> list[Any]:
    """Rows of (revision, operations, body, message) as parameters, numbered; operations `both` = create and update."""
    return [pytest.param(*row, id=f"{number}-{row[1]}-{row[0]}") for number, row in enumerate(rows)]


def check_refused(
    api: httpx.Client,
    state: Snapshot,
    profile: dict[str, Any],
    revision: str,
    operations: str,
    body: Any,
    message: str,
    code: str | None = None,
) -> None:
    """Send `body` as a create and/or an update of `profile`; each is refused and changes nothing."""
    for operation in ("create", "update") if operations == "both" else (operations,):
        before = state()
        assert_invalid(send(api, operation, revision, body, profile["id"]), message, code)
        assert state() == before


# docs/reference/profiles.md §3.2: fields from another revision, read-only and unknown fields

OTHER_REVISION = [
    ("R1", "access_type", "application"),
    ("R1", "external_user_onboarded_at", "2026-01-01T00:00:00Z"),
    ("R1", "external_user_details", {}),
    ("R2", "relationship", "external"),
    ("R2", "external_user_details", {"country": "DE"}),
    ("R3", "external_id", "x"),
    ("R3", "relationship", "resold"),
    ("R3", "external_user_onboarded_at", "2026-01-01T00:00:00Z"),
    ("GA", "external_id", None),
    ("GA", "relationship", "external"),
    ("GA", "external_user_onboarded_at", "2026-01-01T00:00:00Z"),
]


@pytest.mark.parametrize(("revision", "field", "value"), OTHER_REVISION)
def test_field_of_another_revision(
    api: httpx.Client, state: Snapshot, profile: dict[str, Any], revision: str, field: str, value: Any
) -> None:
    body = {"name": "valid", field: value, "metadata": {"a": "b"}}
    check_refused(api, state, profile, revision, "both", body, not_accepted(field, revision))


@pytest.mark.parametrize(
    ("revision", "body", "message"),
    [
        (
            "R1",
            {"access_type": "application"},
            "access_type: not accepted under user-profiles-2026-03-24; accepted under user-profiles-2026-08-18, "
            "user-profiles-2026-09-04, or without a user-profiles beta header",
        ),
        (
            "GA",
            {"external_id": "x"},
            "external_id: not accepted without a user-profiles beta header; accepted under user-profiles-2026-03-24, "
            "user-profiles-2026-08-18",
        ),
    ],
)
def test_the_contract_examples_word_for_word(
    api: httpx.Client, state: Snapshot, profile: dict[str, Any], revision: str, body: dict[str, Any], message: str
) -> None:
    check_refused(api, state, profile, revision, "update", body, message)


READ_ONLY = [
    "id",
    "type",
    "trust_grants",
    "programs",
    "enforcement_status",
    "enforcement_actions",
    "created_at",
    "updated_at",
]


@pytest.mark.parametrize("field", READ_ONLY)
def test_read_only_fields(api: httpx.Client, state: Snapshot, profile: dict[str, Any], field: str) -> None:
    revision = CYCLE[READ_ONLY.index(field) % 4]
    body = {"name": "valid", field: profile.get(field, {})}
    check_refused(api, state, profile, revision, "both", body, f"{field}: read-only field")


@pytest.mark.parametrize(
    ("revision", "field", "message"),
    [
        ("R1", "foo", "foo: unknown field"),
        ("R2", "Name", "Name: unknown field"),
        ("R3", "metadata.plan", "metadata.plan: unknown field"),
        ("GA", "reference_id", "reference_id: unknown field"),
        ("GA", "country", "country: unknown field"),
        ("R1", "k" * 100, "k" * 64 + "...: unknown field"),
        ("R2", "user_profile_id", "user_profile_id: unknown field"),
    ],
)
def test_unknown_fields(
    api: httpx.Client, state: Snapshot, profile: dict[str, Any], revision: str, field: str, message: str
) -> None:
    check_refused(api, state, profile, revision, "both", {"name": "valid", field: "x"}, message)


# docs/reference/profiles.md §3.3: field rules

EUD = "external_user_details"
NAME_TYPE = "name: must be a string or null"
NAME_LENGTH = "name: must be 1 to 255 characters"
RELATIONSHIP = "relationship: must be one of external, resold"
ACCESS_TYPE = "access_type: must be one of application, passthrough"
EUD_OBJECT = "external_user_details: must be an object"
COUNTRY = "external_user_details.country: must be two uppercase ASCII letters"
ACCOUNT_STATUS = "external_user_details.account_status: must be one of active, suspended, blocked"
ENTITY_TYPE = "external_user_details.entity_type: must be one of individual, business, non_profit, government"


def cannot_clear(path: str) -> str:
    return f"{path}: cannot be cleared once set; omit it to leave it unchanged"


FIELD_RULES = both(
    ("R1", "both", {"name": 5}, NAME_TYPE),
    ("R2", "both", {"name": True}, NAME_TYPE),
    ("R3", "both", {"name": ["Ada"]}, NAME_TYPE),
    ("GA", "both", {"name": {"first": "Ada"}}, NAME_TYPE),
    ("GA", "both", {"name": 1.5}, NAME_TYPE),
    ("R1", "both", {"name": ""}, NAME_LENGTH),
    ("GA", "both", {"name": "x" * 256}, NAME_LENGTH),
    ("R3", "both", {"name": "\U0001f600" * 256}, NAME_LENGTH),
    ("R1", "both", {"external_id": 5}, "external_id: must be a string or null"),
    ("R2", "both", {"external_id": ""}, "external_id: must be 1 to 255 characters"),
    ("R2", "both", {"external_id": "é" * 256}, "external_id: must be 1 to 255 characters"),
    ("R1", "both", {"relationship": "internal"}, "relationship: internal is not supported; use external or resold"),
    ("R1", "both", {"relationship": "other"}, RELATIONSHIP),
    ("R1", "both", {"relationship": "External"}, RELATIONSHIP),
    ("R1", "both", {"relationship": "application"}, RELATIONSHIP),
    ("R1", "both", {"relationship": 1}, RELATIONSHIP),
    ("R1", "create", {"relationship": None}, RELATIONSHIP),
    ("R2", "both", {"access_type": "resold"}, ACCESS_TYPE),
    ("R3", "both", {"access_type": "Application"}, ACCESS_TYPE),
    ("GA", "both", {"access_type": 0}, ACCESS_TYPE),
    ("GA", "create", {"access_type": None}, ACCESS_TYPE),
    ("R3", "both", {EUD: "DE"}, EUD_OBJECT),
    ("GA", "both", {EUD: []}, EUD_OBJECT),
    ("GA", "both", {EUD: None}, EUD_OBJECT),
    ("GA", "both", {EUD: {"zip": "1"}}, "external_user_details.zip: unknown field"),
    ("R3", "both", {EUD: {"Country": "DE"}}, "external_user_details.Country: unknown field"),
    ("GA", "both", {EUD: {"country": "DE", "k" * 70: 1}}, f"external_user_details.{'k' * 64}...: unknown field"),
    ("GA", "both", {EUD: {"reference_id": 5}}, "external_user_details.reference_id: must be a string"),
    ("R3", "both", {EUD: {"email_hash": ""}}, "external_user_details.email_hash: must be 1 to 255 characters"),
    ("GA", "both", {EUD: {"name_hash": "x" * 256}}, "external_user_details.name_hash: must be 1 to 255 characters"),
    ("GA", "both", {EUD: {"email_hash": ["x"]}}, "external_user_details.email_hash: must be a string"),
    ("GA", "both", {EUD: {"country": "de"}}, COUNTRY),
    ("R3", "both", {EUD: {"country": "DEU"}}, COUNTRY),
    ("GA", "both", {EUD: {"country": "D"}}, COUNTRY),
    ("GA", "both", {EUD: {"country": ""}}, COUNTRY),
    ("GA", "both", {EUD: {"country": 49}}, COUNTRY),
    ("GA", "both", {EUD: {"country": "ÄB"}}, COUNTRY),
    ("GA", "both", {EUD: {"country": "D1"}}, COUNTRY),
    ("GA", "both", {EUD: {"country": "DE "}}, COUNTRY),
    ("GA", "both", {EUD: {"account_status": "closed"}}, ACCOUNT_STATUS),
    ("R3", "both", {EUD: {"account_status": "Active"}}, ACCOUNT_STATUS),
    ("GA", "both", {EUD: {"account_status": 1}}, ACCOUNT_STATUS),
    ("GA", "both", {EUD: {"entity_type": "person"}}, ENTITY_TYPE),
    ("R3", "both", {EUD: {"entity_type": "nonprofit"}}, ENTITY_TYPE),
    *(
        ("GA" if number % 2 else "R3", "update", {EUD: {key: None}}, cannot_clear(f"external_user_details.{key}"))
        for number, key in enumerate(
            ["account_status", "country", "email_hash", "entity_type", "name_hash", "onboarded_at", "reference_id"]
        )
    ),
    ("R2", "update", {"external_user_onboarded_at": None}, cannot_clear("external_user_onboarded_at")),
)


@pytest.mark.parametrize(("revision", "operations", "body", "message"), FIELD_RULES)
def test_field_rules(
    api: httpx.Client,
    state: Snapshot,
    profile: dict[str, Any],
    revision: str,
    operations: str,
    body: dict[str, Any],
    message: str,
) -> None:
    check_refused(api, state, profile, revision, operations, body, message)


IN_AN_HOUR = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
TIMESTAMP_REFUSALS = [
    # (value, reason)
    (5, "must be an RFC 3339 timestamp"),
    (["2026-01-01T00:00:00Z"], "must be an RFC 3339 timestamp"),
    ("2026-01-01", "must be a complete RFC 3339 timestamp with a UTC offset"),
    ("2026-01-01T00:00:00", "must be a complete RFC 3339 timestamp with a UTC offset"),
    ("2026-01-01 00:00:00Z", "must be a complete RFC 3339 timestamp with a UTC offset"),
    ("2026-01-01T00:00Z", "must be a complete RFC 3339 timestamp with a UTC offset"),
    ("2026-01-01T00:00:00+0100", "must be a complete RFC 3339 timestamp with a UTC offset"),
    ("2026-01-01T00:00:00.Z", "must be a complete RFC 3339 timestamp with a UTC offset"),
    ("2026-02-30T00:00:00Z", "must be a complete RFC 3339 timestamp with a UTC offset"),
    ("2026-01-01T24:00:00Z", "must be a complete RFC 3339 timestamp with a UTC offset"),
    ("2026-01-01T00:00:00+25:00", "must be a complete RFC 3339 timestamp with a UTC offset"),
    ("20260101T000000Z", "must be a complete RFC 3339 timestamp with a UTC offset"),
    (" 2026-01-01T00:00:00Z", "must be a complete RFC 3339 timestamp with a UTC offset"),
    ("yesterday", "must be a complete RFC 3339 timestamp with a UTC offset"),
    ("", "must be a complete RFC 3339 timestamp with a UTC offset"),
    (IN_AN_HOUR, "must not be more than 1 minute in the future"),
    ("2999-01-01T00:00:00+14:00", "must not be more than 1 minute in the future"),
]
TIMESTAMP_FIELDS = [("R2", "external_user_onboarded_at"), ("GA", "external_user_details.onboarded_at")]


def _timestamp_body(path: str, value: Any) -> dict[str, Any]:
    if path.startswith(EUD):
        return {EUD: {"country": "FR", "onboarded_at": value}}
    return {"external_id": "ok", path: value}


@pytest.mark.parametrize(("value", "reason"), TIMESTAMP_REFUSALS)
def test_timestamp_rules(api: httpx.Client, state: Snapshot, profile: dict[str, Any], value: Any, reason: str) -> None:
    for revision, path in TIMESTAMP_FIELDS:
        check_refused(api, state, profile, revision, "both", _timestamp_body(path, value), f"{path}: {reason}")


@pytest.mark.parametrize(("revision", "path"), [*TIMESTAMP_FIELDS, ("R3", "external_user_details.onboarded_at")])
def test_null_timestamp_is_refused_on_create(
    api: httpx.Client, state: Snapshot, profile: dict[str, Any], revision: str, path: str
) -> None:
    body = _timestamp_body(path, None)
    check_refused(api, state, profile, revision, "create", body, f"{path}: must be an RFC 3339 timestamp")


@pytest.mark.parametrize(
    ("sent", "stored_as"),
    [
        ("2026-02-01T09:00:00+01:00", "2026-02-01T08:00:00.000000Z"),
        ("2026-02-01t08:00:00z", "2026-02-01T08:00:00.000000Z"),
        ("2026-01-31T23:30:00-08:30", "2026-02-01T08:00:00.000000Z"),
        ("2026-02-01T08:00:00.1234567891Z", "2026-02-01T08:00:00.123456Z"),
        ("2026-02-01T08:00:00.5+00:00", "2026-02-01T08:00:00.500000Z"),
        ("2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000000Z"),
    ],
)
@pytest.mark.parametrize("revision", ["R2", "R3"])
def test_accepted_timestamps_are_stored_in_utc(
    fresh_api: httpx.Client, sent: str, stored_as: str, revision: str
) -> None:
    if revision == "R2":
        response = fresh_api.post("/v1/user_profiles", json={"external_user_onboarded_at": sent}, headers=headers("R2"))
        assert response.json()["external_user_onboarded_at"] == stored_as, response.text
    else:
        response = fresh_api.post("/v1/user_profiles", json={EUD: {"onboarded_at": sent}}, headers=headers("R3"))
        assert response.json()[EUD]["onboarded_at"] == stored_as, response.text


def test_a_timestamp_just_ahead_of_the_clock_is_accepted(fresh_api: httpx.Client) -> None:
    soon = (datetime.now(UTC) + timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    response = fresh_api.post("/v1/user_profiles", json={EUD: {"onboarded_at": soon}}, headers=headers())
    assert response.status_code == 200, response.text
    assert response.json()[EUD]["onboarded_at"] == soon


def test_boundaries_that_are_accepted(fresh_api: httpx.Client, fresh_profile: dict[str, Any]) -> None:
    sixteen = {f"key{index:02}": "v" for index in range(15)} | {"k" * 64: "\U0001f600" * 512}
    created = fresh_api.post(
        "/v1/user_profiles",
        json={"name": "\U0001f600" * 255, EUD: {"reference_id": "r" * 255, "email_hash": None}, "metadata": sixteen},
        headers=headers(),
    )
    assert created.status_code == 200, created.text
    assert created.json()["metadata"] == sixteen
    assert created.json()[EUD]["reference_id"] == "r" * 255
    single = fresh_api.post("/v1/user_profiles", json={"name": "A", "external_id": "e"}, headers=headers("R1"))
    assert (single.json()["name"], single.json()["external_id"]) == ("A", "e")
    nameless = fresh_api.post("/v1/user_profiles", json={"access_type": "passthrough"}, headers=headers())
    assert (nameless.json()["name"], nameless.json()["access_type"]) == (None, "passthrough")
    # null on update leaves relationship / access_type unchanged
    path = f"/v1/user_profiles/{fresh_profile['id']}"
    assert fresh_api.post(path, json={"relationship": None}, headers=headers("R1")).json()["relationship"] == "resold"
    assert fresh_api.post(path, json={"access_type": None}, headers=headers()).json() == fresh_profile


# docs/reference/profiles.md §3.4: metadata


def _mixed(create: bool) -> tuple[dict[str, Any], str]:
    """A metadata object with 17 keys and several bad ones, and the message listing every problem."""
    metadata: dict[str, Any] = {"ok0": "v", "": "", "ok1": "v", "b": 5, "c" * 70: "x" * 600, "d": ""}
    metadata |= {f"ok{index}": "v" for index in range(2, 13)}
    problems = [
        "metadata: at most 16 keys are allowed, got 17",
        'metadata."": key must be 1 to 64 characters',
        *(['metadata."": value must not be empty'] if create else []),
        "metadata.b: value must be a string",
        f"metadata.{'c' * 64}...: key must be 1 to 64 characters",
        f"metadata.{'c' * 64}...: value must be at most 512 characters",
        *(["metadata.d: value must not be empty"] if create else []),
    ]
    return metadata, "; ".join(problems)


METADATA_RULES = both(
    ("R1", "both", None, "metadata: must be an object"),
    ("R2", "both", "plan=pro", "metadata: must be an object"),
    ("R3", "both", [["plan", "pro"]], "metadata: must be an object"),
    ("GA", "both", 5, "metadata: must be an object"),
    ("GA", "both", {f"k{index}": "v" for index in range(17)}, "metadata: at most 16 keys are allowed, got 17"),
    ("R1", "update", {f"k{index}": "" for index in range(17)}, "metadata: at most 16 keys are allowed, got 17"),
    ("R2", "both", {"": "v"}, 'metadata."": key must be 1 to 64 characters'),
    ("GA", "both", {"k" * 65: "v"}, f"metadata.{'k' * 64}...: key must be 1 to 64 characters"),
    ("R3", "both", {"a": 5}, "metadata.a: value must be a string"),
    ("GA", "both", {"a": None}, "metadata.a: value must be a string"),
    ("R1", "both", {"a": True}, "metadata.a: value must be a string"),
    ("R2", "both", {"a": {"b": "c"}}, "metadata.a: value must be a string"),
    ("R3", "both", {"a": ["b"]}, "metadata.a: value must be a string"),
    ("R1", "both", {"a": "x" * 513}, "metadata.a: value must be at most 512 characters"),
    ("GA", "both", {"a": "\U0001f600" * 513}, "metadata.a: value must be at most 512 characters"),
    ("GA", "create", {"a": ""}, "metadata.a: value must not be empty"),
    (
        "R2",
        "create",
        {"a": "", "b": "x" * 600},
        "metadata.a: value must not be empty; metadata.b: value must be at most 512 characters",
    ),
    (
        "R3",
        "both",
        {"k" * 100: 5},
        f"metadata.{'k' * 64}...: key must be 1 to 64 characters; metadata.{'k' * 64}...: value must be a string",
    ),
    ("GA", "create", *_mixed(create=True)),
    ("R1", "update", *_mixed(create=False)),
)


@pytest.mark.parametrize(("revision", "operations", "metadata", "message"), METADATA_RULES)
def test_metadata_rules(
    api: httpx.Client,
    state: Snapshot,
    profile: dict[str, Any],
    revision: str,
    operations: str,
    metadata: Any,
    message: str,
) -> None:
    body = {"name": "valid", "metadata": metadata}
    check_refused(api, state, profile, revision, operations, body, message, METADATA)


@pytest.mark.parametrize("revision", CYCLE)
def test_merged_metadata_over_the_limit(
    api: httpx.Client, state: Snapshot, profile: dict[str, Any], revision: str
) -> None:
    assert len(profile["metadata"]) == 2
    fifteen_new = {f"new{index:02}": "v" for index in range(15)}
    message = "metadata: the update would leave 17 keys; at most 16 are allowed"
    check_refused(api, state, profile, revision, "update", {"metadata": fifteen_new}, message, METADATA)
    # removing a key that is not there does not make room
    body = {"name": "renamed", "metadata": {**fifteen_new, "absent": ""}}
    check_refused(api, state, profile, revision, "update", body, message, METADATA)


def test_merged_metadata_at_the_limit_is_accepted(fresh_api: httpx.Client, fresh_profile: dict[str, Any]) -> None:
    path = f"/v1/user_profiles/{fresh_profile['id']}"
    fifteen_new = {f"new{index:02}": "v" for index in range(15)}
    merged = fresh_api.post(path, json={"metadata": {**fifteen_new, "plan": ""}}, headers=headers())
    assert merged.status_code == 200, merged.text
    assert merged.json()["metadata"] == {"seats": "5", **fifteen_new}
    overwritten = fresh_api.post(path, json={"metadata": {"seats": "6"}}, headers=headers())
    assert overwritten.json()["metadata"] == {"seats": "6", **fifteen_new}


def test_request_problems_come_before_the_merged_count(
    fresh_api: httpx.Client, fresh_state: Snapshot, fresh_profile: dict[str, Any]
) -> None:
    path = f"/v1/user_profiles/{fresh_profile['id']}"
    full = {f"k{index:02}": "v" for index in range(14)}  # with the profile's two keys: 16
    assert fresh_api.post(path, json={"metadata": full}, headers=headers()).status_code == 200
    for metadata, message in [
        ({"new": 5}, "metadata.new: value must be a string"),
        ({"new": "v", "": "v"}, 'metadata."": key must be 1 to 64 characters'),
    ]:
        check_refused(fresh_api, fresh_state, fresh_profile, "GA", "update", {"metadata": metadata}, message, METADATA)
    # deleting an absent key changes nothing, not even updated_at
    before = fresh_state()
    assert fresh_api.post(path, json={"metadata": {"absent": ""}}, headers=headers()).status_code == 200
    assert fresh_state() == before


def test_empty_value_deletes_on_update(fresh_api: httpx.Client, fresh_profile: dict[str, Any]) -> None:
    path = f"/v1/user_profiles/{fresh_profile['id']}"
    updated = fresh_api.post(path, json={"metadata": {"plan": ""}}, headers=headers("R1"))
    assert updated.json()["metadata"] == {"seats": "5"}
    assert updated.json()["updated_at"] > fresh_profile["updated_at"]


# docs/reference/profiles.md §3.5: check order

ORDER = both(
    ("GA", "both", {"id": "x", "foo": 1}, "id: read-only field"),
    ("GA", "both", {"foo": 1, "id": "x"}, "foo: unknown field"),
    ("GA", "both", {"name": 5, "external_id": "x"}, not_accepted("external_id", "GA")),
    ("R2", "both", {"metadata": None, "name": 5}, NAME_TYPE),
    ("R2", "both", {"metadata": {"": ""}, "name": ""}, NAME_LENGTH),
    # R1: name, external_id, relationship, metadata
    ("R1", "both", {"metadata": None, "relationship": "x", "external_id": 5, "name": 5}, NAME_TYPE),
    ("R1", "both", {"metadata": None, "relationship": "x", "external_id": 5}, "external_id: must be a string or null"),
    ("R1", "both", {"metadata": None, "relationship": "x"}, RELATIONSHIP),
    # R2: ..., access_type, external_user_onboarded_at, metadata
    ("R2", "both", {"metadata": None, "external_user_onboarded_at": "x", "access_type": "x"}, ACCESS_TYPE),
    (
        "R2",
        "both",
        {"metadata": None, "external_user_onboarded_at": "x"},
        "external_user_onboarded_at: must be a complete RFC 3339 timestamp with a UTC offset",
    ),
    # GA: ..., external_user_details (unknown keys in request order, then keys alphabetically), metadata
    ("GA", "both", {"metadata": None, EUD: {"zz": 1}, "access_type": "x", "name": "ok"}, ACCESS_TYPE),
    (
        "GA",
        "both",
        {"metadata": None, EUD: {"reference_id": 5, "country": "x", "zz": 1, "aa": 1}},
        "external_user_details.zz: unknown field",
    ),
    ("GA", "both", {"metadata": None, EUD: {"reference_id": 5, "country": "x"}}, COUNTRY),
    ("R3", "both", {EUD: {"reference_id": 5, "account_status": "x"}}, ACCOUNT_STATUS),
    ("R3", "both", {EUD: {"onboarded_at": "x", "name_hash": 5}}, "external_user_details.name_hash: must be a string"),
    (
        "GA",
        "both",
        {EUD: {"reference_id": 5, "onboarded_at": "x"}},
        "external_user_details.onboarded_at: must be a complete RFC 3339 timestamp with a UTC offset",
    ),
    (
        "GA",
        "both",
        {"metadata": None, EUD: {"reference_id": 5}},
        "external_user_details.reference_id: must be a string",
    ),
)


@pytest.mark.parametrize(("revision", "operations", "body", "message"), ORDER)
def test_first_problem_in_check_order_wins(
    api: httpx.Client,
    state: Snapshot,
    profile: dict[str, Any],
    revision: str,
    operations: str,
    body: dict[str, Any],
    message: str,
) -> None:
    check_refused(api, state, profile, revision, operations, body, message)


@pytest.mark.parametrize(
    ("body", "message", "code"),
    [
        ({"foo": 1}, "foo: unknown field", None),
        ({"name": 5}, NAME_TYPE, None),
        ({"metadata": {"a": ""}, "access_type": "x"}, ACCESS_TYPE, None),
        ({"metadata": {"": "v"}}, 'metadata."": key must be 1 to 64 characters', METADATA),
    ],
)
@pytest.mark.parametrize("revision", ["R2", "GA"])
def test_update_validates_before_the_lookup(
    api: httpx.Client, state: Snapshot, body: dict[str, Any], message: str, code: str | None, revision: str
) -> None:
    before = state()
    assert_invalid(send(api, "update", revision, body), message, code)
    assert state() == before


@pytest.mark.parametrize("revision", CYCLE)
def test_lookup_comes_before_the_merged_count(api: httpx.Client, state: Snapshot, revision: str) -> None:
    before = state()
    response = send(api, "update", revision, {"metadata": {f"k{index}": "v" for index in range(16)}})
    assert_envelope(response, 404, "not_found_error", NOT_FOUND)
    assert state() == before


# docs/reference/profiles.md §4.4: list query errors


LIMIT = "limit: must be an integer from 1 to 100"
ORDER_MESSAGE = "order: must be one of asc, desc"
ORDER_BY = "order_by: must be one of created_at, name"
CURSOR = "page: not a valid cursor"
STATUS = "enforcement_status: must be one of unrestricted, pending, restricted, banned"
GA_ONLY = "without a user-profiles beta header"
QUERY_ERRORS = [
    *((value, [("limit", value)], LIMIT) for value in ["0", "101", "-1", "1.5", "abc", "", " 5", "\uff15", "0x10"]),
    ("limit-twice", [("limit", "1"), ("limit", "2")], "limit: must be given once"),
    ("limit-twice-same", [("limit", "5"), ("limit", "5")], "limit: must be given once"),
    *((value, [("order", value)], ORDER_MESSAGE) for value in ["up", "", "ASC", "desc "]),
    ("order-twice", [("order", "asc"), ("order", "asc")], "order: must be given once"),
    *((value, [("order_by", value)], ORDER_BY) for value in ["updated_at", "", "Name", "id"]),
    ("order_by-twice", [("order_by", "name"), ("order_by", "created_at")], "order_by: must be given once"),
    *((value, [("page", value)], CURSOR) for value in ["", "abc", "page_", "page_abc", "page_!!!!"]),
    ("page-twice", [("page", "page_a"), ("page", "page_b")], "page: must be given once"),
]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        pytest.param(params, message, id=f"{number}-{case!r}")
        for number, (case, params, message) in enumerate(QUERY_ERRORS)
    ],
)
def test_list_query_errors(api: httpx.Client, state: Snapshot, params: list[tuple[str, Any]], message: str) -> None:
    before = state()
    for revision in CYCLE:
        assert_invalid(api.get("/v1/user_profiles", params=params, headers=headers(revision)), message)
    assert state() == before


@pytest.mark.parametrize(
    ("revision", "params", "message"),
    [
        ("GA", [("enforcement_status", "foo")], STATUS),
        ("GA", [("enforcement_status", "")], STATUS),
        ("GA", [("enforcement_status", "Banned")], STATUS),
        ("GA", [("enforcement_status[]", "foo")], STATUS),
        ("GA", [("enforcement_status", "banned"), ("enforcement_status[]", "nope")], STATUS),
        *(
            (revision, [(name, "banned")], f"enforcement_status: not accepted {SELECTED[revision]}; accepted {GA_ONLY}")
            for revision in ("R1", "R2", "R3")
            for name in ("enforcement_status", "enforcement_status[]")
        ),
    ],
)
def test_enforcement_status_filter_errors(
    api: httpx.Client, state: Snapshot, revision: str, params: list[tuple[str, Any]], message: str
) -> None:
    before = state()
    assert_invalid(api.get("/v1/user_profiles", params=params, headers=headers(revision)), message)
    assert state() == before


def test_repeatable_filter_and_unknown_parameters(fresh_api: httpx.Client, fresh_profile: dict[str, Any]) -> None:
    params: list[tuple[str, Any]] = [
        ("enforcement_status", "banned"),
        ("enforcement_status[]", "unrestricted"),
        ("foo", "1"),
        ("foo", "2"),
    ]
    listing = fresh_api.get("/v1/user_profiles", params=params, headers=headers())
    assert listing.status_code == 200, listing.text
    assert [item["id"] for item in listing.json()["data"]] == [fresh_profile["id"]]


@pytest.fixture
def three(fresh_api: httpx.Client) -> list[str]:
    """Three profile IDs, oldest first."""
    return [fresh_api.post("/v1/user_profiles", json={"name": name}, headers=headers()).json()["id"] for name in "abc"]


def _first_cursor(client: httpx.Client, **params: str) -> str:
    listing = client.get("/v1/user_profiles", params={"limit": "1", **params}, headers=headers())
    cursor = listing.json()["next_page"]
    assert isinstance(cursor, str) and cursor.startswith("page_")
    return cursor


def _tampered(cursor: str, change: Any) -> str:
    raw = bytearray(base64.urlsafe_b64decode(cursor[5:] + "=" * (-len(cursor[5:]) % 4)))
    change(raw)
    return "page_" + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


def _flip_last(raw: bytearray) -> None:
    raw[-2] ^= 1


def _flip_first(raw: bytearray) -> None:
    raw[0] ^= 1


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda cursor: _tampered(cursor, _flip_last), id="payload-byte"),
        pytest.param(lambda cursor: _tampered(cursor, _flip_first), id="signature-byte"),
        pytest.param(lambda cursor: _tampered(cursor, lambda raw: raw.extend(b" ")), id="appended-byte"),
        pytest.param(lambda cursor: cursor[:-3], id="truncated"),
        pytest.param(lambda cursor: cursor[5:], id="without-prefix"),
        pytest.param(lambda cursor: "PAGE_" + cursor[5:], id="upper-case-prefix"),
        pytest.param(lambda cursor: cursor + "=", id="padded"),
        pytest.param(
            lambda cursor: (
                "page_" + base64.urlsafe_b64encode(b'{"o":"desc","b":"created_at","k":0,"i":"uprof_"}').decode()
            ),
            id="unsigned-json",
        ),
    ],
)
def test_forged_or_tampered_cursor(
    fresh_api: httpx.Client, fresh_state: Snapshot, three: list[str], forge: Any
) -> None:
    cursor = _first_cursor(fresh_api)
    assert fresh_api.get("/v1/user_profiles", params={"page": cursor}, headers=headers()).status_code == 200
    before = fresh_state()
    response = fresh_api.get("/v1/user_profiles", params={"page": forge(cursor)}, headers=headers())
    assert_invalid(response, CURSOR)
    assert fresh_state() == before


@pytest.mark.parametrize(
    ("issued", "reused"),
    [
        ({}, {"order": "asc"}),
        ({}, {"order_by": "name"}),
        ({"order": "asc"}, {}),
        ({"order": "asc"}, {"order": "desc"}),
        ({"order_by": "name"}, {}),
        ({"order_by": "name", "order": "asc"}, {"order_by": "name"}),
        ({"order_by": "name", "order": "asc"}, {"order": "asc"}),
    ],
)
@pytest.mark.parametrize("revision", ["R1", "GA"])
def test_cursor_reused_with_another_order(
    fresh_api: httpx.Client,
    fresh_state: Snapshot,
    three: list[str],
    issued: dict[str, str],
    reused: dict[str, str],
    revision: str,
) -> None:
    cursor = _first_cursor(fresh_api, **issued)
    before = fresh_state()
    response = fresh_api.get("/v1/user_profiles", params={"page": cursor, **reused}, headers=headers(revision))
    assert_invalid(response, "page: cursor was issued for a different order or order_by")
    assert fresh_state() == before
    same = fresh_api.get(
        "/v1/user_profiles", params={"page": cursor, **issued, "limit": "5"}, headers=headers(revision)
    )
    assert same.status_code == 200
    assert len(same.json()["data"]) == 2


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_every_issued_cursor_is_accepted_back(fresh_api: httpx.Client, order: str) -> None:
    """The longest positions a cursor can carry: names of 255 characters that JSON escapes to six bytes each."""
    names = ["\u0001" * 255, "\u0001" * 254 + "\u0002", "\u001f" * 255]
    for name in names:
        assert fresh_api.post("/v1/user_profiles", json={"name": name}, headers=headers()).status_code == 200
    seen: list[str] = []
    params: dict[str, str] = {"order_by": "name", "order": order, "limit": "1"}
    while True:
        response = fresh_api.get("/v1/user_profiles", params=params, headers=headers())
        assert response.status_code == 200, response.text
        seen += [item["name"] for item in response.json()["data"]]
        if response.json()["next_page"] is None:
            break
        params["page"] = response.json()["next_page"]
    assert seen == sorted(names, reverse=order == "desc")


# docs/reference/profiles.md §4.6: enrollment URL


@pytest.mark.parametrize(
    ("target", "body"),
    [("profile", None), ("profile", {}), ("profile", {"x": 1}), ("missing", None), ("deleted", {"x": 1})],
)
def test_enrollment_url_needs_a_beta_revision(
    fresh_api: httpx.Client, fresh_state: Snapshot, fresh_profile: dict[str, Any], target: str, body: Any
) -> None:
    if target == "deleted":
        assert fresh_api.delete(f"/v1/user_profiles/{fresh_profile['id']}", headers=headers()).status_code == 200
    profile_id = MISSING if target == "missing" else fresh_profile["id"]
    before = fresh_state()
    response = fresh_api.post(f"/v1/user_profiles/{profile_id}/enrollment_url", json=body, headers=headers())
    assert_invalid(response, ENDPOINT_NEEDS_BETA)
    assert fresh_state() == before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"x": 1}, "x: unknown field"),
        ({"url": "https://example.com"}, "url: unknown field"),
        ({"expires_at": None, "x": 1}, "expires_at: unknown field"),
        ({"k" * 80: 1}, "k" * 64 + "...: unknown field"),
        ({"": 1}, '"": unknown field'),
        ({"action": {"type": "enroll_end_user"}}, "action: unknown field"),
    ],
)
def test_enrollment_url_takes_no_fields(
    api: httpx.Client, state: Snapshot, profile: dict[str, Any], body: dict[str, Any], message: str
) -> None:
    before = state()
    for revision in ("R1", "R2", "R3"):
        for profile_id in (profile["id"], MISSING):  # the body is checked before the lookup
            response = api.post(f"/v1/user_profiles/{profile_id}/enrollment_url", json=body, headers=headers(revision))
            assert_invalid(response, message)
    assert state() == before


@pytest.mark.parametrize("revision", ["R1", "R2", "R3"])
def test_enrollment_url_for_an_unknown_profile(api: httpx.Client, state: Snapshot, revision: str) -> None:
    before = state()
    response = api.post(f"/v1/user_profiles/{MISSING}/enrollment_url", json={}, headers=headers(revision))
    assert_envelope(response, 404, "not_found_error", NOT_FOUND)
    assert state() == before


@pytest.mark.parametrize("revision", ["R1", "R2", "R3"])
def test_enrollment_url_changes_nothing_on_the_profile(
    fresh_api: httpx.Client, fresh_state: Snapshot, fresh_profile: dict[str, Any], revision: str
) -> None:
    before = fresh_state()
    response = fresh_api.post(f"/v1/user_profiles/{fresh_profile['id']}/enrollment_url", headers=headers(revision))
    assert response.status_code == 200, response.text
    assert list(response.json()) == ["type", "url", "expires_at"]
    after = fresh_state()
    assert after["profiles"] == before["profiles"]
    assert [row["kind"] for row in after["links"]] == ["enrollment"]


# docs/reference/profiles.md §4.7: action URLs

ACTION_RULES: list[tuple[Any, str]] = [
    ({}, "action: field is required"),
    (None, "action: field is required"),
    ({"action": None}, "action: must be an object"),
    ({"action": "enroll_end_user"}, "action: must be an object"),
    ({"action": ["enroll_end_user"]}, "action: must be an object"),
    ({"action": {}}, "action.type: field is required"),
    ({"action": {"type": None}}, "action.type: must be enroll_end_user"),
    ({"action": {"type": "enroll"}}, "action.type: must be enroll_end_user"),
    ({"action": {"type": "ENROLL_END_USER"}}, "action.type: must be enroll_end_user"),
    ({"action": {"type": 1}}, "action.type: must be enroll_end_user"),
    ({"action": {"type": "enroll_end_user", "extra": 1}}, "action.extra: unknown field"),
    ({"action": {"type": "enroll_end_user"}, "extra": 1}, "extra: unknown field"),
    ({"action": {"type": "enroll_end_user"}, "type": "enroll_end_user"}, "type: unknown field"),
    ({"action": {"type": "enroll_end_user", "": 1}}, 'action."": unknown field'),  # an empty key is written ""
]


@pytest.mark.parametrize(
    ("revision", "body", "message"),
    [
        pytest.param(CYCLE[number % 4], *rule, id=f"{number}-{CYCLE[number % 4]}")
        for number, rule in enumerate(ACTION_RULES)
    ],
)
def test_action_url_rules(
    api: httpx.Client, state: Snapshot, profile: dict[str, Any], revision: str, body: Any, message: str
) -> None:
    before = state()
    for profile_id in (profile["id"], MISSING):  # the body is checked before the lookup
        response = api.post(f"/v1/user_profiles/{profile_id}/action_urls", json=body, headers=headers(revision))
        assert_invalid(response, message)
    assert state() == before


@pytest.mark.parametrize("revision", CYCLE)
def test_action_url_rules_hold_in_every_revision(
    fresh_api: httpx.Client, fresh_state: Snapshot, fresh_profile: dict[str, Any], revision: str
) -> None:
    before = fresh_state()
    path = f"/v1/user_profiles/{fresh_profile['id']}/action_urls"
    assert_invalid(
        fresh_api.post(path, json={"action": {"type": "x"}}, headers=headers(revision)),
        "action.type: must be enroll_end_user",
    )
    missing = fresh_api.post(
        f"/v1/user_profiles/{MISSING}/action_urls",
        json={"action": {"type": "enroll_end_user"}},
        headers=headers(revision),
    )
    assert_envelope(missing, 404, "not_found_error", NOT_FOUND)
    assert fresh_state() == before
    created = fresh_api.post(path, json={"action": {"type": "enroll_end_user"}}, headers=headers(revision))
    assert created.status_code == 200, created.text
    assert list(created.json()) == ["type", "url", "expires_at"]
    assert created.json()["type"] == "user_profile_action_url"
    after = fresh_state()
    assert after["profiles"] == before["profiles"]
    assert [row["kind"] for row in after["links"]] == ["portal"]


# docs/reference/profiles.md §4.5: delete, and 404 for unknown, deleted and foreign IDs


@pytest.fixture
def foreign(server: Server, database: Database) -> str:
    """The ID of a profile that belongs to another organization."""
    created = database.run(
        lambda connection: accounts.create_key(connection, organization_name=f"test-{uuid.uuid4()}"), write=True
    )
    with connect(server, created.key) as client:
        return str(client.post("/v1/user_profiles", json={"name": "theirs"}, headers=headers()).json()["id"])


@pytest.mark.parametrize("revision", CYCLE)
def test_second_delete_is_not_found(
    fresh_api: httpx.Client, fresh_state: Snapshot, fresh_profile: dict[str, Any], revision: str
) -> None:
    path = f"/v1/user_profiles/{fresh_profile['id']}"
    first = fresh_api.delete(path, headers=headers(revision))
    assert first.json() == {"id": fresh_profile["id"], "type": "user_profile_deleted"}
    before = fresh_state()
    assert before["profiles"] == []
    assert_envelope(fresh_api.delete(path, headers=headers(revision)), 404, "not_found_error", NOT_FOUND)
    assert fresh_state() == before


@pytest.mark.parametrize("kind", ["unknown", "deleted", "foreign", "malformed"])
def test_unknown_deleted_and_foreign_ids_look_alike(
    fresh_api: httpx.Client,
    fresh_state: Snapshot,
    database: Database,
    fresh_profile: dict[str, Any],
    foreign: str,
    kind: str,
) -> None:
    if kind == "deleted":
        assert fresh_api.delete(f"/v1/user_profiles/{fresh_profile['id']}", headers=headers()).status_code == 200
    ids = {"unknown": MISSING, "deleted": fresh_profile["id"], "foreign": foreign, "malformed": "not-an-id"}
    path = f"/v1/user_profiles/{ids[kind]}"
    theirs = stored_profile(database, foreign)
    before = fresh_state()
    responses = [
        fresh_api.get(path, headers=headers("R2")),
        fresh_api.post(path, json={"name": "mine now", "metadata": {"a": "b"}}, headers=headers("R3")),
        fresh_api.delete(path, headers=headers()),
        fresh_api.post(f"{path}/enrollment_url", headers=headers("R1")),
        fresh_api.post(f"{path}/action_urls", json={"action": {"type": "enroll_end_user"}}, headers=headers()),
    ]
    for response in responses:
        assert_envelope(response, 404, "not_found_error", NOT_FOUND)
    assert fresh_state() == before
    assert stored_profile(database, foreign) == theirs


def stored_profile(database: Database, profile_id: str) -> dict[str, Any]:
    query = select(user_profile).where(user_profile.c.id == profile_id)
    return dict(database.run(lambda connection: connection.execute(query).mappings().one(), write=False))


def test_deleted_profile_leaves_every_view(fresh_api: httpx.Client, fresh_profile: dict[str, Any]) -> None:
    other = fresh_api.post("/v1/user_profiles", json={}, headers=headers()).json()
    assert fresh_api.delete(f"/v1/user_profiles/{fresh_profile['id']}", headers=headers("R2")).status_code == 200
    for revision in CYCLE:
        listing = fresh_api.get("/v1/user_profiles", headers=headers(revision)).json()
        assert [item["id"] for item in listing["data"]] == [other["id"]]
