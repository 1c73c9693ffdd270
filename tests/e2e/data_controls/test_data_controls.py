"""`client.beta.user_profiles.providers.google.data_controls` of anthropic 2.14.0 against a real server:
regions set, decided by the operator, suspended, replaced and retired (both backends)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import anthropic
import httpx
import pytest
from anthropic.types.beta.user_profiles.providers.google import BetaGoogleManagedBucketReferenceParam

from tests.e2e.conftest import Server
from tests.e2e.data_controls.conftest import DATA_CONTROLS_CLIENT, Organization, new_organization
from uprof.db.unit_of_work import Database

BETA = "user-profiles-2026-09-04,google-managed-data-controls-2026-09-01"
BUCKET: BetaGoogleManagedBucketReferenceParam = {"project_number": "123456789012", "bucket_name": "customer-data"}


def compat(operation: str) -> pytest.MarkDecorator:
    return pytest.mark.compat(client=DATA_CONTROLS_CLIENT, operation=operation)


@compat("retrieve")
def test_every_profile_has_controls_that_start_off(org: Organization) -> None:
    profile = org.client.beta.user_profiles.create(name="Customer")
    controls = org.client.beta.user_profiles.providers.google.data_controls.retrieve(profile.id)
    assert controls.model_dump(mode="json") == {
        "type": "google_managed_data_controls",
        "user_profile_id": profile.id,
        "bucket_label_value": controls.bucket_label_value,
        "cmek": {"type": "disabled", "retired_keys": []},
        "storage": {"type": "disabled", "retired_buckets": []},
        "updated_at": profile.created_at.isoformat().replace("+00:00", "Z"),
    }
    assert controls.updated_at == profile.created_at
    assert controls.bucket_label_value.startswith("uprof-") and controls.bucket_label_value.islower()


@compat("retrieve")
@compat("update")
def test_a_key_is_pending_until_the_operator_decides_then_a_replacement_retires_it(org: Organization) -> None:
    profile_id = org.profile()
    first, second = org.gcp_key(profile_id, "one"), org.gcp_key(profile_id, "two")
    data_controls = org.client.beta.user_profiles.providers.google.data_controls
    pending = data_controls.update(profile_id, cmek={"type": "enabled", "external_key_ids": {"us": first}})
    assert pending.cmek.type == "enabled" and pending.cmek.external_key_ids == {"us": first}
    statuses = {region: status.model_dump() for region, status in pending.cmek.status.items()}
    assert statuses == {
        "us": {"type": "pending", "effective_external_key_id": None, "error": None},
        **{region: {"type": "not_configured", "effective_external_key_id": None} for region in ("eu", "sg", "global")},
    }
    assert pending.storage.type == "disabled"
    assert org.admin.beta.organization.external_keys.retrieve(first).attachment.type == "attached"
    with pytest.raises(anthropic.ConflictError, match="external key is attached"):
        org.admin.beta.organization.external_keys.delete(first)

    org.decide(profile_id, "cmek", "us", status="active")
    active = data_controls.retrieve(profile_id)
    assert active.cmek.type == "enabled"
    us = active.cmek.status["us"]
    assert us.type == "active" and us.effective_external_key_id == first and us.error is None
    assert us.validated_at == us.last_checked_at == active.updated_at

    replaced = data_controls.update(profile_id, cmek={"type": "enabled", "external_key_ids": {"us": second}})
    assert replaced.cmek.type == "enabled"
    assert replaced.cmek.status["us"].type == "pending"
    assert replaced.cmek.status["us"].effective_external_key_id == first  # the previous key until the new one passes
    decided = org.decide(profile_id, "cmek", "us", status="active")
    assert decided["cmek"]["status"]["us"]["effective_external_key_id"] == second
    retired = data_controls.retrieve(profile_id).cmek.retired_keys
    assert [(item.external_key_id, item.region) for item in retired] == [(first, "us")]
    validated_at = data_controls.retrieve(profile_id).cmek.status["us"].validated_at  # type: ignore[union-attr]
    assert retired[0].expires_at == validated_at + timedelta(days=7)

    removed = data_controls.update(profile_id, cmek={"type": "disabled"})
    assert removed.cmek.type == "disabled"
    assert [item.external_key_id for item in removed.cmek.retired_keys] == [first, second]


@compat("update")
def test_a_bucket_the_operator_fails_keeps_the_previous_and_can_be_sent_again(org: Organization) -> None:
    profile_id = org.profile()
    data_controls = org.client.beta.user_profiles.providers.google.data_controls
    sent = data_controls.update(profile_id, storage={"type": "enabled", "buckets": {"eu": BUCKET}})
    assert sent.storage.type == "enabled"
    assert sent.storage.buckets["eu"].model_dump() == {
        **BUCKET,
        "kms_key_name": None,
        "location": None,
        "project_id": None,
    }
    assert sent.storage.status["eu"].model_dump() == {"type": "pending", "effective_bucket": None, "failed_checks": []}
    check = {"check": "label_mismatch", "message": "the bucket lacks the profile's label", "role": None}
    failed = org.decide(profile_id, "storage", "eu", status="failed", failed_checks=[check])
    assert failed["storage"]["status"]["eu"] == {"type": "failed", "effective_bucket": None, "failed_checks": [check]}
    again = data_controls.update(profile_id, storage={"type": "enabled", "buckets": {"eu": BUCKET}})
    assert again.storage.type == "enabled"
    assert again.storage.status["eu"].type == "pending" and again.updated_at > sent.updated_at
    org.decide(profile_id, "storage", "eu", status="active")
    confirmed = data_controls.retrieve(profile_id).storage
    assert confirmed.type == "enabled"
    assert confirmed.buckets["eu"].location == "EU" and confirmed.buckets["eu"].project_id == "project-123456789012"
    assert confirmed.status["eu"].effective_bucket.model_dump() == BUCKET  # type: ignore[union-attr]
    # Leaving a region out keeps it; sending the same bucket again changes nothing.
    same = data_controls.update(profile_id, storage={"type": "enabled"}, cmek={"type": "disabled"})
    assert same.updated_at == data_controls.retrieve(profile_id).updated_at
    assert same.storage.type == "enabled"
    assert same.storage.status["eu"].type == "active"


@compat("retrieve")
def test_suspension_reads_suspended_without_moving_updated_at(org: Organization) -> None:
    profile_id = org.profile()
    key = org.gcp_key(profile_id)
    data_controls = org.client.beta.user_profiles.providers.google.data_controls
    before = data_controls.update(profile_id, cmek={"type": "enabled", "external_key_ids": {"us": key}})
    org.operate(f"/v1/admin/user_profiles/{profile_id}/data_controls/cmek/suspension", {"suspended": True})
    suspended = data_controls.retrieve(profile_id)
    assert {status.type for status in suspended.cmek.status.values()} == {"suspended"}  # type: ignore[union-attr]
    assert suspended.updated_at == before.updated_at
    org.operate(f"/v1/admin/user_profiles/{profile_id}/data_controls/cmek/suspension", {"suspended": False})
    assert data_controls.retrieve(profile_id).cmek.status["us"].type == "pending"  # type: ignore[union-attr]


@compat("update")
def test_keys_the_control_cannot_use_are_refused_with_their_error_codes(org: Organization) -> None:
    profile_id, other_profile = org.profile(), org.profile()
    arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    aws = org.admin.beta.organization.external_keys.create(provider_config={"type": "aws", "kms_arn": arn}).id
    data_controls = org.client.beta.user_profiles.providers.google.data_controls
    with pytest.raises(anthropic.BadRequestError) as unknown:
        data_controls.update(profile_id, cmek={"type": "enabled", "external_key_ids": {"us": "ekey_missing"}})
    assert unknown.value.error_code == "external_key_not_found"
    with pytest.raises(anthropic.BadRequestError) as mismatch:
        data_controls.update(profile_id, cmek={"type": "enabled", "external_key_ids": {"eu": aws}})
    assert mismatch.value.error_code == "external_key_provider_mismatch"
    foreign = org.gcp_key(other_profile)
    with pytest.raises(anthropic.BadRequestError, match="is bound to another user profile"):
        data_controls.update(profile_id, cmek={"type": "enabled", "external_key_ids": {"us": foreign}})
    assert data_controls.retrieve(profile_id).cmek.type == "disabled"


BAD_UPDATES: list[tuple[dict[str, Any], str]] = [
    ({"cmek": "on"}, "cmek: must be an object"),
    ({"cmek": {"type": "on"}}, "cmek.type: must be one of disabled, enabled"),
    ({"cmek": {"type": "enabled"}}, "cmek.external_key_ids: while the control is on, at least one region"),
    (
        {"cmek": {"type": "enabled", "external_key_ids": {"mars": "ekey_x"}}},
        "cmek.external_key_ids.mars: unknown region",
    ),
    ({"cmek": {"type": "enabled", "external_key_ids": {"us": 5}}}, "cmek.external_key_ids.us: must be an External Key"),
    ({"cmek": {"type": "disabled", "external_key_ids": {}}}, "cmek.external_key_ids: unknown field for type disabled"),
    ({"storage": {"type": "enabled", "buckets": {"us": {"bucket_name": "b-1"}}}}, "storage.buckets.us.project_number"),
    (
        {"storage": {"type": "enabled", "buckets": {"us": {**BUCKET, "bucket_name": "Bad_Name"}}}},
        "bucket_name: must be",
    ),
    ({"storage": {"type": "enabled", "buckets": {"us": {**BUCKET, "bucket_name": "google-x"}}}}, "contain google"),
    ({"storage": {"type": "enabled", "buckets": {"us": BUCKET, "eu": BUCKET}}}, "a bucket can serve only one region"),
    ({"storage": {"type": "enabled", "buckets": {"us": {**BUCKET, "x": 1}}}}, "storage.buckets.us.x: unknown field"),
    ({"storage": {"type": "enabled"}, "colour": 1}, "colour: unknown field"),
]


@pytest.mark.parametrize(("body", "message"), BAD_UPDATES)
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(
    org: Organization, server: Server, body: dict[str, Any], message: str
) -> None:
    profile_id = org.profile()
    data_controls = org.client.beta.user_profiles.providers.google.data_controls
    before = data_controls.retrieve(profile_id)
    api_key = org.client.api_key
    assert api_key is not None
    response = httpx.post(
        f"{server.url}/v1/user_profiles/{profile_id}/providers/google/data_controls",
        json=body,
        headers={"x-api-key": api_key, "anthropic-version": "2023-06-01", "anthropic-beta": BETA},
    )
    assert response.status_code == 400, response.text
    assert message in response.json()["error"]["message"]
    assert data_controls.retrieve(profile_id) == before


def test_other_organizations_and_requests_without_the_beta_value_get_404(
    org: Organization, server: Server, database: Database
) -> None:
    profile_id = org.profile()
    for other in new_organization(database, server.url):
        with pytest.raises(anthropic.NotFoundError, match="user profile not found"):
            other.client.beta.user_profiles.providers.google.data_controls.retrieve(profile_id)
        with pytest.raises(anthropic.NotFoundError):
            other.client.beta.user_profiles.providers.google.data_controls.update(profile_id, cmek={"type": "disabled"})
    with pytest.raises(anthropic.NotFoundError, match="not found"):  # extra_headers replace the SDK's beta values
        org.client.beta.user_profiles.providers.google.data_controls.retrieve(
            profile_id, extra_headers={"anthropic-beta": "user-profiles-2026-09-04"}
        )
    api_key = org.client.api_key
    assert api_key is not None
    without = httpx.get(
        f"{server.url}/v1/user_profiles/{profile_id}/providers/google/data_controls",
        headers={"x-api-key": api_key, "anthropic-version": "2023-06-01"},
    )
    assert (without.status_code, without.json()["error"]["message"]) == (404, "not found")


def test_the_operator_can_only_decide_a_pending_region(org: Organization) -> None:
    profile_id = org.profile()
    path = f"/v1/admin/user_profiles/{profile_id}/data_controls/cmek/us"
    response = org.operator.post(path, json={"status": "active"})
    assert response.status_code == 409 and "not_configured" in response.json()["error"]["message"]
    response = org.operator.post(
        f"/v1/admin/user_profiles/{profile_id}/data_controls/cmek/mars", json={"status": "active"}
    )
    assert response.status_code == 400 and response.json()["error"]["message"].startswith("region:")


BAD_DECISIONS: list[tuple[str, dict[str, Any], str]] = [
    ("cmek/us", {}, "status: must be one of active, failed"),
    ("cmek/us", {"status": "done"}, "status: must be one of active, failed"),
    ("cmek/us", {"status": "failed", "failed_checks": []}, "failed_checks: unknown field for control cmek"),
    ("cmek/us", {"status": "active", "error": "x"}, "error: only a failed region has an error"),
    ("storage/eu", {"status": "failed"}, "failed_checks: a failed bucket needs at least one failed check"),
    (
        "storage/eu",
        {"status": "failed", "failed_checks": [{"check": "nope", "message": "m"}]},
        "failed_checks[0].check",
    ),
    ("storage/eu", {"status": "failed", "failed_checks": [{"check": "encryption"}]}, "failed_checks[0].message"),
    ("cmek/suspension", {"suspended": "yes"}, "suspended: must be a boolean"),
    ("cmek/suspension", {"suspended": True, "why": 1}, "why: unknown field"),
    ("disk/suspension", {"suspended": True}, "control: must be one of cmek, storage"),
]


def test_bad_operator_decisions_are_refused_naming_the_field_and_change_nothing(org: Organization) -> None:
    profile_id = org.profile()
    key = org.gcp_key(profile_id)
    data_controls = org.client.beta.user_profiles.providers.google.data_controls
    data_controls.update(
        profile_id,
        cmek={"type": "enabled", "external_key_ids": {"us": key}},
        storage={"type": "enabled", "buckets": {"eu": BUCKET}},
    )
    before = data_controls.retrieve(profile_id)
    for place, body, message in BAD_DECISIONS:
        response = org.operator.post(f"/v1/admin/user_profiles/{profile_id}/data_controls/{place}", json=body)
        assert response.status_code == 400, (place, body, response.text)
        assert message in response.json()["error"]["message"], (place, body, response.text)
    assert data_controls.retrieve(profile_id) == before
