"""Profile request validation: docs/reference/profiles.md §3.1–§3.5 (bodies) and §4.4 (list query)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.datastructures import QueryParams

from uprof.http.errors import InvalidRequest
from uprof.http.revision_choice import Revision
from uprof.profiles.schemas import ListQuery, ProfileInput, parse_list_query, parse_profile_body

R1, R2, R3, GA = Revision.R1, Revision.R2, Revision.R3, Revision.GA
ALL = [R1, R2, R3, GA]
NOW = datetime(2026, 11, 26, 10, 0, 0, tzinfo=UTC)
DETAIL_KEYS = ["account_status", "country", "email_hash", "entity_type", "name_hash", "onboarded_at", "reference_id"]
EMOJI = "😀"  # one code point, four UTF-8 bytes, two UTF-16 units
FLAG = "🇩🇪"  # two code points


def parse(body: dict[str, Any], revision: Revision = GA, *, creating: bool = True) -> ProfileInput:
    return parse_profile_body(body, revision, creating=creating, now=NOW)


def refusal(body: dict[str, Any], revision: Revision = GA, *, creating: bool = True) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as raised:
        parse(body, revision, creating=creating)
    assert raised.value.status == 400
    return raised.value


def message(body: dict[str, Any], revision: Revision = GA, *, creating: bool = True) -> str:
    error = refusal(body, revision, creating=creating)
    assert error.error_code is None
    return error.message


def metadata_message(metadata: Any, *, creating: bool = True, revision: Revision = GA) -> str:
    error = refusal({"metadata": metadata}, revision, creating=creating)
    assert error.error_code == "invalid_metadata"
    return error.message


both_modes = pytest.mark.parametrize("creating", [True, False], ids=["create", "update"])


# --- empty bodies ------------------------------------------------------------------------------------


@pytest.mark.parametrize("revision", ALL)
@both_modes
def test_empty_body_sets_nothing(revision: Revision, creating: bool) -> None:
    result = parse({}, revision, creating=creating)
    assert result.values == {}
    assert result.metadata is None


# --- name and external_id ----------------------------------------------------------------------------

TEXT_FIELDS = [("name", revision) for revision in ALL] + [("external_id", R1), ("external_id", R2)]
STORED_AS = {"name": "name", "external_id": "reference_id"}


@pytest.mark.parametrize(("field", "revision"), TEXT_FIELDS)
@pytest.mark.parametrize(
    "value",
    ["a", "x" * 255, EMOJI * 255, FLAG * 127 + "a", "  stored as sent  ", "Ünïcödé 名前", "e\u0301" * 127 + "e"],
)
@both_modes
def test_text_fields_accept_1_to_255_code_points(field: str, revision: Revision, value: str, creating: bool) -> None:
    assert parse({field: value}, revision, creating=creating).values == {STORED_AS[field]: value}


@pytest.mark.parametrize(("field", "revision"), TEXT_FIELDS)
@both_modes
def test_text_fields_accept_null(field: str, revision: Revision, creating: bool) -> None:
    assert parse({field: None}, revision, creating=creating).values == {STORED_AS[field]: None}


@pytest.mark.parametrize(("field", "revision"), TEXT_FIELDS)
@pytest.mark.parametrize("value", ["", "x" * 256, EMOJI * 256, FLAG * 128, "e\u0301" * 128])
@both_modes
def test_text_fields_refuse_other_lengths(field: str, revision: Revision, value: str, creating: bool) -> None:
    assert message({field: value}, revision, creating=creating) == f"{field}: must be 1 to 255 characters"


@pytest.mark.parametrize(("field", "revision"), TEXT_FIELDS)
@pytest.mark.parametrize("value", [0, 1.5, True, False, [], ["a"], {}, {"a": "b"}])
@both_modes
def test_text_fields_refuse_other_types(field: str, revision: Revision, value: Any, creating: bool) -> None:
    assert message({field: value}, revision, creating=creating) == f"{field}: must be a string or null"


# --- relationship (R1) and access_type (R2, R3, GA) ----------------------------------------------------


@pytest.mark.parametrize(("relationship", "access_type"), [("external", "application"), ("resold", "passthrough")])
@both_modes
def test_relationship_maps_to_access_type(relationship: str, access_type: str, creating: bool) -> None:
    assert parse({"relationship": relationship}, R1, creating=creating).values == {"access_type": access_type}


@both_modes
def test_relationship_internal_is_not_supported(creating: bool) -> None:
    assert (
        message({"relationship": "internal"}, R1, creating=creating)
        == "relationship: internal is not supported; use external or resold"
    )


@pytest.mark.parametrize(
    "value", ["External", "RESOLD", "Internal", "", "application", "passthrough", 1, True, [], ["external"], {}]
)
@both_modes
def test_relationship_other_values_are_refused(value: Any, creating: bool) -> None:
    assert message({"relationship": value}, R1, creating=creating) == "relationship: must be one of external, resold"


def test_relationship_null_is_refused_on_create() -> None:
    assert message({"relationship": None}, R1) == "relationship: must be one of external, resold"


def test_relationship_null_leaves_access_type_unchanged_on_update() -> None:
    assert parse({"relationship": None}, R1, creating=False).values == {}


@pytest.mark.parametrize("revision", [R2, R3, GA])
@pytest.mark.parametrize("value", ["application", "passthrough"])
@both_modes
def test_access_type_values(revision: Revision, value: str, creating: bool) -> None:
    assert parse({"access_type": value}, revision, creating=creating).values == {"access_type": value}


@pytest.mark.parametrize("revision", [R2, R3, GA])
@pytest.mark.parametrize("value", ["Application", "", "external", "resold", "internal", 0, False, [], {}])
@both_modes
def test_access_type_other_values_are_refused(revision: Revision, value: Any, creating: bool) -> None:
    assert (
        message({"access_type": value}, revision, creating=creating)
        == "access_type: must be one of application, passthrough"
    )


@pytest.mark.parametrize("revision", [R2, R3, GA])
def test_access_type_null_is_refused_on_create(revision: Revision) -> None:
    assert message({"access_type": None}, revision) == "access_type: must be one of application, passthrough"


@pytest.mark.parametrize("revision", [R2, R3, GA])
def test_access_type_null_is_unchanged_on_update(revision: Revision) -> None:
    assert parse({"access_type": None}, revision, creating=False).values == {}


# --- timestamps: external_user_onboarded_at (R2) and external_user_details.onboarded_at (R3, GA) -------

# (revision, wrap the value into a body, message path)
TIMESTAMP_FIELDS = [
    (R2, lambda value: {"external_user_onboarded_at": value}, "external_user_onboarded_at"),
    (R3, lambda value: {"external_user_details": {"onboarded_at": value}}, "external_user_details.onboarded_at"),
    (GA, lambda value: {"external_user_details": {"onboarded_at": value}}, "external_user_details.onboarded_at"),
]
timestamp_fields = pytest.mark.parametrize(("revision", "wrap", "path"), TIMESTAMP_FIELDS, ids=["R2", "R3", "GA"])


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


@timestamp_fields
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-02-01T08:00:00Z", utc(2026, 2, 1, 8)),
        ("2026-02-01T09:00:00+01:00", utc(2026, 2, 1, 8)),
        ("2026-02-01t08:00:00z", utc(2026, 2, 1, 8)),
        ("2026-02-01T08:00:00z", utc(2026, 2, 1, 8)),
        ("2026-02-01t09:00:00+01:00", utc(2026, 2, 1, 8)),
        ("2026-02-01T03:30:00-04:30", utc(2026, 2, 1, 8)),
        ("2026-02-01T08:00:00+00:00", utc(2026, 2, 1, 8)),
        ("2026-02-01T08:00:00-00:00", utc(2026, 2, 1, 8)),
        ("2026-03-01T00:30:00+01:00", utc(2026, 2, 28, 23, 30)),
        ("2025-12-31T20:00:00-05:00", utc(2026, 1, 1, 1)),
        ("2026-02-01T08:00:00+23:59", utc(2026, 1, 31, 8, 1)),
        ("2026-02-01T08:00:00.5Z", utc(2026, 2, 1, 8, 0, 0, 500_000)),
        ("2026-02-01T08:00:00.000001Z", utc(2026, 2, 1, 8, 0, 0, 1)),
        ("2026-02-01T08:00:00.123456Z", utc(2026, 2, 1, 8, 0, 0, 123_456)),
        ("2026-02-01T08:00:00.123456789Z", utc(2026, 2, 1, 8, 0, 0, 123_456)),
        ("2026-02-01T08:00:00.9999999Z", utc(2026, 2, 1, 8, 0, 0, 999_999)),  # truncated, not rounded
        ("2026-02-01T08:00:00.0000009+00:00", utc(2026, 2, 1, 8)),
        ("2024-02-29T12:00:00Z", utc(2024, 2, 29, 12)),
        ("1969-07-20T20:17:40Z", utc(1969, 7, 20, 20, 17, 40)),
        ("0001-01-01T00:00:00Z", utc(1, 1, 1)),
        ("2026-11-26T10:00:00Z", NOW),
        ("2026-11-26T10:01:00Z", NOW + timedelta(seconds=60)),
        ("2026-11-26T11:01:00+01:00", NOW + timedelta(seconds=60)),
        ("2026-11-26T10:01:00.0000009Z", NOW + timedelta(seconds=60)),
    ],
)
def test_rfc3339_timestamps_are_accepted_in_utc(
    revision: Revision, wrap: Any, path: str, text: str, expected: datetime
) -> None:
    for creating in (True, False):
        stored = parse(wrap(text), revision, creating=creating).values["onboarded_at"]
        assert stored == expected
        assert stored.utcoffset() == timedelta(0)


@timestamp_fields
@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026-02-01",
        "2026-02-01T08:00:00",  # no offset
        "2026-02-01T08:00Z",  # no seconds
        "2026-02-01T08Z",
        "2026-02-01 08:00:00Z",  # space instead of T
        "2026-02-01_08:00:00Z",
        "2026-02-01T08:00:00.Z",  # empty fraction
        "2026-02-01T08:00:00,5Z",
        "2026-02-01T08:00:00+0100",
        "2026-02-01T08:00:00+01",
        "2026-02-01T08:00:00+1:00",
        "2026-02-01T08:00:00 +01:00",
        "2026-02-01T08:00:00UTC",
        "2026-02-01T08:00:00GMT",
        "2026-02-01T08:00:00ZZ",
        "2026-02-01T08:00:00Z ",
        " 2026-02-01T08:00:00Z",
        "2026-2-1T08:00:00Z",
        "26-02-01T08:00:00Z",
        "+2026-02-01T08:00:00Z",
        "20260201T080000Z",
        "2026-02-30T00:00:00Z",  # no such day
        "2025-02-29T00:00:00Z",  # not a leap year
        "2026-13-01T00:00:00Z",
        "2026-00-10T00:00:00Z",
        "2026-01-00T00:00:00Z",
        "0000-01-01T00:00:00Z",
        "0001-01-01T00:30:00+01:00",  # before year 1 in UTC: no stored timestamp can hold it
        "2026-02-01T24:00:00Z",
        "2026-02-01T23:60:00Z",
        "2026-02-01T08:00:61Z",
        "2026-02-01T08:00:00+24:00",
        "2026-02-01T08:00:00+01:60",
        "２０２６-02-01T08:00:00Z",  # full-width digits
        "2026-02-01T08:00:00.１Z",
        "1780000000",
        "now",
    ],
)
def test_incomplete_or_invalid_timestamps_are_refused(revision: Revision, wrap: Any, path: str, text: str) -> None:
    for creating in (True, False):
        assert (
            message(wrap(text), revision, creating=creating)
            == f"{path}: must be a complete RFC 3339 timestamp with a UTC offset"
        )


@timestamp_fields
@pytest.mark.parametrize("value", [1_780_000_000, 1.5, True, [], {}, ["2026-02-01T08:00:00Z"]])
@both_modes
def test_timestamps_must_be_strings(revision: Revision, wrap: Any, path: str, value: Any, creating: bool) -> None:
    assert message(wrap(value), revision, creating=creating) == f"{path}: must be an RFC 3339 timestamp"


@timestamp_fields
def test_null_timestamp_is_refused_on_create(revision: Revision, wrap: Any, path: str) -> None:
    assert message(wrap(None), revision) == f"{path}: must be an RFC 3339 timestamp"


@timestamp_fields
def test_null_timestamp_cannot_clear_on_update(revision: Revision, wrap: Any, path: str) -> None:
    assert (
        message(wrap(None), revision, creating=False)
        == f"{path}: cannot be cleared once set; omit it to leave it unchanged"
    )


@timestamp_fields
@pytest.mark.parametrize(
    "text",
    [
        "2026-11-26T10:01:00.000001Z",
        "2026-11-26T10:01:01Z",
        "2026-11-26T11:01:01+01:00",
        "2026-11-26T05:02:01-04:59",  # 10:01:01Z
        "2027-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999Z",
        "9999-12-31T23:00:00-05:00",  # a real instant, in year 10000 once in UTC
        "9999-12-31T23:59:59-23:59",
    ],
)
def test_more_than_60_seconds_in_the_future_is_refused(revision: Revision, wrap: Any, path: str, text: str) -> None:
    for creating in (True, False):
        assert (
            message(wrap(text), revision, creating=creating) == f"{path}: must not be more than 1 minute in the future"
        )


@timestamp_fields
def test_the_future_rule_uses_the_given_now(revision: Revision, wrap: Any, path: str) -> None:
    body = wrap("2030-01-01T00:00:00Z")
    later = datetime(2029, 12, 31, 23, 59, 0, tzinfo=UTC)
    assert parse_profile_body(body, revision, creating=True, now=later).values["onboarded_at"] == utc(2030, 1, 1)
    with pytest.raises(InvalidRequest):
        parse_profile_body(body, revision, creating=True, now=later - timedelta(microseconds=1))


# --- external_user_details (R3, GA) ------------------------------------------------------------------

details_revisions = pytest.mark.parametrize("revision", [R3, GA])


@details_revisions
@pytest.mark.parametrize("value", [[], "x", 1, True, [{"country": "DE"}]])
@both_modes
def test_details_must_be_an_object(revision: Revision, value: Any, creating: bool) -> None:
    body = {"external_user_details": value}
    assert message(body, revision, creating=creating) == "external_user_details: must be an object"


@details_revisions
@both_modes
def test_details_null_is_refused(revision: Revision, creating: bool) -> None:
    body = {"external_user_details": None}
    assert message(body, revision, creating=creating) == "external_user_details: must be an object"


@details_revisions
@both_modes
def test_details_empty_object_sets_nothing(revision: Revision, creating: bool) -> None:
    assert parse({"external_user_details": {}}, revision, creating=creating).values == {}


@details_revisions
def test_details_all_keys_are_stored_under_their_names(revision: Revision) -> None:
    details = {
        "reference_id": "cust_889",
        "onboarded_at": "2026-02-01T09:00:00+01:00",
        "name_hash": "n" * 255,
        "entity_type": "business",
        "email_hash": "9f2c41d0e3",
        "country": "DE",
        "account_status": "suspended",
    }
    values = parse({"external_user_details": details}, revision).values
    assert values == {**details, "onboarded_at": utc(2026, 2, 1, 8)}


@details_revisions
def test_details_null_keys_mean_unset_on_create(revision: Revision) -> None:
    details = dict.fromkeys(key for key in DETAIL_KEYS if key != "onboarded_at")
    assert parse({"external_user_details": details}, revision).values == details


@details_revisions
@pytest.mark.parametrize("key", DETAIL_KEYS)
def test_details_null_keys_cannot_clear_on_update(revision: Revision, key: str) -> None:
    body = {"external_user_details": {key: None}}
    assert (
        message(body, revision, creating=False)
        == f"external_user_details.{key}: cannot be cleared once set; omit it to leave it unchanged"
    )


@details_revisions
def test_details_update_sets_only_the_keys_sent(revision: Revision) -> None:
    body = {"external_user_details": {"account_status": "blocked", "email_hash": "h"}}
    assert parse(body, revision, creating=False).values == {"account_status": "blocked", "email_hash": "h"}


@details_revisions
@pytest.mark.parametrize(
    ("details", "path"),
    [
        ({"zeta": 1, "alpha": 2}, "external_user_details.zeta"),
        ({"country": "bad", "zeta": 1, "alpha": 2}, "external_user_details.zeta"),
        ({"Country": "DE"}, "external_user_details.Country"),
        ({"external_id": "x"}, "external_user_details.external_id"),
        ({"": "x"}, 'external_user_details.""'),
        ({"k" * 100: 1}, "external_user_details." + "k" * 64 + "..."),
    ],
)
@both_modes
def test_details_unknown_keys_come_first_in_request_order(
    revision: Revision, details: dict[str, Any], path: str, creating: bool
) -> None:
    assert message({"external_user_details": details}, revision, creating=creating) == f"{path}: unknown field"


@details_revisions
@pytest.mark.parametrize(
    ("details", "first"),
    [
        ({"reference_id": "", "country": "de"}, "external_user_details.country: must be two uppercase ASCII letters"),
        (
            {"onboarded_at": "bad", "entity_type": "x"},
            "external_user_details.entity_type: must be one of individual, business, non_profit, government",
        ),
        ({"name_hash": "", "email_hash": 1}, "external_user_details.email_hash: must be a string"),
        (
            {"reference_id": 1, "onboarded_at": "bad"},
            "external_user_details.onboarded_at: must be a complete RFC 3339 timestamp with a UTC offset",
        ),
        (
            {"country": "x", "account_status": "x"},
            "external_user_details.account_status: must be one of active, suspended, blocked",
        ),
        ({"reference_id": "", "name_hash": ""}, "external_user_details.name_hash: must be 1 to 255 characters"),
    ],
)
def test_details_keys_are_checked_alphabetically(revision: Revision, details: dict[str, Any], first: str) -> None:
    assert message({"external_user_details": details}, revision) == first


@details_revisions
@pytest.mark.parametrize("country", ["DE", "US", "ZZ", "AA"])
@both_modes
def test_country_accepts_two_uppercase_letters(revision: Revision, country: str, creating: bool) -> None:
    body = {"external_user_details": {"country": country}}
    assert parse(body, revision, creating=creating).values == {"country": country}


@details_revisions
@pytest.mark.parametrize("country", ["de", "De", "D", "DEU", "", " DE", "D1", "ÄB", "ＤＥ", "ǅ", 49, [], {}])
@both_modes
def test_country_refuses_anything_else(revision: Revision, country: Any, creating: bool) -> None:
    body = {"external_user_details": {"country": country}}
    assert (
        message(body, revision, creating=creating)
        == "external_user_details.country: must be two uppercase ASCII letters"
    )


@details_revisions
@pytest.mark.parametrize(
    ("key", "allowed"),
    [
        ("account_status", ["active", "suspended", "blocked"]),
        ("entity_type", ["individual", "business", "non_profit", "government"]),
    ],
)
@both_modes
def test_enum_keys_accept_their_values(revision: Revision, key: str, allowed: list[str], creating: bool) -> None:
    for value in allowed:
        body = {"external_user_details": {key: value}}
        assert parse(body, revision, creating=creating).values == {key: value}


@details_revisions
@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("account_status", "external_user_details.account_status: must be one of active, suspended, blocked"),
        (
            "entity_type",
            "external_user_details.entity_type: must be one of individual, business, non_profit, government",
        ),
    ],
)
@pytest.mark.parametrize("value", ["Active", "BUSINESS", "", "other", "non-profit", 1, True, [], {}])
@both_modes
def test_enum_keys_refuse_other_values(revision: Revision, key: str, expected: str, value: Any, creating: bool) -> None:
    assert message({"external_user_details": {key: value}}, revision, creating=creating) == expected


@details_revisions
@pytest.mark.parametrize("key", ["reference_id", "email_hash", "name_hash"])
@pytest.mark.parametrize("value", ["a", "x" * 255, EMOJI * 255, " spaced "])
@both_modes
def test_text_details_accept_1_to_255_code_points(revision: Revision, key: str, value: str, creating: bool) -> None:
    assert parse({"external_user_details": {key: value}}, revision, creating=creating).values == {key: value}


@details_revisions
@pytest.mark.parametrize("key", ["reference_id", "email_hash", "name_hash"])
@pytest.mark.parametrize("value", ["", "x" * 256, EMOJI * 256])
@both_modes
def test_text_details_refuse_other_lengths(revision: Revision, key: str, value: str, creating: bool) -> None:
    body = {"external_user_details": {key: value}}
    assert message(body, revision, creating=creating) == f"external_user_details.{key}: must be 1 to 255 characters"


@details_revisions
@pytest.mark.parametrize("key", ["reference_id", "email_hash", "name_hash"])
@pytest.mark.parametrize("value", [1, 1.5, True, [], {}])
@both_modes
def test_text_details_must_be_strings(revision: Revision, key: str, value: Any, creating: bool) -> None:
    body = {"external_user_details": {key: value}}
    assert message(body, revision, creating=creating) == f"external_user_details.{key}: must be a string"


# --- metadata ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("revision", ALL)
@pytest.mark.parametrize("value", [None, [], "x", 1, True, [["a", "b"]]])
@both_modes
def test_metadata_must_be_an_object(revision: Revision, value: Any, creating: bool) -> None:
    assert metadata_message(value, creating=creating, revision=revision) == "metadata: must be an object"


@pytest.mark.parametrize("revision", ALL)
@both_modes
def test_metadata_valid_map_is_returned_in_order(revision: Revision, creating: bool) -> None:
    metadata = {f"k{n:02}": "v" for n in range(15, -1, -1)}  # 16 keys, descending
    metadata["k" * 64] = metadata.pop("k00")
    metadata[EMOJI * 64] = "x" * 512
    metadata.pop("k01")
    result = parse({"metadata": metadata}, revision, creating=creating)
    assert result.values == {}
    assert result.metadata == metadata
    assert list(result.metadata) == list(metadata)


@both_modes
def test_metadata_empty_map_is_accepted(creating: bool) -> None:
    assert parse({"metadata": {}}, creating=creating).metadata == {}


def test_metadata_empty_value_deletes_on_update() -> None:
    assert parse({"metadata": {"trial": "", "plan": "team"}}, creating=False).metadata == {"trial": "", "plan": "team"}


def test_metadata_empty_value_is_refused_on_create() -> None:
    assert metadata_message({"trial": ""}) == "metadata.trial: value must not be empty"


@both_modes
def test_metadata_at_most_16_keys(creating: bool) -> None:
    assert parse({"metadata": {str(n): "v" for n in range(16)}}, creating=creating).metadata is not None
    assert (
        metadata_message({str(n): "v" for n in range(17)}, creating=creating)
        == "metadata: at most 16 keys are allowed, got 17"
    )
    assert (
        metadata_message({str(n): "v" for n in range(40)}, creating=creating)
        == "metadata: at most 16 keys are allowed, got 40"
    )


@pytest.mark.parametrize(
    ("key", "path"),
    [
        ("", 'metadata.""'),
        ("k" * 65, "metadata." + "k" * 64 + "..."),
        (EMOJI * 65, "metadata." + EMOJI * 64 + "..."),
        ("k" * 1000, "metadata." + "k" * 64 + "..."),
    ],
)
@both_modes
def test_metadata_key_length(key: str, path: str, creating: bool) -> None:
    assert metadata_message({key: "v"}, creating=creating) == f"{path}: key must be 1 to 64 characters"


@pytest.mark.parametrize("value", [None, 1, 1.5, True, [], ["v"], {}, {"a": "b"}])
@both_modes
def test_metadata_values_must_be_strings(value: Any, creating: bool) -> None:
    assert metadata_message({"plan": value}, creating=creating) == "metadata.plan: value must be a string"


@pytest.mark.parametrize("value", ["x" * 513, EMOJI * 513, "x" * 10_000])
@both_modes
def test_metadata_values_at_most_512_characters(value: str, creating: bool) -> None:
    assert metadata_message({"plan": value}, creating=creating) == "metadata.plan: value must be at most 512 characters"


def test_metadata_spec_example_lists_every_problem() -> None:
    """docs/reference/profiles.md §4.1, error example (R2)."""
    assert (
        metadata_message({"a": "", "b": "x" * 600}, revision=R2)
        == "metadata.a: value must not be empty; metadata.b: value must be at most 512 characters"
    )


@both_modes
def test_metadata_count_comes_first_then_keys_in_request_order(creating: bool) -> None:
    metadata: dict[str, Any] = {f"ok{n}": "v" for n in range(13)}
    metadata.update({"z": 1, "k" * 70: None, "": "x" * 513, "m": "v"})
    long_key = "k" * 64 + "..."
    assert metadata_message(metadata, creating=creating) == "; ".join(
        [
            "metadata: at most 16 keys are allowed, got 17",
            "metadata.z: value must be a string",
            f"metadata.{long_key}: key must be 1 to 64 characters",
            f"metadata.{long_key}: value must be a string",
            'metadata."": key must be 1 to 64 characters',
            'metadata."": value must be at most 512 characters',
        ]
    )


def test_metadata_empty_key_with_empty_value_on_create() -> None:
    assert (
        metadata_message({"": ""})
        == 'metadata."": key must be 1 to 64 characters; metadata."": value must not be empty'
    )


def test_metadata_empty_key_with_empty_value_on_update() -> None:
    assert metadata_message({"": ""}, creating=False) == 'metadata."": key must be 1 to 64 characters'


def test_metadata_result_is_a_copy() -> None:
    metadata = {"plan": "pro"}
    result = parse({"metadata": metadata})
    assert result.metadata == metadata
    assert result.metadata is not metadata


# --- fields from another revision, read-only and unknown fields (docs/reference/profiles.md §3.2) ---------------------


@pytest.mark.parametrize(
    ("body", "revision", "expected"),
    [
        (
            {"external_id": "x"},
            GA,
            "external_id: not accepted without a user-profiles beta header; "
            "accepted under user-profiles-2026-03-24, user-profiles-2026-08-18",
        ),
        (
            {"access_type": "application"},
            R1,
            "access_type: not accepted under user-profiles-2026-03-24; accepted under user-profiles-2026-08-18, "
            "user-profiles-2026-09-04, or without a user-profiles beta header",
        ),
        (
            {"relationship": "external"},
            R2,
            "relationship: not accepted under user-profiles-2026-08-18; accepted under user-profiles-2026-03-24",
        ),
        (
            {"external_user_details": {}},
            R2,
            "external_user_details: not accepted under user-profiles-2026-08-18; "
            "accepted under user-profiles-2026-09-04, or without a user-profiles beta header",
        ),
        (
            {"external_user_onboarded_at": "2026-01-01T00:00:00Z"},
            R3,
            "external_user_onboarded_at: not accepted under user-profiles-2026-09-04; "
            "accepted under user-profiles-2026-08-18",
        ),
        ({"id": "uprof_x"}, R1, "id: read-only field"),
        ({"trust_grants": {}}, GA, "trust_grants: read-only field"),
        ({"programs": None}, R3, "programs: read-only field"),
        ({"nickname": "x"}, R2, "nickname: unknown field"),
        ({"Name": "x"}, GA, "Name: unknown field"),
        ({"x" * 100: 1}, GA, "x" * 64 + "...: unknown field"),
    ],
)
@both_modes
def test_fields_outside_the_revision(body: dict[str, Any], revision: Revision, expected: str, creating: bool) -> None:
    assert message(body, revision, creating=creating) == expected


# --- check order (docs/reference/profiles.md §3.5) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "revision", "expected"),
    [
        ({"name": 1, "id": "x"}, GA, "id: read-only field"),
        ({"metadata": None, "foo": 1}, GA, "foo: unknown field"),
        ({"foo": 1, "id": "x"}, GA, "foo: unknown field"),
        ({"id": "x", "foo": 1}, GA, "id: read-only field"),
        ({"name": 1, "external_id": "x"}, GA, "external_id: not accepted without a user-profiles beta header; "),
        ({"relationship": "x", "access_type": "x"}, R1, "access_type: not accepted under user-profiles-2026-03-24; "),
    ],
)
def test_top_level_keys_are_checked_first_in_request_order(
    body: dict[str, Any], revision: Revision, expected: str
) -> None:
    assert message(body, revision).startswith(expected)


# Per revision, one bad value for every accepted field, in the documented check order.
BAD_IN_ORDER: dict[Revision, list[tuple[str, object, str]]] = {
    R1: [
        ("name", 1, "name: must be a string or null"),
        ("external_id", "", "external_id: must be 1 to 255 characters"),
        ("relationship", "internal", "relationship: internal is not supported; use external or resold"),
        ("metadata", None, "metadata: must be an object"),
    ],
    R2: [
        ("name", "", "name: must be 1 to 255 characters"),
        ("external_id", 1, "external_id: must be a string or null"),
        ("access_type", "x", "access_type: must be one of application, passthrough"),
        ("external_user_onboarded_at", "x", "external_user_onboarded_at: must be a complete RFC 3339 timestamp "),
        ("metadata", {"a": 1}, "metadata.a: value must be a string"),
    ],
    R3: [
        ("name", [], "name: must be a string or null"),
        ("access_type", None, "access_type: must be one of application, passthrough"),
        ("external_user_details", {"country": "x"}, "external_user_details.country: must be two uppercase"),
        ("metadata", {"a": ""}, "metadata.a: value must not be empty"),
    ],
    GA: [
        ("name", "x" * 256, "name: must be 1 to 255 characters"),
        ("access_type", "resold", "access_type: must be one of application, passthrough"),
        ("external_user_details", [], "external_user_details: must be an object"),
        ("metadata", "x", "metadata: must be an object"),
    ],
}


@pytest.mark.parametrize("revision", ALL)
def test_fields_are_checked_in_the_documented_order(revision: Revision) -> None:
    """Sent in reverse order; each removal of the reported field reveals the next one."""
    remaining = list(BAD_IN_ORDER[revision])
    while remaining:
        body = {field: value for field, value, _ in reversed(remaining)}
        assert refusal(body, revision).message.startswith(remaining[0][2])
        remaining.pop(0)


def test_only_metadata_errors_carry_an_error_code() -> None:
    assert refusal({"metadata": {"a": 1}}).error_code == "invalid_metadata"
    assert refusal({"name": 1, "metadata": {"a": 1}}).error_code is None


# --- a full body per revision -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("revision", "body", "values"),
    [
        (
            R1,
            {"external_id": "user_12345", "name": "Ada Example", "relationship": "external"},
            {"reference_id": "user_12345", "name": "Ada Example", "access_type": "application"},
        ),
        (
            R2,
            {"access_type": "passthrough", "external_user_onboarded_at": "2026-02-01T09:00:00+01:00"},
            {"access_type": "passthrough", "onboarded_at": utc(2026, 2, 1, 8)},
        ),
        (
            GA,
            {
                "name": "Northwind Labs",
                "access_type": "passthrough",
                "external_user_details": {"reference_id": "cust_889", "country": "DE", "entity_type": "business"},
            },
            {
                "name": "Northwind Labs",
                "access_type": "passthrough",
                "reference_id": "cust_889",
                "country": "DE",
                "entity_type": "business",
            },
        ),
    ],
)
def test_full_bodies_become_stored_values(revision: Revision, body: dict[str, Any], values: dict[str, Any]) -> None:
    result = parse({**body, "metadata": {"plan": "pro"}}, revision)
    assert result.values == values
    assert result.metadata == {"plan": "pro"}


# --- list query (docs/reference/profiles.md §4.4) ---------------------------------------------------------------------


def query(text: str, revision: Revision = GA) -> ListQuery:
    return parse_list_query(QueryParams(text), revision)


def query_message(text: str, revision: Revision = GA) -> str:
    with pytest.raises(InvalidRequest) as raised:
        query(text, revision)
    assert raised.value.status == 400
    assert raised.value.error_code is None
    return raised.value.message


@pytest.mark.parametrize("revision", ALL)
def test_query_defaults(revision: Revision) -> None:
    assert query("", revision) == ListQuery(20, "desc", "created_at", None, None)


def test_unknown_query_parameters_are_ignored() -> None:
    assert query("beta=true&foo=1&foo=2&LIMIT=0&status=x") == ListQuery(20, "desc", "created_at", None, None)


@pytest.mark.parametrize(("text", "limit"), [("1", 1), ("5", 5), ("20", 20), ("99", 99), ("100", 100)])
def test_limit_bounds(text: str, limit: int) -> None:
    assert query(f"limit={text}").limit == limit


@pytest.mark.parametrize(
    "text",
    ["", "0", "101", "1000", "-1", "+5", "5.0", "1e2", "0x10", "abc", " 5", "5 ", "%205", "١", "５", "9" * 5000],
)
def test_limit_refused(text: str) -> None:
    assert query_message(f"limit={text}") == "limit: must be an integer from 1 to 100"


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_order_values(order: str) -> None:
    assert query(f"order={order}").order == order


@pytest.mark.parametrize("order", ["", "ASC", "Desc", "ascending", "1"])
def test_order_refused(order: str) -> None:
    assert query_message(f"order={order}") == "order: must be one of asc, desc"


@pytest.mark.parametrize("order_by", ["created_at", "name"])
def test_order_by_values(order_by: str) -> None:
    assert query(f"order_by={order_by}").order_by == order_by


@pytest.mark.parametrize("order_by", ["", "id", "updated_at", "Name", "created_at,name"])
def test_order_by_refused(order_by: str) -> None:
    assert query_message(f"order_by={order_by}") == "order_by: must be one of created_at, name"


def test_page_is_passed_through() -> None:
    assert query("page=page_abc-_").page == "page_abc-_"


def test_empty_page_is_not_a_valid_cursor() -> None:
    assert query_message("page=") == "page: not a valid cursor"


@pytest.mark.parametrize(
    "text",
    ["limit=5&limit=5", "limit=5&limit=6", "order=asc&order=asc", "order_by=name&order_by=name", "page=a&page=b"],
)
def test_scalar_parameters_must_be_given_once(text: str) -> None:
    name = text.split("=", 1)[0]
    assert query_message(text) == f"{name}: must be given once"


def test_all_parameters_together() -> None:
    assert query("limit=7&order=asc&order_by=name&page=page_x") == ListQuery(7, "asc", "name", "page_x", None)


@pytest.mark.parametrize(
    ("text", "statuses"),
    [
        ("enforcement_status=banned", {"banned"}),
        ("enforcement_status[]=restricted", {"restricted"}),
        ("enforcement_status%5B%5D=pending", {"pending"}),
        ("enforcement_status=restricted&enforcement_status=pending", {"restricted", "pending"}),
        ("enforcement_status[]=restricted&enforcement_status[]=restricted", {"restricted"}),
        ("enforcement_status=unrestricted&enforcement_status[]=banned", {"unrestricted", "banned"}),
        (
            "enforcement_status=unrestricted&enforcement_status=pending&enforcement_status=restricted"
            "&enforcement_status=banned",
            {"unrestricted", "pending", "restricted", "banned"},
        ),
    ],
)
def test_enforcement_status_filter_under_ga(text: str, statuses: set[str]) -> None:
    assert query(text).enforcement_statuses == frozenset(statuses)


@pytest.mark.parametrize(
    "text",
    [
        "enforcement_status=",
        "enforcement_status=Banned",
        "enforcement_status=active",
        "enforcement_status[]=banned&enforcement_status[]=nope",
        "enforcement_status=banned,restricted",
    ],
)
def test_enforcement_status_values_refused(text: str) -> None:
    assert query_message(text) == "enforcement_status: must be one of unrestricted, pending, restricted, banned"


@pytest.mark.parametrize("revision", [R1, R2, R3])
@pytest.mark.parametrize("text", ["enforcement_status=banned", "enforcement_status[]=banned", "enforcement_status=x"])
def test_enforcement_status_is_not_accepted_under_beta_revisions(revision: Revision, text: str) -> None:
    assert query_message(text, revision) == (
        f"enforcement_status: not accepted under {revision.value}; accepted without a user-profiles beta header"
    )
