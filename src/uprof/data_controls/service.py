"""Data controls use cases: retrieve, update, and the operator's decision and suspension (docs/data_controls.md).

Every use case locks the profile's row, then brings the controls up to date: a region pending for the
configured delay is decided now, at the moment it was due, from the stored times and the operator's
verdicts. Nothing runs in the background, so the outcome follows `utc_now()` whatever clock it reads.

Raises NotFound for a profile of no or another organization, InvalidRequest for a key the control
cannot use (`external_key_not_found`, `external_key_provider_mismatch`), and Conflict for an operator
decision on a region that is not pending.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row

from uprof.data_controls import regions, repository
from uprof.data_controls.regions import REGIONS, Region, Verdict
from uprof.data_controls.repository import Controls
from uprof.data_controls.schemas import ControlChange, Decision
from uprof.http.errors import Conflict, InvalidRequest, quote
from uprof.profiles.service import profile_not_found

MEMBERS = {"cmek": "external_key_ids", "storage": "buckets"}


@dataclass(frozen=True)
class Timing:
    """How long a pending region takes to be decided, and how long a retired entry stays listed."""

    delay: timedelta
    retention: timedelta


@dataclass(frozen=True)
class Snapshot:
    """A profile's controls as of `now`, with the External Keys they name (by ID)."""

    controls: Controls
    keys: dict[str, Row[Any]]
    now: datetime


def retrieve(connection: Connection, organization_id: str, profile_id: str, now: datetime, timing: Timing) -> Snapshot:
    controls = _open(connection, organization_id, profile_id, now, timing)
    return Snapshot(controls, _keys(connection, controls), now)


def update(
    connection: Connection,
    organization_id: str,
    profile_id: str,
    changes: dict[str, ControlChange],
    now: datetime,
    timing: Timing,
) -> Snapshot:
    """Apply `changes`: controls and regions left out keep what they have."""
    controls = _open(connection, organization_id, profile_id, now, timing)
    if "cmek" in changes:
        _check_keys(connection, organization_id, profile_id, changes["cmek"])
    changed = False
    for control, change in changes.items():
        changed |= _apply(controls, control, change, now, timing.retention)
    _check_buckets(controls, changes.get("storage"))
    if changed:
        controls.updated_at = now
        repository.save(connection, controls, now)
    return Snapshot(controls, _keys(connection, controls), now)


def decide(
    connection: Connection,
    organization_id: str,
    profile_id: str,
    place: tuple[str, str],
    decision: Decision,
    now: datetime,
    timing: Timing,
) -> Snapshot:
    """The operator ends a pending region's check now; on an active bucket, reports its daily checks."""
    controls = _open(connection, organization_id, profile_id, now, timing)
    control, code = place
    region = controls.regions.get(place) or Region(control, code)
    if region.status == "active" and control == "storage" and decision.status == "active":
        region.failed_checks = list(decision.failed_checks)
    elif region.status == "pending":
        verdict = Verdict(decision.status, decision.error, decision.failed_checks)
        controls.newly_retired += regions.decide(region, verdict, now, timing.retention)
        controls.updated_at = now
    else:
        raise Conflict(
            f"region {code} of the {control} control is {region.status}; only a pending region can be decided"
        )
    repository.save(connection, controls, now)
    return Snapshot(controls, _keys(connection, controls), now)


def suspend(
    connection: Connection,
    organization_id: str,
    profile_id: str,
    control: str,
    suspended: bool,
    now: datetime,
    timing: Timing,
) -> Snapshot:
    """Withdraw (or restore) approval of a control for the profile; `updated_at` does not move."""
    controls = _open(connection, organization_id, profile_id, now, timing)
    if controls.suspended[control] != suspended:
        controls.suspended[control] = suspended
        repository.save(connection, controls, now)
    return Snapshot(controls, _keys(connection, controls), now)


def _open(connection: Connection, organization_id: str, profile_id: str, now: datetime, timing: Timing) -> Controls:
    created_at = repository.lock_profile(connection, organization_id, profile_id)
    if created_at is None:
        raise profile_not_found()
    controls = repository.load(connection, organization_id, profile_id, created_at, now)
    if _settle(connection, controls, now, timing):
        repository.save(connection, controls, now)
    return controls


def _settle(connection: Connection, controls: Controls, now: datetime, timing: Timing) -> bool:
    """Decide every region whose delay has passed, as of the moment it passed."""
    settled = False
    keys: dict[str, Row[Any]] | None = None
    for region in controls.regions.values():
        at = regions.due(region, now, timing.delay)
        if at is None:
            continue
        keys = keys if keys is not None else _keys(connection, controls)
        controls.newly_retired += regions.decide(region, _default_verdict(region, keys), at, timing.retention)
        controls.updated_at = max(controls.updated_at, at)
        settled = True
    return settled


def _default_verdict(region: Region, keys: dict[str, Row[Any]]) -> Verdict:
    """A bucket passes; a key passes unless the operator set its validation to fail."""
    if region.control == "storage":
        return Verdict("active")
    key = keys.get(regions.key_id(region.configured) or "")
    if key is None:
        return Verdict("failed", error="the External Key no longer exists")
    if key.validation_status == "failure":
        return Verdict("failed", error=key.validation_error)
    return Verdict("active")


def _apply(controls: Controls, control: str, change: ControlChange, now: datetime, retention: timedelta) -> bool:
    held = [region for (name, _), region in controls.regions.items() if name == control]
    if not change.enabled:
        changed = controls.enabled[control] or any(region.status != "not_configured" for region in held)
        for region in held:
            controls.newly_retired += regions.remove(region, now, retention)
        controls.enabled[control] = False
        return changed
    changed = not controls.enabled[control]
    controls.enabled[control] = True
    for code, reference in change.regions.items():
        region = controls.regions.setdefault((control, code), Region(control, code))
        if reference is not None:
            changed |= regions.configure(region, reference, now)
        elif region.configured is not None or region.effective is not None:
            controls.newly_retired += regions.remove(region, now, retention)
            changed = True
    if not any(region.configured is not None for (name, _), region in controls.regions.items() if name == control):
        thing = "key" if control == "cmek" else "bucket"
        raise InvalidRequest(
            f"{control}.{MEMBERS[control]}: while the control is on, at least one region must have a {thing}"
        )
    return changed


def _check_keys(connection: Connection, organization_id: str, profile_id: str, change: ControlChange) -> None:
    """Every key sent must be a Google Cloud key of the organization, bound to this profile."""
    wanted = {code: ref["external_key_id"] for code, ref in change.regions.items() if ref is not None}
    found = repository.get_keys(connection, organization_id, list(wanted.values()), for_share=True)
    for code, key_id in wanted.items():
        path = f"cmek.external_key_ids.{code}"
        key = found.get(key_id)
        if key is None:
            raise InvalidRequest(
                f"{path}: no External Key '{quote(key_id)}' in the organization", error_code="external_key_not_found"
            )
        if key.provider_config["type"] != "gcp":
            raise InvalidRequest(
                f"{path}: External Key {key_id} is held by {key.provider_config['type']}; this control takes Google"
                " Cloud KMS keys (gcp)",
                error_code="external_key_provider_mismatch",
            )
        if key.user_profile_id != profile_id:
            bound = "is bound to another user profile" if key.user_profile_id else "is bound to no user profile"
            raise InvalidRequest(f"{path}: External Key {key_id} {bound}; bind it to {profile_id} when creating it")


def _check_buckets(controls: Controls, change: ControlChange | None) -> None:
    if change is None:
        return
    serving: dict[tuple[str, str], str] = {}
    for code in REGIONS:
        region = controls.regions.get(("storage", code))
        if region is None or region.configured is None:
            continue
        bucket = (region.configured["project_number"], region.configured["bucket_name"])
        if bucket in serving:
            named = code if code in change.regions else serving[bucket]
            other = serving[bucket] if named == code else code
            raise InvalidRequest(
                f"storage.buckets.{named}: bucket {bucket[1]} already serves region {other}; a bucket can serve only"
                " one region"
            )
        serving[bucket] = code


def _keys(connection: Connection, controls: Controls) -> dict[str, Row[Any]]:
    return repository.get_keys(connection, controls.organization_id, list(_named_keys(controls)))


def _named_keys(controls: Controls) -> Iterable[str]:
    for region in controls.regions.values():
        for reference in (region.configured, region.effective):
            key_id = regions.key_id(reference)
            if key_id is not None:
                yield key_id
