"""The data controls as the API shows them (`BetaGoogleManagedDataControls` of anthropic 2.14.0)."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Row

from uprof.data_controls.regions import REGIONS, Region, Retired
from uprof.data_controls.service import Snapshot
from uprof.timestamps import format_timestamp


def bucket_label_value(profile_id: str) -> str:
    """The label every bucket of the profile must carry: derived from the profile ID, so it never
    changes, and spelled as a Cloud Storage label value allows (lower-case letters, digits, hyphens)."""
    return "uprof-" + hashlib.sha256(profile_id.encode()).hexdigest()[:32]


def data_controls_view(snapshot: Snapshot) -> dict[str, Any]:
    controls = snapshot.controls
    return {
        "type": "google_managed_data_controls",
        "user_profile_id": controls.profile_id,
        "bucket_label_value": bucket_label_value(controls.profile_id),
        "cmek": _cmek(snapshot),
        "storage": _storage(snapshot),
        "updated_at": format_timestamp(controls.updated_at),
    }


def _regions(snapshot: Snapshot, control: str) -> list[Region]:
    held = snapshot.controls.regions
    return [held.get((control, code)) or Region(control, code) for code in REGIONS]


def _retired(snapshot: Snapshot, control: str) -> list[Retired]:
    return [item for item in snapshot.controls.retired if item.control == control and item.expires_at > snapshot.now]


def _cmek(snapshot: Snapshot) -> dict[str, Any]:
    retired = [
        {"external_key_id": item.reference["external_key_id"], "region": item.region, "expires_at": _time(item)}
        for item in _retired(snapshot, "cmek")
    ]
    if not snapshot.controls.enabled["cmek"]:
        return {"type": "disabled", "retired_keys": retired}
    regions = _regions(snapshot, "cmek")
    suspended = snapshot.controls.suspended["cmek"]
    return {
        "type": "enabled",
        "external_key_ids": {r.region: r.configured["external_key_id"] for r in regions if r.configured is not None},
        "status": {r.region: _key_status(r, snapshot.keys, suspended) for r in regions},
        "retired_keys": retired,
    }


def _key_status(region: Region, keys: dict[str, Row[Any]], suspended: bool) -> dict[str, Any]:
    effective = None if region.effective is None else region.effective["external_key_id"]
    status: dict[str, Any] = {
        "type": "suspended" if suspended else region.status,
        "effective_external_key_id": effective,
    }
    if suspended or region.status == "not_configured":
        return status
    configured = keys.get(region.configured["external_key_id"]) if region.configured else None
    failing = configured is not None and configured.validation_status == "failure"
    if region.status == "pending":
        status["error"] = configured.validation_error if failing and configured is not None else None
    elif region.status == "failed":
        status["error"] = region.error
    else:
        assert region.validated_at is not None
        checked = (
            region.validated_at if configured is None else max(region.validated_at, configured.validation_changed_at)
        )
        status["error"] = configured.validation_error if failing and configured is not None else None
        status["last_checked_at"] = format_timestamp(checked)
        status["validated_at"] = format_timestamp(region.validated_at)
    return status


def _storage(snapshot: Snapshot) -> dict[str, Any]:
    retired = [
        {**item.reference, "region": item.region, "expires_at": _time(item)} for item in _retired(snapshot, "storage")
    ]
    if not snapshot.controls.enabled["storage"]:
        return {"type": "disabled", "retired_buckets": retired}
    regions = _regions(snapshot, "storage")
    suspended = snapshot.controls.suspended["storage"]
    return {
        "type": "enabled",
        "buckets": {r.region: _bucket(r) for r in regions if r.configured is not None},
        "status": {r.region: _bucket_status(r, suspended) for r in regions},
        "retired_buckets": retired,
    }


def _bucket(region: Region) -> dict[str, Any]:
    assert region.configured is not None
    details = region.details or {}
    return {
        **region.configured,
        "project_id": details.get("project_id"),
        "location": details.get("location"),
        "kms_key_name": details.get("kms_key_name"),
    }


def _bucket_status(region: Region, suspended: bool) -> dict[str, Any]:
    status: dict[str, Any] = {"type": "suspended" if suspended else region.status, "effective_bucket": region.effective}
    if suspended or region.status == "not_configured":
        return status
    status["failed_checks"] = region.failed_checks
    if region.status == "active":
        assert region.validated_at is not None
        status["validated_at"] = format_timestamp(region.validated_at)
    return status


def _time(item: Retired) -> str:
    return format_timestamp(item.expires_at)
