"""Validation of External Key bodies and queries (docs/data_controls.md §2); the output is plain values.

Each provider configuration is checked for shape only: uprof cannot reach a key management service,
so a well-formed name of a key that does not exist is accepted, as the real API accepts it until the
key is validated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from uprof.http.errors import InvalidRequest, member_path, one_of, quote

GEOS = ("us",)
PROVIDERS = ("gcp", "aws", "azure")
MAX_DISPLAY_NAME = 255
MAX_FIELD = 512  # any one provider field: resource names, ARNs and URIs are far shorter

_GCP_KEY = re.compile(r"projects/[a-z0-9-]+/locations/[a-z0-9-]+/keyRings/[A-Za-z0-9_-]+/cryptoKeys/[A-Za-z0-9_-]+")
_AWS_ARN = re.compile(r"arn:aws(?:-[a-z]+)*:kms:([a-z0-9-]+):(\d{12}):(?:key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+)")
_AWS_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d")
_AZURE_VAULT = re.compile(r"https://[A-Za-z0-9-]{3,24}\.(?:vault\.azure\.net|managedhsm\.azure\.net)/?")
_AZURE_KEY_NAME = re.compile(r"[A-Za-z0-9-]{1,127}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

_FIELDS = {
    "gcp": ("type", "key_name"),
    "aws": ("type", "kms_arn", "region", "role_arn"),
    "azure": ("type", "key_name", "tenant_id", "vault_uri", "client_id"),
}


@dataclass(frozen=True)
class NewExternalKey:
    provider_config: dict[str, Any]
    display_name: str | None
    geo: str
    user_profile_id: str | None


def new_external_key(body: Mapping[str, Any]) -> NewExternalKey:
    """The body of `POST /v1/organizations/external_keys`; raises InvalidRequest naming the first problem."""
    _only(body, ("provider_config", "display_name", "geo", "user_profile_id"))
    if body.get("provider_config") is None:
        raise InvalidRequest("provider_config: field is required")
    config = provider_config(body["provider_config"])
    display_name = _display_name(body.get("display_name"))
    geo = _geo(body.get("geo", "us"), nullable=False) or "us"
    profile_id = body.get("user_profile_id")
    if profile_id is not None and (not isinstance(profile_id, str) or not profile_id):
        raise InvalidRequest("user_profile_id: must be a user profile ID (uprof_...) or null")
    return NewExternalKey(config, display_name, geo, profile_id)


def external_key_changes(body: Mapping[str, Any]) -> dict[str, Any]:
    """The fields an update sends, validated; `null` for `geo` or `provider_config` means unchanged."""
    _only(body, ("display_name", "geo", "provider_config"))
    changes: dict[str, Any] = {}
    if "display_name" in body:
        changes["display_name"] = _display_name(body["display_name"])
    geo = _geo(body.get("geo"), nullable=True)
    if geo is not None:
        changes["geo"] = geo
    if body.get("provider_config") is not None:
        changes["provider_config"] = provider_config(body["provider_config"])
    return changes


def provider_config(value: Any) -> dict[str, Any]:
    """A provider configuration as stored and echoed: every optional field present, `null` when not sent."""
    if not isinstance(value, dict):
        raise InvalidRequest("provider_config: must be an object")
    kind = value.get("type")
    if kind not in PROVIDERS:
        raise InvalidRequest(f"provider_config.type: {one_of(PROVIDERS)}")
    for key in value:
        if key not in _FIELDS[kind]:
            raise InvalidRequest(f"{member_path('provider_config', key)}: unknown field for type {kind}")
    if kind == "gcp":
        return {"type": "gcp", "key_name": _matching(value, "key_name", _GCP_KEY, _GCP_HINT)}
    if kind == "aws":
        return _aws(value)
    return _azure(value)


_GCP_HINT = "must be a Cloud KMS key name: projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>"
_AWS_HINT = "must be an AWS KMS key ARN: arn:aws:kms:<region>:<account>:key/<key-id> (or alias/<name>)"
_VAULT_HINT = "must be https://<vault-name>.vault.azure.net or https://<hsm-name>.managedhsm.azure.net"


def _aws(value: Mapping[str, Any]) -> dict[str, Any]:
    arn = _matching(value, "kms_arn", _AWS_ARN, _AWS_HINT)
    match = _AWS_ARN.fullmatch(arn)
    assert match is not None
    region = _optional(value, "region")
    if region is not None and not _AWS_REGION.fullmatch(region):
        raise InvalidRequest("provider_config.region: must be an AWS region code such as us-east-1")
    if region is not None and region != match.group(1):
        raise InvalidRequest(f"provider_config.region: must be {match.group(1)}, the region of kms_arn")
    return {"type": "aws", "kms_arn": arn, "region": region or match.group(1), "role_arn": _optional(value, "role_arn")}


def _azure(value: Mapping[str, Any]) -> dict[str, Any]:
    vault_uri = _matching(value, "vault_uri", _AZURE_VAULT, _VAULT_HINT)
    key_name = _matching(value, "key_name", _AZURE_KEY_NAME, "must be 1 to 127 letters, digits and hyphens")
    tenant_id = _matching(value, "tenant_id", _UUID, "must be a directory (tenant) ID, a UUID")
    client_id = _optional(value, "client_id")
    if client_id is not None and not _UUID.fullmatch(client_id):
        raise InvalidRequest("provider_config.client_id: must be an application (client) ID, a UUID, or null")
    return {
        "type": "azure",
        "key_name": key_name,
        "tenant_id": tenant_id,
        "vault_uri": vault_uri,
        "client_id": client_id,
    }


def _matching(value: Mapping[str, Any], field: str, pattern: re.Pattern[str], hint: str) -> str:
    if field not in value or value[field] is None:
        raise InvalidRequest(f"provider_config.{field}: field is required")
    text = value[field]
    if not isinstance(text, str) or len(text) > MAX_FIELD or not pattern.fullmatch(text):
        shown = f" (got '{quote(text)}')" if isinstance(text, str) else ""
        raise InvalidRequest(f"provider_config.{field}: {hint}{shown}")
    return text


def _optional(value: Mapping[str, Any], field: str) -> str | None:
    text = value.get(field)
    if text is None:
        return None
    if not isinstance(text, str) or not 1 <= len(text) <= MAX_FIELD:
        raise InvalidRequest(f"provider_config.{field}: must be a string of 1 to {MAX_FIELD} characters, or null")
    return text


def _display_name(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_DISPLAY_NAME:
        raise InvalidRequest(f"display_name: must be a string of at most {MAX_DISPLAY_NAME} characters, or null")
    return value


def _geo(value: Any, *, nullable: bool) -> str | None:
    if value is None and nullable:
        return None
    if value not in GEOS:
        raise InvalidRequest(f"geo: {one_of(GEOS)}")
    return str(value)


def _only(body: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    for key in body:
        if key not in allowed:
            raise InvalidRequest(f"{member_path('', key)}: unknown field")


# --- the operator's decision (Admin API) ---

VALIDATION_STATUSES = ("success", "failure")
MAX_ERROR = 1000


@dataclass(frozen=True)
class ValidationOutcome:
    status: str
    error: str | None


def validation_outcome(body: Mapping[str, Any]) -> ValidationOutcome:
    """Body of `POST /v1/admin/external_keys/{id}/validation`: `status`, and `error` for a failure."""
    _only(body, ("status", "error"))
    status = body.get("status")
    if status not in VALIDATION_STATUSES:
        raise InvalidRequest(f"status: {one_of(VALIDATION_STATUSES)}")
    error = body.get("error")
    if error is not None and (not isinstance(error, str) or not 1 <= len(error) <= MAX_ERROR):
        raise InvalidRequest(f"error: must be a string of 1 to {MAX_ERROR} characters")
    if status == "success":
        if error is not None:
            raise InvalidRequest("error: only a failure has an error")
        return ValidationOutcome("success", None)
    return ValidationOutcome("failure", error or "the key management service refused the key")
