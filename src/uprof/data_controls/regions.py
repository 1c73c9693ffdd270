"""One region of one control, and how it moves between statuses (docs/data_controls.md §3): pure code.

A region holds what the customer configured and what it applies now (`effective`). Setting a new key
or bucket makes the region `pending`; once decided it becomes `active` (the new one takes effect and
the previous one is retired) or `failed` (the previous one stays in effect). Removing a key or bucket
retires the one in effect at once. Retired entries expire `retention` after they were retired.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

REGIONS = ("us", "eu", "sg", "global")
CONTROLS = ("cmek", "storage")

# Where Cloud Storage would report a confirmed bucket of each region to be.
BUCKET_LOCATIONS = {"us": "US", "eu": "EU", "sg": "ASIA-SOUTHEAST1", "global": "US"}


@dataclass
class Region:
    control: str
    region: str
    configured: dict[str, Any] | None = None
    effective: dict[str, Any] | None = None
    status: str = "not_configured"  # not_configured, pending, active or failed
    pending_since: datetime | None = None
    validated_at: datetime | None = None
    error: str | None = None
    failed_checks: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] | None = None  # a confirmed bucket's project_id, location, kms_key_name


@dataclass(frozen=True)
class Retired:
    control: str
    region: str
    reference: dict[str, Any]
    expires_at: datetime


@dataclass(frozen=True)
class Verdict:
    """How a pending region ends: `active`, or `failed` with an error (cmek) or failed checks (storage)."""

    status: str
    error: str | None = None
    failed_checks: tuple[dict[str, Any], ...] = ()
    details: dict[str, Any] | None = None


def key_id(reference: dict[str, Any] | None) -> str | None:
    return None if reference is None else reference.get("external_key_id")


def configure(region: Region, reference: dict[str, Any], now: datetime) -> bool:
    """Set the region's key or bucket; True if that changed anything. Sending what is already pending
    or active changes nothing; sending it again after a failure restarts the check."""
    if reference == region.configured and region.status in ("pending", "active"):
        return False
    region.configured = reference
    region.status = "pending"
    region.pending_since = now
    region.error = None
    region.failed_checks = []
    region.details = None
    return True


def remove(region: Region, now: datetime, retention: timedelta) -> list[Retired]:
    """Take the region's key or bucket away; the one in effect is retired."""
    retired = _retire(region, region.effective, now + retention)
    region.configured = region.effective = None
    region.status = "not_configured"
    region.pending_since = region.validated_at = region.error = region.details = None
    region.failed_checks = []
    return retired


def due(region: Region, now: datetime, delay: timedelta) -> datetime | None:
    """When a pending region is decided by the development default, if that moment has come."""
    if region.status != "pending" or region.pending_since is None:
        return None
    moment = region.pending_since + delay
    return moment if moment <= now else None


def decide(region: Region, verdict: Verdict, at: datetime, retention: timedelta) -> list[Retired]:
    """End a pending region's check at `at`; an `active` verdict puts the new key or bucket in effect."""
    if verdict.status == "failed":
        region.status = "failed"
        region.error = verdict.error
        region.failed_checks = list(verdict.failed_checks)
        return []
    retired = [] if region.effective == region.configured else _retire(region, region.effective, at + retention)
    region.effective = region.configured
    region.status = "active"
    region.validated_at = at
    region.error = None
    region.failed_checks = list(verdict.failed_checks)
    if region.control == "storage" and region.configured is not None:
        region.details = verdict.details or confirmed_bucket(region.region, region.configured)
    return retired


def confirmed_bucket(region: str, bucket: dict[str, Any]) -> dict[str, Any]:
    """What Cloud Storage would report for a bucket that passed, by default (docs/data_controls.md §4)."""
    return {
        "project_id": f"project-{bucket['project_number']}",
        "location": BUCKET_LOCATIONS.get(region, "US"),
        "kms_key_name": None,
    }


def _retire(region: Region, reference: dict[str, Any] | None, expires_at: datetime) -> list[Retired]:
    if reference is None:
        return []
    return [Retired(region.control, region.region, reference, expires_at)]
