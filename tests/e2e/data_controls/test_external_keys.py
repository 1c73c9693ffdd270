"""`client.beta.organization.external_keys` of anthropic 2.14.0 against a real server, both backends."""

from __future__ import annotations

import re
from typing import Any

import anthropic
import pytest

from tests.e2e.conftest import Server
from tests.e2e.data_controls.conftest import EXTERNAL_KEYS_CLIENT, KMS_KEY, Organization, new_organization
from tests.e2e.webhooks.support import Receiver
from uprof.db.unit_of_work import Database


def compat(operation: str) -> pytest.MarkDecorator:
    return pytest.mark.compat(client=EXTERNAL_KEYS_CLIENT, operation=operation)


@compat("create")
@compat("retrieve")
@compat("update")
@compat("delete")
def test_a_key_is_created_read_renamed_and_deleted(org: Organization) -> None:
    profile_id = org.profile()
    keys = org.admin.beta.organization.external_keys
    created = keys.create(
        provider_config={"type": "gcp", "key_name": KMS_KEY.format("one")},
        display_name="Customer key",
        user_profile_id=profile_id,
    )
    assert re.fullmatch(r"ekey_[0-9A-Za-z]{24}", created.id)
    assert (created.type, created.geo, created.user_profile_id) == ("external_key", "us", profile_id)
    assert created.provider_config.type == "gcp" and created.provider_config.key_name == KMS_KEY.format("one")
    assert created.attachment.type == "unattached" and created.created_at == created.updated_at
    assert keys.retrieve(created.id) == created
    renamed = keys.update(created.id, display_name="Renamed")
    assert renamed.display_name == "Renamed" and renamed.updated_at > created.updated_at
    assert renamed.provider_config == created.provider_config
    with pytest.raises(anthropic.BadRequestError, match="provider_config: a Google Cloud key's provider"):
        keys.update(created.id, provider_config={"type": "gcp", "key_name": KMS_KEY.format("other")})
    assert keys.delete(created.id).model_dump() == {"id": created.id, "type": "external_key_deleted"}
    with pytest.raises(anthropic.NotFoundError, match="external key not found"):
        keys.retrieve(created.id)


@compat("create")
@compat("update")
def test_aws_and_azure_configs_are_checked_for_shape_and_echoed(org: Organization) -> None:
    keys = org.admin.beta.organization.external_keys
    arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    aws = keys.create(provider_config={"type": "aws", "kms_arn": arn})
    assert aws.provider_config.model_dump() == {"type": "aws", "kms_arn": arn, "region": "eu-west-1", "role_arn": None}
    assert aws.user_profile_id is None and aws.display_name is None
    azure_config: Any = {
        "type": "azure",
        "key_name": "customer-key",
        "tenant_id": "9f2c1a4e-1111-4c2d-9e3f-0123456789ab",
        "vault_uri": "https://acme-vault.vault.azure.net",
    }
    azure = keys.create(provider_config=azure_config)
    assert azure.provider_config.model_dump() == {**azure_config, "client_id": None}
    # An unattached AWS key may move to Azure.
    moved = keys.update(aws.id, provider_config=azure_config, geo="us")
    assert moved.provider_config.type == "azure"


@compat("list")
def test_keys_are_listed_newest_first_across_pages(org: Organization) -> None:
    made = [org.gcp_key(None, name=str(index)) for index in range(5)]
    keys = org.admin.beta.organization.external_keys
    first = keys.list(limit=2)
    assert [key.id for key in first.data] == made[::-1][:2] and first.next_page is not None
    assert [key.id for key in keys.list(limit=2)] == made[::-1]  # the SDK follows next_page


@compat("validate")
def test_validation_answers_as_the_operator_decided_and_sends_webhook_events(org: Organization) -> None:
    profile_id = org.profile()
    key_id = org.gcp_key(profile_id)
    keys = org.admin.beta.organization.external_keys
    receiver = Receiver()
    try:
        endpoint = org.admin.beta.organization.webhooks.create(
            url=receiver.url("/keys"), enabled_events=["external_key.failed", "external_key.recovered"]
        )
        receiver.route("/keys", endpoint.signing_secret)
        assert keys.validate(key_id).model_dump() == {
            "type": "external_key_validation",
            "status": "success",
            "error": None,
        }
        org.operate(f"/v1/admin/external_keys/{key_id}/validation", {"status": "failure", "error": "permission denied"})
        failed = keys.validate(key_id)
        assert (failed.status, failed.error) == ("failure", "permission denied")
        org.operate(f"/v1/admin/external_keys/{key_id}/validation", {"status": "failure", "error": "still denied"})
        org.operate(f"/v1/admin/external_keys/{key_id}/validation", {"status": "success"})
        assert keys.validate(key_id).status == "success"
        delivered = receiver.wait("/keys", 2)
    finally:
        receiver.close()
    # One event per change of outcome (a new error alone is none), each verified by the SDK's unwrap.
    events = sorted((item.event for item in delivered if item.event is not None), key=lambda event: event.created_at)
    assert [event.data.model_dump() for event in events] == [
        {"type": "external_key.failed", "id": key_id, "organization_id": org.organization_id},
        {"type": "external_key.recovered", "id": key_id, "organization_id": org.organization_id},
    ]
    assert all(item.verified_with for item in delivered)


BAD_CREATES: list[tuple[dict[str, Any], str]] = [
    ({}, "provider_config: field is required"),
    ({"provider_config": "gcp"}, "provider_config: must be an object"),
    ({"provider_config": {"type": "ibm"}}, "provider_config.type: must be one of gcp, aws, azure"),
    ({"provider_config": {"type": "gcp"}}, "provider_config.key_name: field is required"),
    ({"provider_config": {"type": "gcp", "key_name": "my-key"}}, "provider_config.key_name: must be a Cloud KMS"),
    ({"provider_config": {"type": "gcp", "key_name": KMS_KEY.format("a"), "kms_arn": "x"}}, "provider_config.kms_arn"),
    ({"provider_config": {"type": "aws", "kms_arn": "arn:aws:s3:::bucket"}}, "provider_config.kms_arn: must be"),
    ({"provider_config": {"type": "azure", "key_name": "k"}}, "provider_config.vault_uri: field is required"),
    ({"provider_config": {"type": "gcp", "key_name": KMS_KEY.format("a")}, "geo": "eu"}, "geo: must be one of us"),
    ({"provider_config": {"type": "gcp", "key_name": KMS_KEY.format("a")}, "display_name": 7}, "display_name:"),
    ({"provider_config": {"type": "gcp", "key_name": KMS_KEY.format("a")}, "colour": "red"}, "colour: unknown field"),
]


@pytest.mark.parametrize(("body", "message"), BAD_CREATES)
def test_bad_input_is_refused_naming_the_field_and_creates_nothing(
    server: Server, org: Organization, body: dict[str, Any], message: str
) -> None:
    response = org.operator.post(
        "/v1/organizations/external_keys", json=body, headers={"anthropic-version": "2023-06-01"}
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert message in response.json()["error"]["message"]
    assert org.admin.beta.organization.external_keys.list().data == []


def test_a_key_bound_to_a_missing_profile_is_refused(org: Organization) -> None:
    with pytest.raises(anthropic.BadRequestError) as refused:
        org.gcp_key("uprof_000000000000000000000000")
    assert refused.value.error_code == "user_profile_not_found"
    assert refused.value.body["error"]["message"].startswith("user_profile_id:")  # type: ignore[index]


def test_standard_keys_and_other_organizations_cannot_reach_a_key(
    org: Organization, server: Server, database: Database
) -> None:
    key_id = org.gcp_key(None)
    with pytest.raises(anthropic.PermissionDeniedError):
        org.client.beta.organization.external_keys.retrieve(key_id)
    for other in new_organization(database, server.url):
        for call in (
            other.admin.beta.organization.external_keys.retrieve,
            other.admin.beta.organization.external_keys.delete,
        ):
            with pytest.raises(anthropic.NotFoundError, match="external key not found"):
                call(key_id)
        assert other.admin.beta.organization.external_keys.list().data == []
    assert org.admin.beta.organization.external_keys.retrieve(key_id).id == key_id


BAD_CHANGES: list[tuple[str, dict[str, Any], str]] = [
    ("", {"geo": "eu"}, "geo: must be one of us"),
    ("", {"display_name": 5}, "display_name: must be a string"),
    ("", {"provider_config": {"type": "aws", "kms_arn": "arn:aws:kms:bad"}}, "provider_config.kms_arn: must be"),
    ("", {"user_profile_id": None}, "user_profile_id: unknown field"),
    ("/validate", {"status": "success"}, "status: unknown field"),
]
BAD_VERDICTS: list[tuple[dict[str, Any], str]] = [
    ({}, "status: must be one of success, failure"),
    ({"status": "maybe"}, "status: must be one of success, failure"),
    ({"status": "success", "error": "x"}, "error: only a failure has an error"),
    ({"status": "failure", "error": ""}, "error: must be a string of 1 to 1000 characters"),
    ({"status": "failure", "note": "x"}, "note: unknown field"),
]


def test_bad_changes_and_verdicts_are_refused_naming_the_field_and_change_nothing(org: Organization) -> None:
    key_id = org.gcp_key(None)
    keys = org.admin.beta.organization.external_keys
    before = keys.retrieve(key_id)
    for suffix, body, message in BAD_CHANGES:
        response = org.operator.post(
            f"/v1/organizations/external_keys/{key_id}{suffix}", json=body, headers={"anthropic-version": "2023-06-01"}
        )
        assert (response.status_code, response.json()["error"]["type"]) == (400, "invalid_request_error"), body
        assert message in response.json()["error"]["message"], (body, response.text)
    for body, message in BAD_VERDICTS:
        response = org.operator.post(f"/v1/admin/external_keys/{key_id}/validation", json=body)
        assert response.status_code == 400 and message in response.json()["error"]["message"], (body, response.text)
    assert keys.retrieve(key_id) == before and keys.validate(key_id).status == "success"
