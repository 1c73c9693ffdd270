"""Validation of data controls bodies (docs/data_controls.md §1, §4); the output is plain values.

Only shape is checked here; whether an External Key exists and may be used is the service's question.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from uprof.data_controls.regions import CONTROLS, REGIONS
from uprof.http.errors import InvalidRequest, member_path, one_of, quote

CONTROL_TYPES = ("disabled", "enabled")
MAX_KEY_ID = 64
MAX_ERROR = 1000
MAX_CHECKS = 20
FAILED_CHECKS = (
    "label_mismatch",
    "location_mismatch",
    "encryption",
    "versioning",
    "bucket_settings",
    "lifecycle_rules",
    "deletion_policy",
    "grant_mismatch",
    "kms_key_refused",
    "probe_failed",
    "project_not_verified",
)
ROLES = ("ingest", "read", "maintenance", "media_erasure", "verify")

# Cloud Storage's rules for a bucket name without dots, and a project number in decimal.
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]")
_PROJECT_NUMBER = re.compile(r"[1-9][0-9]{0,19}")
_BUCKET_HINT = (
    "must be 3 to 63 lower-case letters, digits, hyphens and underscores, starting and ending with a letter or digit"
)


@dataclass(frozen=True)
class ControlChange:
    """One control of an update: `enabled`, and per region a reference to set or None to remove."""

    enabled: bool
    regions: dict[str, dict[str, Any] | None]


def update_body(body: Mapping[str, Any]) -> dict[str, ControlChange]:
    """The body of `POST …/providers/google/data_controls`: `cmek`, `storage`, or both. A control left
    out (or `null`) keeps what it has, so a body with neither changes nothing (docs/data_controls.md §1)."""
    for key in body:
        if key not in CONTROLS:
            raise InvalidRequest(f"{member_path('', key)}: unknown field")
    changes = {}
    if body.get("cmek") is not None:
        changes["cmek"] = _control(body["cmek"], "cmek", "external_key_ids", _key_reference)
    if body.get("storage") is not None:
        changes["storage"] = _control(body["storage"], "storage", "buckets", bucket_reference)
    return changes


def _control(value: Any, control: str, members: str, reference: Any) -> ControlChange:
    if not isinstance(value, dict):
        raise InvalidRequest(f"{control}: must be an object")
    kind = value.get("type")
    if kind not in CONTROL_TYPES:
        raise InvalidRequest(f"{control}.type: {one_of(CONTROL_TYPES)}")
    allowed = ("type",) if kind == "disabled" else ("type", members)
    for key in value:
        if key not in allowed:
            raise InvalidRequest(f"{member_path(control, key)}: unknown field for type {kind}")
    if kind == "disabled":
        return ControlChange(False, {})
    per_region = value.get(members)
    if per_region is None:
        return ControlChange(True, {})
    path = f"{control}.{members}"
    if not isinstance(per_region, dict):
        raise InvalidRequest(f"{path}: must be an object keyed by region code")
    regions: dict[str, dict[str, Any] | None] = {}
    for region, item in per_region.items():
        if region not in REGIONS:
            raise InvalidRequest(f"{member_path(path, region)}: unknown region; {one_of(REGIONS)}")
        regions[region] = None if item is None else reference(item, f"{path}.{region}")
    return ControlChange(True, regions)


def _key_reference(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_KEY_ID:
        raise InvalidRequest(f"{path}: must be an External Key ID (ekey_...) or null")
    return {"external_key_id": value}


def bucket_reference(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidRequest(f"{path}: must be an object with project_number and bucket_name, or null")
    for key in value:
        if key not in ("project_number", "bucket_name"):
            raise InvalidRequest(f"{member_path(path, key)}: unknown field")
    number, name = value.get("project_number"), value.get("bucket_name")
    if number is None:
        raise InvalidRequest(f"{path}.project_number: field is required")
    if not isinstance(number, str) or not _PROJECT_NUMBER.fullmatch(number):
        raise InvalidRequest(f"{path}.project_number: must be a Google Cloud project number in decimal")
    if name is None:
        raise InvalidRequest(f"{path}.bucket_name: field is required")
    if not isinstance(name, str) or not _BUCKET_NAME.fullmatch(name):
        raise InvalidRequest(f"{path}.bucket_name: {_BUCKET_HINT}")
    if name.startswith("goog") or "google" in name:
        raise InvalidRequest(f"{path}.bucket_name: cannot start with goog or contain google ('{quote(name)}')")
    return {"project_number": number, "bucket_name": name}


# --- the operator's side (Admin API) ---


def control_name(value: str) -> str:
    if value not in CONTROLS:
        raise InvalidRequest(f"control: {one_of(CONTROLS)}")
    return value


def region_name(value: str) -> str:
    if value not in REGIONS:
        raise InvalidRequest(f"region: {one_of(REGIONS)}")
    return value


@dataclass(frozen=True)
class Decision:
    status: str
    error: str | None
    failed_checks: tuple[dict[str, Any], ...]


def decision(body: Mapping[str, Any], control: str) -> Decision:
    """Body of `POST /v1/admin/user_profiles/{id}/data_controls/{control}/{region}`: `status` (`active`
    or `failed`), with `error` (cmek) or `failed_checks` (storage)."""
    allowed = ("status", "error") if control == "cmek" else ("status", "failed_checks")
    for key in body:
        if key not in allowed:
            raise InvalidRequest(f"{member_path('', key)}: unknown field for control {control}")
    status = body.get("status")
    if status not in ("active", "failed"):
        raise InvalidRequest("status: must be one of active, failed")
    error = body.get("error")
    if error is not None and (not isinstance(error, str) or not 1 <= len(error) <= MAX_ERROR):
        raise InvalidRequest(f"error: must be a string of 1 to {MAX_ERROR} characters")
    checks = failed_checks(body.get("failed_checks"))
    if status == "failed" and control == "storage" and not checks:
        raise InvalidRequest("failed_checks: a failed bucket needs at least one failed check")
    if status == "active" and error is not None:
        raise InvalidRequest("error: only a failed region has an error")
    if status == "failed" and control == "cmek" and error is None:
        error = "Cloud KMS refused the key"
    return Decision(status, error, checks)


def failed_checks(value: Any) -> tuple[dict[str, Any], ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_CHECKS:
        raise InvalidRequest(f"failed_checks: must be a list of at most {MAX_CHECKS} checks")
    return tuple(_failed_check(item, f"failed_checks[{index}]") for index, item in enumerate(value))


def _failed_check(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidRequest(f"{path}: must be an object")
    for key in value:
        if key not in ("check", "message", "role"):
            raise InvalidRequest(f"{member_path(path, key)}: unknown field")
    if value.get("check") not in FAILED_CHECKS:
        raise InvalidRequest(f"{path}.check: {one_of(FAILED_CHECKS)}")
    message = value.get("message")
    if not isinstance(message, str) or not 1 <= len(message) <= MAX_ERROR:
        raise InvalidRequest(f"{path}.message: must be a string of 1 to {MAX_ERROR} characters")
    role = value.get("role")
    if role is not None and role not in ROLES:
        raise InvalidRequest(f"{path}.role: {one_of(ROLES)}, or null")
    return {"check": value["check"], "message": message, "role": role}


def suspension(body: Mapping[str, Any]) -> bool:
    """Body of `POST /v1/admin/user_profiles/{id}/data_controls/{control}/suspension`: `suspended`."""
    for key in body:
        if key != "suspended":
            raise InvalidRequest(f"{member_path('', key)}: unknown field")
    value = body.get("suspended")
    if not isinstance(value, bool):
        raise InvalidRequest("suspended: must be a boolean")
    return value
