"""The checks of import records (uprof.portability.validation): a valid record of every kind is accepted,
and any wrong value in any field is reported as Invalid, naming the field, never as a crash."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from uprof.portability.fields import Invalid
from uprof.portability.records import DATA_KINDS
from uprof.portability.references import Seen
from uprof.portability.validation import parse

ORG = "6d1f6a0e-3c2b-4f1e-9a57-2b8c0d4e5f61"
PROFILE = "uprof_9bTn3QwE5rYu7IoP1aSd2FgH"
T = "2026-11-26T10:20:00.000000Z"
BODY = '{"type":"event","id":"event_8Jd3Mx6Qp2Vr9Lz4Tb1Kn7Wc","created_at":"2026-11-26T11:30:00.000000Z","data":{}}'
EKEY = "ekey_4Hs9Kd2Lq7Xw1Zp6Vt3Bn8Mc"
SECRET = "whsec_MfKQ9r8GKYqrTZmwv7f5hJ2bD3xN1cL4pS6uV0yA8eE="

VALID: list[dict[str, Any]] = [
    {"kind": "organization", "id": ORG, "name": "default", "is_default": True, "created_at": T},
    {"kind": "workspace", "organization_id": ORG, "id": "wrkspc_team1", "created_at": T},
    {
        "kind": "api_key",
        "organization_id": ORG,
        "id": "apikey_1Qw7Er3Ty9Ui5Op2As8Df4Gh",
        "name": "billing service",
        "key_kind": "workspace",
        "workspace_id": "wrkspc_team1",
        "key_sha256": "a" * 64,
        "hint": "1MkQ",
        "created_at": T,
        "last_used_at": None,
        "revoked_at": T,
    },
    {
        "kind": "user_profile",
        "organization_id": ORG,
        "id": PROFILE,
        "name": "Northwind Labs",
        "access_type": "passthrough",
        "external_user_details": {
            "account_status": "suspended",
            "country": "DE",
            "email_hash": "9f2c41d0e3",
            "entity_type": "business",
            "name_hash": None,
            "onboarded_at": "2026-02-01T08:00:00.000000Z",
            "reference_id": "cust_889",
        },
        "metadata": {"plan": "pro"},
        "programs": {
            "cyber": {
                "status": "active",
                "tiers": {"a": "active", "b": "inactive", "c": "inactive"},
                "requirements": {"data_retention": True, "human_review": False},
            },
            "efs": {
                "status": "pending",
                "features": {"data_retention_exemption": "inactive", "cmek": "inactive", "storage": "inactive"},
            },  # fmt: skip
        },
        "created_at": T,
        "updated_at": T,
    },
    {
        "kind": "enrollment",
        "organization_id": ORG,
        "id": "enr_3Fh7Kp1Wx9Lq5Tz2Nb8Vr4Mc",
        "type": "enrollment",
        "user_profile_id": PROFILE,
        "program": "cyber",
        "status": "pending",
        "source": "enrollment_url",
        "requested": ["a", "c"],
        "use_case": "Red-team exercises",
        "organization": "Example Security Ltd",
        "contact_email": "ada@example.com",
        "submitted_at": T,
        "decided_at": None,
        "decision_note": None,
    },
    {
        "kind": "enforcement_action",
        "organization_id": ORG,
        "id": "enac_2Wm8Kq4Zr7Tn1Vx5Pb9Lc3Hd",
        "type": "restriction",
        "user_profile_id": PROFILE,
        "action": "verify",
        "expires_at": None,
        "opened_at": T,
        "reason": "unsupported_region",
        "verifiable": True,
        "resolved_at": None,
        "resolution": None,
        "note": "Signup from a blocked region",
    },
    {
        "kind": "identity_check",
        "organization_id": ORG,
        "id": "idc_6Tp1Zx8Kq3Wn9Lr2Vb5Hm7Dc",
        "type": "identity_check",
        "user_profile_id": PROFILE,
        "status": "submitted",
        "full_name": "Ada Example",
        "country": "GB",
        "document_type": "passport",
        "document_last4": "4821",
        "submitted_at": T,
        "decided_at": None,
        "decision_note": None,
    },
    {
        "kind": "external_key",
        "organization_id": ORG,
        "id": EKEY,
        "display_name": "Customer key",
        "geo": "us",
        "provider_config": {"type": "gcp", "key_name": "projects/p/locations/us/keyRings/r/cryptoKeys/k"},
        "user_profile_id": PROFILE,
        "validation_status": "failure",
        "validation_error": "permission denied",
        "validation_changed_at": T,
        "created_at": T,
        "updated_at": T,
    },
    {
        "kind": "data_controls",
        "organization_id": ORG,
        "user_profile_id": PROFILE,
        "cmek": {"enabled": True, "suspended": False},
        "storage": {"enabled": False, "suspended": True},
        "updated_at": T,
        "regions": [
            {
                "control": "cmek",
                "region": "us",
                "configured": {"external_key_id": EKEY},
                "effective": None,
                "status": "failed",
                "pending_since": T,
                "validated_at": None,
                "error": "permission denied",
                "failed_checks": [],
                "details": None,
            }
        ],
        "retired": [
            {
                "control": "storage",
                "region": "eu",
                "reference": {"project_number": "42", "bucket_name": "old-bucket"},
                "expires_at": T,
            }
        ],
    },
    {
        "kind": "webhook_endpoint",
        "organization_id": ORG,
        "id": "whep_5Nc2Rv8Lq1Tz6Kx3Wm9Pb4Yd",
        "name": "production",
        "description": "",
        "url": "https://platform.example.com/hooks/uprof",
        "enabled_events": ["user_profile.program_status_updated"],
        "state": "enabled",
        "disabled_reason": "",
        "created_at": T,
        "updated_at": T,
        "signing_secret": SECRET,
        "previous_signing_secret": None,
        "previous_secret_expires_at": None,
        "consecutive_failures": 0,
    },
    {
        "kind": "webhook_event",
        "organization_id": ORG,
        "id": "event_8Jd3Mx6Qp2Vr9Lz4Tb1Kn7Wc",
        "created_at": T,
        "type": "user_profile.program_status_updated",
        "body": BODY,
    },
    {
        "kind": "webhook_delivery",
        "organization_id": ORG,
        "id": "whdel_1Rb6Kz3Wq8Lx2Vn5Tm9Hc4Pd",
        "type": "webhook_delivery",
        "endpoint_id": "whep_5Nc2Rv8Lq1Tz6Kx3Wm9Pb4Yd",
        "event_id": "event_8Jd3Mx6Qp2Vr9Lz4Tb1Kn7Wc",
        "event_type": "user_profile.program_status_updated",
        "status": "pending",
        "attempt_count": 1,
        "budget_start": 0,
        "next_attempt_at": T,
        "created_at": T,
        "finished_at": None,
        "attempts": [
            {
                "number": 1,
                "started_at": T,
                "duration_ms": 84,
                "status_code": 503,
                "error": None,
                "response_excerpt": "upstream unavailable",
            }  # fmt: skip
        ],
    },
    {"kind": "server_secret", "name": "cursor_signing_key", "value": "ab" * 32},
]
WRONG_VALUES: list[Any] = [None, 0, -1, True, 1.5, "", "x" * 3000, "not valid", [], [None], {}, {"x": None}]


def _seen_before(index: int) -> Seen:
    seen = Seen()
    for record in VALID[:index]:
        parse(record["kind"], record, seen)
    return seen


def test_a_valid_record_of_every_kind_is_accepted_in_export_order() -> None:
    assert [record["kind"] for record in VALID] == list(DATA_KINDS)
    seen = Seen()
    rows = [row for record in VALID for row in parse(record["kind"], record, seen)]
    tables = [table.name for table, _ in rows]
    controls = ["data_controls", "data_control_region", "data_control_retired"]
    kinds = [*DATA_KINDS[:-2], "webhook_delivery", "webhook_attempt", "server_secret"]
    assert tables == [*kinds[:8], *controls, *kinds[9:]]
    profile = dict(rows[3][1])
    assert (
        profile["name_key"] == "northwind labs"
        and profile["country"] == "DE"
        and profile["metadata"] == {"plan": "pro"}
    )
    assert dict(rows[2][1])["kind"] == "workspace"  # the key's kind, from `key_kind`
    assert dict(rows[13][1])["lease_expires_at"] is None


@pytest.mark.parametrize("index", range(len(VALID)), ids=[record["kind"] for record in VALID])
def test_any_wrong_value_in_any_field_is_invalid_and_named(index: int) -> None:
    original = VALID[index]
    for field in [key for key in original if key != "kind"]:
        for value in WRONG_VALUES:
            record = copy.deepcopy(original)
            record[field] = value
            try:
                parse(record["kind"], record, _seen_before(index))
            except Invalid as error:
                named = str(error).split(":")[0].split(".")[0].split("[")[0]
                assert named in original, (field, value, str(error))


@pytest.mark.parametrize("index", range(len(VALID)), ids=[record["kind"] for record in VALID])
def test_missing_and_unknown_fields_are_invalid(index: int) -> None:
    original = VALID[index]
    for field in [key for key in original if key not in ("kind", "is_default")]:
        record = {key: value for key, value in original.items() if key != field}
        with pytest.raises(Invalid, match=f"^{field}: missing$"):
            parse(record["kind"], record, _seen_before(index))
    with pytest.raises(Invalid, match="^extra: unknown field$"):
        parse(original["kind"], {**original, "extra": 1}, _seen_before(index))


def test_each_wrong_value_that_the_api_would_refuse_is_refused() -> None:
    """A sample of the rules that matter most; each line breaks exactly one of them."""
    cases: list[tuple[int, dict[str, Any], str]] = [
        (0, {"id": ORG.upper()}, "id: must be a UUID"),
        (2, {"key_kind": "standard"}, "workspace_id: must be set for a workspace key and null for any other"),
        (2, {"workspace_id": "wrkspc_other"}, "workspace_id: no workspace with this ID"),
        (3, {"metadata": {f"k{i}": "v" for i in range(17)}}, "metadata: at most 16 keys"),
        (3, {"name": "n" * 256}, "name: must be 1 to 255 characters"),
        (
            3,
            {
                "programs": {
                    "cyber": None,
                    "efs": {
                        "status": "rejected",
                        "features": {"data_retention_exemption": "active", "cmek": "inactive", "storage": "inactive"},
                    },
                }
            },
            "programs.efs.features.data_retention_exemption: can be active only when status is active",
        ),  # fmt: skip
        (4, {"requested": ["a", "cmek"]}, "requested[1]: must be one of a, b, c"),
        (4, {"user_profile_id": "uprof_unknown"}, "user_profile_id: no user profile with this ID"),
        (5, {"type": "ban"}, "type: a ban is never verifiable and never expires"),
        (5, {"resolution": "operator"}, "resolution: must be set exactly when resolved_at is set"),
        (9, {"url": "ftp://example.com/"}, "url: must be an absolute https URL"),
        (9, {"signing_secret": "whsec_c2hvcnQ="}, "signing_secret: must be whsec_ followed by the base64 of 32 bytes"),
        (10, {"body": BODY.replace("event_8J", "event_9J")}, "body: must be the JSON text of the event's envelope"),
        (10, {"body": BODY.replace('"data":{}', '"data":{"id":"uprof_' + "x" * 30 + '"}')}, "body: data.id must be"),
        (10, {"body": BODY.replace('"data":{}', '"data":{"id":7}')}, "body: data.id must be a user profile ID"),
        (11, {"event_type": "user_profile.enforcement_action_opened"}, "event_type: must be the event's type"),
        (11, {"attempt_count": 2}, "attempts: must list the delivery's 2 attempts"),
        (12, {"value": "abc"}, "value: must be 2 to 128 lower-case hexadecimal digits"),
    ]
    for index, change, message in cases:
        record = {**VALID[index], **change}
        with pytest.raises(Invalid, match="^" + message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
            parse(record["kind"], record, _seen_before(index))


def test_ids_and_key_hashes_must_be_unique() -> None:
    seen = _seen_before(len(VALID))
    for index in range(len(VALID)):
        with pytest.raises(Invalid, match="appears twice"):
            parse(VALID[index]["kind"], VALID[index], seen)
