"""One stored profile, four views (docs/reference/profiles.md §2), and which request fields each revision accepts
(§3.2)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from uprof.http.errors import InvalidRequest
from uprof.http.revision_choice import Revision
from uprof.profiles.models import user_profile
from uprof.profiles.records import Profile, ProfileRead
from uprof.profiles.revisions import (
    ACCEPTED_FIELDS,
    accepted_list,
    check_enrollment_url_available,
    check_field_accepted,
    check_query_accepted,
    render,
)
from uprof.standing.records import EnforcementAction

R1, R2, R3, GA = Revision.R1, Revision.R2, Revision.R3, Revision.GA
ALL = [R1, R2, R3, GA]
NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)

# What the service adds to a stored row at read time: the open actions and the identity-check state.
READ_TIME_KEYS = {"enforcement_actions": [], "identity_check_submitted": False, "read_at": NOW}

CYBER_TIER_A = {
    "status": "active",
    "tiers": {"a": "active", "b": "inactive", "c": "inactive"},
    "requirements": {"data_retention": True, "human_review": False},
}
EFS_PENDING = {
    "status": "pending",
    "features": {"data_retention_exemption": "inactive", "cmek": "active", "storage": "inactive"},
}


def stored_row(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": "uprof_4Xq8Lr2VnT7kPz9sWb3Hc6Dm",
        "organization_id": "6d1f6a0e-3c2b-4f1e-9a57-2b8c0d4e5f61",
        "name": "Ada Example",
        "name_key": "ada example",
        "name_folded": "ada example",
        "access_type": "passthrough",
        "reference_id": "cust_889",
        "onboarded_at": datetime(2026, 2, 1, 8, 0, 0, tzinfo=UTC),
        "account_status": "suspended",
        "country": "DE",
        "email_hash": "9f2c41d0e3",
        "entity_type": "business",
        "name_hash": None,
        "metadata": {"plan": "pro", "seats": "5"},
        "cyber": copy.deepcopy(CYBER_TIER_A),
        "efs": copy.deepcopy(EFS_PENDING),
        "created_at": datetime(2026, 11, 26, 10, 15, 30, 123456, tzinfo=UTC),
        "updated_at": datetime(2026, 11, 26, 11, 2, 41, 500000, tzinfo=UTC),
        **copy.deepcopy(READ_TIME_KEYS),
    }
    row.update(changes)
    return row


# What an action written in a test as a dict leaves out: the columns `render` does not read.
ACTION_COLUMNS = {
    "organization_id": "6d1f6a0e-3c2b-4f1e-9a57-2b8c0d4e5f61",
    "user_profile_id": "uprof_4Xq8Lr2VnT7kPz9sWb3Hc6Dm",
    "resolution": None,
    "note": None,
}


def read_of(row: Mapping[str, Any]) -> ProfileRead:
    """The profile as the service reads it, from a stored row plus READ_TIME_KEYS (actions as dicts)."""
    stored = {key: value for key, value in row.items() if key not in READ_TIME_KEYS}
    return ProfileRead(
        Profile.of(stored),
        enforcement_actions=[EnforcementAction.of({**ACTION_COLUMNS, **item}) for item in row["enforcement_actions"]],
        identity_check_submitted=row["identity_check_submitted"],
        read_at=row["read_at"],
    )


def test_the_fixture_has_every_stored_column() -> None:
    assert set(stored_row()) - set(READ_TIME_KEYS) == {column.name for column in user_profile.columns}


# --- the whole object per revision -------------------------------------------------------------------

CYBER_COMPLETE = {
    "status": "active",
    "tiers": {"a": {"status": "active"}, "b": {"status": "inactive"}, "c": {"status": "inactive"}},
    "requirements": {"data_retention": True, "human_review": False},
}
EFS_COMPLETE = {
    "status": "pending",
    "features": {
        "data_retention_exemption": {"status": "inactive"},
        "cmek": {"status": "active"},
        "storage": {"status": "inactive"},
    },
}
DETAILS = {
    "account_status": "suspended",
    "country": "DE",
    "email_hash": "9f2c41d0e3",
    "entity_type": "business",
    "name_hash": None,
    "onboarded_at": "2026-02-01T08:00:00.000000Z",
    "reference_id": "cust_889",
}
GRANTS = {"cyber": {"status": "active"}, "efs": {"status": "pending"}}
CREATED = "2026-11-26T10:15:30.123456Z"
UPDATED = "2026-11-26T11:02:41.500000Z"

EXPECTED = {
    R1: {
        "id": "uprof_4Xq8Lr2VnT7kPz9sWb3Hc6Dm",
        "type": "user_profile",
        "external_id": "cust_889",
        "name": "Ada Example",
        "relationship": "resold",
        "metadata": {"plan": "pro", "seats": "5"},
        "trust_grants": GRANTS,
        "created_at": CREATED,
        "updated_at": UPDATED,
    },
    R2: {
        "id": "uprof_4Xq8Lr2VnT7kPz9sWb3Hc6Dm",
        "type": "user_profile",
        "external_id": "cust_889",
        "name": "Ada Example",
        "access_type": "passthrough",
        "external_user_onboarded_at": "2026-02-01T08:00:00.000000Z",
        "metadata": {"plan": "pro", "seats": "5"},
        "trust_grants": GRANTS,
        "created_at": CREATED,
        "updated_at": UPDATED,
    },
    R3: {
        "id": "uprof_4Xq8Lr2VnT7kPz9sWb3Hc6Dm",
        "type": "user_profile",
        "name": "Ada Example",
        "access_type": "passthrough",
        "external_user_details": DETAILS,
        "metadata": {"plan": "pro", "seats": "5"},
        "trust_grants": GRANTS,
        "created_at": CREATED,
        "updated_at": UPDATED,
    },
    GA: {
        "id": "uprof_4Xq8Lr2VnT7kPz9sWb3Hc6Dm",
        "type": "user_profile",
        "name": "Ada Example",
        "access_type": "passthrough",
        "external_user_details": DETAILS,
        "metadata": {"plan": "pro", "seats": "5"},
        "programs": {"cyber": CYBER_COMPLETE, "efs": EFS_COMPLETE},
        "enforcement_status": "unrestricted",
        "enforcement_actions": [],
        "created_at": CREATED,
        "updated_at": UPDATED,
    },
}

# docs/reference/profiles.md §2.1, in table order.
KEY_ORDER = {
    R1: ["id", "type", "external_id", "name", "relationship", "metadata", "trust_grants", "created_at", "updated_at"],
    R2: [
        "id",
        "type",
        "external_id",
        "name",
        "access_type",
        "external_user_onboarded_at",
        "metadata",
        "trust_grants",
        "created_at",
        "updated_at",
    ],
    R3: [
        "id",
        "type",
        "name",
        "access_type",
        "external_user_details",
        "metadata",
        "trust_grants",
        "created_at",
        "updated_at",
    ],
    GA: [
        "id",
        "type",
        "name",
        "access_type",
        "external_user_details",
        "metadata",
        "programs",
        "enforcement_status",
        "enforcement_actions",
        "created_at",
        "updated_at",
    ],
}
DETAIL_ORDER = ["account_status", "country", "email_hash", "entity_type", "name_hash", "onboarded_at", "reference_id"]


@pytest.mark.parametrize("revision", ALL)
def test_render_complete(revision: Revision) -> None:
    assert render(read_of(stored_row()), revision) == EXPECTED[revision]


@pytest.mark.parametrize("revision", ALL)
@pytest.mark.parametrize("complete", [True, False])
def test_keys_in_table_order(revision: Revision, complete: bool) -> None:
    assert list(render(read_of(stored_row()), revision, complete=complete)) == KEY_ORDER[revision]


@pytest.mark.parametrize("revision", [R3, GA])
@pytest.mark.parametrize("complete", [True, False])
def test_external_user_details_has_seven_keys_in_order(revision: Revision, complete: bool) -> None:
    assert list(render(read_of(stored_row()), revision, complete=complete)["external_user_details"]) == DETAIL_ORDER


@pytest.mark.parametrize("revision", [R3, GA])
def test_external_user_details_is_all_null_when_unset(revision: Revision) -> None:
    row = stored_row(**dict.fromkeys(DETAIL_ORDER))
    assert render(read_of(row), revision)["external_user_details"] == dict.fromkeys(DETAIL_ORDER)


@pytest.mark.parametrize("revision", ALL)
def test_nullable_fields_are_null_not_absent(revision: Revision) -> None:
    row = stored_row(name=None, reference_id=None, onboarded_at=None, cyber=None, efs=None, metadata={})
    shape = render(read_of(row), revision)
    assert list(shape) == KEY_ORDER[revision]
    assert shape["name"] is None
    assert shape["metadata"] == {}
    if revision in (R1, R2):
        assert shape["external_id"] is None
    if revision is R2:
        assert shape["external_user_onboarded_at"] is None
    if revision is GA:
        assert shape["programs"] == {"cyber": None, "efs": None}
    else:
        assert shape["trust_grants"] == {}


@pytest.mark.parametrize(("access_type", "relationship"), [("application", "external"), ("passthrough", "resold")])
def test_relationship_is_the_r1_view_of_access_type(access_type: str, relationship: str) -> None:
    row = stored_row(access_type=access_type)
    assert render(read_of(row), R1)["relationship"] == relationship
    for revision in (R2, R3, GA):
        assert render(read_of(row), revision)["access_type"] == access_type


@pytest.mark.parametrize("revision", ALL)
@pytest.mark.parametrize("complete", [True, False])
def test_render_does_not_change_the_row(revision: Revision, complete: bool) -> None:
    row = stored_row()
    before = copy.deepcopy(row)
    render(read_of(row), revision, complete=complete)
    assert row == before


@pytest.mark.parametrize("revision", ALL)
def test_the_same_row_gives_the_same_values_everywhere(revision: Revision) -> None:
    """docs/reference/profiles.md §2.6: reference and onboarded time are one stored value each."""
    shape = render(read_of(stored_row(reference_id="ref-1", onboarded_at=datetime(2020, 1, 1, tzinfo=UTC))), revision)
    if revision in (R1, R2):
        assert shape["external_id"] == "ref-1"
    else:
        assert shape["external_user_details"]["reference_id"] == "ref-1"
    if revision is R2:
        assert shape["external_user_onboarded_at"] == "2020-01-01T00:00:00.000000Z"
    if revision in (R3, GA):
        assert shape["external_user_details"]["onboarded_at"] == "2020-01-01T00:00:00.000000Z"


# --- timestamps --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2026, 11, 26, 10, 15, 30, tzinfo=UTC), "2026-11-26T10:15:30.000000Z"),
        (datetime(2026, 11, 26, 10, 15, 30, 1, tzinfo=UTC), "2026-11-26T10:15:30.000001Z"),
        (datetime(2026, 11, 26, 11, 15, 30, 5, tzinfo=timezone(timedelta(hours=1))), "2026-11-26T10:15:30.000005Z"),
        (datetime(1, 1, 1, tzinfo=UTC), "0001-01-01T00:00:00.000000Z"),
    ],
)
@pytest.mark.parametrize("revision", ALL)
def test_timestamps_have_six_fractional_digits_and_z(revision: Revision, moment: datetime, text: str) -> None:
    shape = render(read_of(stored_row(created_at=moment, updated_at=moment, onboarded_at=moment)), revision)
    assert shape["created_at"] == text
    assert shape["updated_at"] == text
    if revision is R2:
        assert shape["external_user_onboarded_at"] == text
    if revision in (R3, GA):
        assert shape["external_user_details"]["onboarded_at"] == text


# --- trust_grants (R1–R3) and programs (GA) ----------------------------------------------------------


def cyber(status: str, *active_tiers: str) -> dict[str, Any]:
    return {
        "status": status,
        "tiers": {tier: "active" if tier in active_tiers else "inactive" for tier in "abc"},
        "requirements": {"data_retention": False, "human_review": True},
    }


def efs(status: str) -> dict[str, Any]:
    return {"status": status, "features": dict.fromkeys(["data_retention_exemption", "cmek", "storage"], "inactive")}


@pytest.mark.parametrize(
    ("stored_cyber", "stored_efs", "grants"),
    [
        (None, None, {}),
        (cyber("active", "a"), None, {"cyber": {"status": "active"}}),
        (cyber("pending"), None, {"cyber": {"status": "pending"}}),
        (cyber("rejected"), None, {"cyber": {"status": "rejected"}}),
        (cyber("active"), None, {"cyber": {"status": "active"}}),  # granted without tiers
        (None, efs("active"), {"efs": {"status": "active"}}),
        (None, efs("rejected"), {"efs": {"status": "rejected"}}),
        (cyber("pending"), efs("active"), {"cyber": {"status": "pending"}, "efs": {"status": "active"}}),
    ],
)
@pytest.mark.parametrize("revision", [R1, R2, R3])
def test_trust_grants_from_program_statuses(
    revision: Revision, stored_cyber: Any, stored_efs: Any, grants: dict[str, Any]
) -> None:
    row = stored_row(cyber=stored_cyber, efs=stored_efs)
    single = render(read_of(row), revision)["trust_grants"]
    listed = render(read_of(row), revision, complete=False)["trust_grants"]
    assert single == grants
    assert listed == grants
    assert list(single) == list(grants)


@pytest.mark.parametrize("revision", [R1, R2, R3])
def test_trust_grant_values_have_only_a_status(revision: Revision) -> None:
    for value in render(read_of(stored_row()), revision)["trust_grants"].values():
        assert list(value) == ["status"]


def test_ga_list_view_shows_cyber_without_tiers_and_efs_as_null() -> None:
    assert render(read_of(stored_row()), GA, complete=False)["programs"] == {
        "cyber": {"status": "active", "tiers": {}, "requirements": None},
        "efs": None,
    }


def test_ga_list_view_of_a_profile_without_standing() -> None:
    assert render(read_of(stored_row(cyber=None, efs=None)), GA, complete=False)["programs"] == {
        "cyber": None,
        "efs": None,
    }


def test_ga_list_view_is_otherwise_the_single_view() -> None:
    single, listed = render(read_of(stored_row()), GA), render(read_of(stored_row()), GA, complete=False)
    assert {k: v for k, v in single.items() if k != "programs"} == {k: v for k, v in listed.items() if k != "programs"}


@pytest.mark.parametrize("revision", [R1, R2, R3])
def test_beta_views_are_the_same_in_lists(revision: Revision) -> None:
    assert render(read_of(stored_row()), revision, complete=False) == render(read_of(stored_row()), revision)


@pytest.mark.parametrize(
    "stored_cyber", [cyber("active", "a", "c"), cyber("active", "b"), cyber("active", "a", "b", "c")]
)
def test_ga_complete_cyber_with_active_tiers_lists_all_tiers_and_requirements(stored_cyber: dict[str, Any]) -> None:
    shown = render(read_of(stored_row(cyber=stored_cyber)), GA)["programs"]["cyber"]
    assert list(shown) == ["status", "tiers", "requirements"]
    assert shown["tiers"] == {tier: {"status": stored_cyber["tiers"][tier]} for tier in "abc"}
    assert list(shown["tiers"]) == ["a", "b", "c"]
    assert shown["requirements"] == {"data_retention": False, "human_review": True}


@pytest.mark.parametrize("stored_cyber", [cyber("active"), cyber("pending"), cyber("rejected")])
def test_ga_complete_cyber_without_an_active_tier_lists_every_tier_inactive(stored_cyber: dict[str, Any]) -> None:
    # {} would mean "tiers not reported" (the list view), not "no tier active".
    shown = render(read_of(stored_row(cyber=stored_cyber)), GA)["programs"]["cyber"]
    assert shown["status"] == stored_cyber["status"]
    assert shown["requirements"] is None
    assert shown["tiers"] == {tier: {"status": "inactive"} for tier in "abc"}


@pytest.mark.parametrize("status", ["active", "pending", "rejected"])
def test_ga_complete_efs_always_has_three_features(status: str) -> None:
    shown = render(read_of(stored_row(efs=efs(status))), GA)["programs"]["efs"]
    assert shown == {
        "status": status,
        "features": {name: {"status": "inactive"} for name in ["data_retention_exemption", "cmek", "storage"]},
    }
    assert list(shown["features"]) == ["data_retention_exemption", "cmek", "storage"]


# --- enforcement (GA only) ---------------------------------------------------------------------------


def action(
    type_: str = "restriction",
    *,
    verifiable: bool = True,
    reason: str = "unsupported_region",
    expires_at: datetime | None = None,
    opened_at: datetime = datetime(2026, 11, 26, 11, 30, tzinfo=UTC),
    id_: str = "enac_2Wm8Kq4Zr7Tn1Vx5Pb9Lc3Hd",
) -> dict[str, Any]:
    return {
        "id": id_,
        "type": type_,
        "reason": reason,
        "verifiable": verifiable,
        "expires_at": expires_at,
        "opened_at": opened_at,
        "resolved_at": None,
    }


def test_open_restriction_as_listed_in_the_spec_example() -> None:
    shape = render(read_of(stored_row(enforcement_actions=[action()])), GA)
    assert shape["enforcement_status"] == "restricted"
    assert shape["enforcement_actions"] == [
        {
            "id": "enac_2Wm8Kq4Zr7Tn1Vx5Pb9Lc3Hd",
            "type": "restriction",
            "action": "verify",
            "expires_at": None,
            "opened_at": "2026-11-26T11:30:00.000000Z",
            "reason": "unsupported_region",
        }
    ]
    assert list(shape["enforcement_actions"][0]) == ["id", "type", "action", "expires_at", "opened_at", "reason"]


@pytest.mark.parametrize(
    ("actions", "submitted", "status"),
    [
        ([], False, "unrestricted"),
        ([], True, "unrestricted"),
        ([action()], False, "restricted"),
        ([action()], True, "pending"),
        ([action(verifiable=False)], True, "restricted"),
        ([action(reason="account_compromise")], True, "restricted"),
        ([action(), action(verifiable=False, reason="account_compromise", id_="enac_2")], True, "restricted"),
        ([action(), action(verifiable=False, id_="enac_2")], True, "pending"),
        ([action("ban", verifiable=False)], False, "banned"),
        ([action(), action("ban", verifiable=False, id_="enac_2")], True, "banned"),
    ],
)
def test_enforcement_status_rules(actions: list[dict[str, Any]], submitted: bool, status: str) -> None:
    row = stored_row(enforcement_actions=actions, identity_check_submitted=submitted)
    assert render(read_of(row), GA)["enforcement_status"] == status
    assert render(read_of(row), GA, complete=False)["enforcement_status"] == status


@pytest.mark.parametrize(
    ("item", "submitted", "next_step"),
    [
        (action(), False, "verify"),
        (action(), True, None),  # a submitted check is under review
        (action(verifiable=False), False, None),
        (action("ban", verifiable=True), False, None),
    ],
)
def test_action_field(item: dict[str, Any], submitted: bool, next_step: str | None) -> None:
    row = stored_row(enforcement_actions=[item], identity_check_submitted=submitted)
    assert render(read_of(row), GA)["enforcement_actions"][0]["action"] == next_step


def test_action_expiry_is_formatted() -> None:
    item = action(expires_at=datetime(2026, 12, 1, tzinfo=UTC))
    shown = render(read_of(stored_row(enforcement_actions=[item])), GA)["enforcement_actions"][0]
    assert shown["expires_at"] == "2026-12-01T00:00:00.000000Z"


@pytest.mark.parametrize("revision", [R1, R2, R3])
def test_beta_revisions_never_show_enforcement(revision: Revision) -> None:
    row = stored_row(enforcement_actions=[action("ban", verifiable=False)], identity_check_submitted=True)
    assert render(read_of(row), revision) == EXPECTED[revision]


# --- fields accepted per revision (docs/reference/profiles.md §3.1, §3.2) ---------------------------------------------

# docs/reference/profiles.md §3.1: the revisions that accept each field.
ACCEPTED = {
    "name": {R1, R2, R3, GA},
    "external_id": {R1, R2},
    "relationship": {R1},
    "access_type": {R2, R3, GA},
    "external_user_onboarded_at": {R2},
    "external_user_details": {R3, GA},
    "metadata": {R1, R2, R3, GA},
}
# docs/reference/profiles.md §3.2, copied from the table.
ACCEPTED_LIST = {
    "external_id": "under user-profiles-2026-03-24, user-profiles-2026-08-18",
    "relationship": "under user-profiles-2026-03-24",
    "access_type": "under user-profiles-2026-08-18, user-profiles-2026-09-04, or without a user-profiles beta header",
    "external_user_onboarded_at": "under user-profiles-2026-08-18",
    "external_user_details": "under user-profiles-2026-09-04, or without a user-profiles beta header",
}
SELECTED = {
    R1: "under user-profiles-2026-03-24",
    R2: "under user-profiles-2026-08-18",
    R3: "under user-profiles-2026-09-04",
    GA: "without a user-profiles beta header",
}
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


def test_the_accepted_table_matches_the_spec() -> None:
    assert {name: set(revisions) for name, revisions in ACCEPTED_FIELDS.items()} == ACCEPTED


@pytest.mark.parametrize(("field", "text"), ACCEPTED_LIST.items())
def test_accepted_list_wording(field: str, text: str) -> None:
    assert accepted_list(frozenset(ACCEPTED[field])) == text


@pytest.mark.parametrize(
    ("accepted", "text"),
    [
        ({GA}, "without a user-profiles beta header"),
        ({R3}, "under user-profiles-2026-09-04"),
        (
            {GA, R3, R1, R2},
            "under user-profiles-2026-03-24, user-profiles-2026-08-18, user-profiles-2026-09-04, "
            "or without a user-profiles beta header",
        ),
    ],
)
def test_accepted_list_orders_revisions_oldest_first(accepted: set[Revision], text: str) -> None:
    assert accepted_list(frozenset(accepted)) == text


@pytest.mark.parametrize("revision", ALL)
@pytest.mark.parametrize("field", ACCEPTED)
def test_check_field_accepted_for_every_field_and_revision(field: str, revision: Revision) -> None:
    if revision in ACCEPTED[field]:
        check_field_accepted(field, revision)
        return
    with pytest.raises(InvalidRequest) as raised:
        check_field_accepted(field, revision)
    assert raised.value.status == 400
    assert raised.value.message == f"{field}: not accepted {SELECTED[revision]}; accepted {ACCEPTED_LIST[field]}"


def test_the_spec_example_message() -> None:
    with pytest.raises(InvalidRequest) as raised:
        check_field_accepted("access_type", R1)
    assert raised.value.message == (
        "access_type: not accepted under user-profiles-2026-03-24; accepted under user-profiles-2026-08-18, "
        "user-profiles-2026-09-04, or without a user-profiles beta header"
    )


@pytest.mark.parametrize("revision", ALL)
@pytest.mark.parametrize("field", READ_ONLY)
def test_read_only_fields(field: str, revision: Revision) -> None:
    with pytest.raises(InvalidRequest) as raised:
        check_field_accepted(field, revision)
    assert raised.value.message == f"{field}: read-only field"


@pytest.mark.parametrize("revision", ALL)
@pytest.mark.parametrize(
    ("field", "shown"),
    [
        ("nickname", "nickname"),
        ("", '""'),  # an empty key is written "" (docs/reference/profiles.md §3.4)
        ("Name", "Name"),
        ("external_user_details.country", "external_user_details.country"),
        ("reference_id", "reference_id"),
        ("onboarded_at", "onboarded_at"),
        ("x" * 65, "x" * 64 + "..."),
    ],
)
def test_unknown_fields(field: str, shown: str, revision: Revision) -> None:
    with pytest.raises(InvalidRequest) as raised:
        check_field_accepted(field, revision)
    assert raised.value.message == f"{shown}: unknown field"


def test_enforcement_status_query_is_ga_only() -> None:
    check_query_accepted("enforcement_status", GA)
    for revision in (R1, R2, R3):
        with pytest.raises(InvalidRequest) as raised:
            check_query_accepted("enforcement_status", revision)
        assert raised.value.message == (
            f"enforcement_status: not accepted {SELECTED[revision]}; accepted without a user-profiles beta header"
        )


def test_enrollment_url_needs_a_beta_revision() -> None:
    for revision in (R1, R2, R3):
        check_enrollment_url_available(revision)
    with pytest.raises(InvalidRequest) as raised:
        check_enrollment_url_available(GA)
    assert raised.value.message == (
        "anthropic-beta: this endpoint requires one of user-profiles-2026-03-24, user-profiles-2026-08-18, "
        "user-profiles-2026-09-04"
    )
