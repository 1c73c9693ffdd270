"""The operator's and end user's use cases: program standing, applications, enforcement, identity checks.

Every change follows docs/reference/provider.md §7: program changes move `updated_at` and queue one
`program_status_updated`; enforcement changes queue their events and leave `updated_at` alone.
Events go through the outbox in the caller's transaction. Raises the API errors named per function.
Every change locks what it decides on before it checks it, in the order provider/locks.py writes down.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from uprof.http.errors import Conflict, InvalidRequest, NotFound
from uprof.ids import new_id
from uprof.profiles import repository as profiles
from uprof.profiles.records import Profile
from uprof.profiles.service import next_updated_at
from uprof.provider import repository, schemas
from uprof.provider.locks import locked_child, locked_profile
from uprof.provider.records import Enrollment
from uprof.standing import programs
from uprof.standing import repository as standing
from uprof.standing.enforcement import is_open
from uprof.standing.records import EnforcementAction, IdentityCheck
from uprof.webhooks import outbox

# --- program standing ---


def store_standing(
    connection: Connection, profile: Profile, program: str, new: dict[str, Any] | None, now: datetime
) -> Profile:
    """Write a program's standing if it differs: `updated_at` moves and one event is queued. The profile as
    it now stands."""
    if profile.program(program) == new:
        return profile
    updated_at = next_updated_at(profile.updated_at, now)
    profiles.update_profile(connection, profile.id, {program: new, "updated_at": updated_at})
    outbox.record(connection, profile.organization_id, outbox.PROGRAM_STATUS_UPDATED, profile.id, now)
    return profile.with_program(program, new, updated_at)


def set_program(
    connection: Connection,
    organization_id: str,
    profile_id: str,
    program: str,
    *,
    status: str | None = None,
    items: dict[str, str] | None = None,
    requirements: dict[str, bool] | None = None,
    now: datetime,
) -> Profile:
    """Set status, tiers/features and (cyber) requirements as docs/reference/provider.md §5.7 says; return the profile
    as it now stands.

    Raises NotFound, or InvalidRequest when no status would result or an item is active without `active`.
    """
    profile = locked_profile(connection, organization_id, profile_id)
    stored = profile.program(program)
    new = programs.current(stored, program)
    field = programs.ITEM_FIELD[program]
    merged_items = {**new[field], **(items or {})}
    resulting = status or ("active" if "active" in merged_items.values() else new["status"])
    if resulting is None:
        raise InvalidRequest("status: required while the profile has no status in this program")
    if resulting != "active":
        for name, state in (items or {}).items():
            if state == "active":
                raise InvalidRequest(f"{field}.{name}: can be active only when status is active")
        merged_items = dict.fromkeys(merged_items, "inactive")
    new = {**new, "status": resulting, field: merged_items}
    if program == "cyber" and requirements:
        new["requirements"] = {**new["requirements"], **requirements}
    if stored is not None and stored["status"] != resulting or stored is None:
        repository.supersede_pending(connection, profile_id, program, now)
    return store_standing(connection, profile, program, new, now)


def change_program(
    connection: Connection,
    organization_id: str,
    profile_id: str,
    program: str,
    body: Mapping[str, Any],
    now: datetime,
) -> Profile:
    """Validate a program-editor body (docs/reference/provider.md §5.7) and apply it: the Admin API and the console
    share this. Raises InvalidRequest, NotFound."""
    change = schemas.program_change(body, program)
    return set_program(
        connection,
        organization_id,
        profile_id,
        program,
        status=change.status,
        items=change.items,
        requirements=change.requirements,
        now=now,
    )


def clear_program(connection: Connection, organization_id: str, profile_id: str, program: str, now: datetime) -> None:
    """Remove all standing in a program; a pending application is superseded. Raises NotFound."""
    profile = locked_profile(connection, organization_id, profile_id)
    if profile.program(program) is not None:
        repository.supersede_pending(connection, profile_id, program, now)
        store_standing(connection, profile, program, None, now)


# --- applications (enrollments) ---


def submit_application(
    connection: Connection,
    organization_id: str,
    profile_id: str,
    *,
    program: str,
    source: str,
    requested: list[str],
    use_case: str,
    applicant_organization: str | None,
    contact_email: str | None,
    now: datetime,
) -> str:
    """Store a pending application; the program becomes `pending`. Raises NotFound, or Conflict when the
    program already has status `pending` or `active`."""
    profile = locked_profile(connection, organization_id, profile_id)
    current = profile.program(program)
    if current is not None and current["status"] in ("pending", "active"):
        raise Conflict(f"the profile's {program} status is {current['status']}")
    enrollment_id = new_id("enr_")
    repository.insert_enrollment(
        connection,
        id=enrollment_id,
        organization_id=organization_id,
        user_profile_id=profile_id,
        program=program,
        status="pending",
        source=source,
        requested=requested,
        use_case=use_case,
        applicant_organization=applicant_organization,
        contact_email=contact_email,
        submitted_at=now,
    )
    store_standing(connection, profile, program, programs.with_status(current, program, "pending"), now)
    return enrollment_id


def pending_enrollment(connection: Connection, organization_id: str, enrollment_id: str) -> tuple[Enrollment, Profile]:
    """The pending enrollment and its profile, both locked. Raises NotFound, or Conflict once decided."""
    row, profile = locked_child(
        connection,
        organization_id,
        lambda for_update: repository.get_enrollment(connection, organization_id, enrollment_id, for_update=for_update),
        "enrollment not found",
    )
    if row.status != "pending":
        raise Conflict(f"enrollment is not pending (status: {row.status})", headers={"x-should-retry": "false"})
    return row, profile


def approve_enrollment(
    connection: Connection,
    organization_id: str,
    enrollment_id: str,
    *,
    items: list[str] | None,
    requirements: dict[str, bool] | None,
    note: str | None,
    now: datetime,
) -> None:
    """Approve: the program becomes active with the listed (default: requested) tiers or features."""
    enrollment, profile = pending_enrollment(connection, organization_id, enrollment_id)
    repository.update_enrollment(connection, enrollment_id, status="approved", decided_at=now, decision_note=note)
    granted = list(enrollment.requested) if items is None else items
    new = programs.activate(profile.program(enrollment.program), enrollment.program, granted, requirements)
    store_standing(connection, profile, enrollment.program, new, now)


def approve_enrollment_with(
    connection: Connection, organization_id: str, enrollment_id: str, body: Mapping[str, Any], now: datetime
) -> None:
    """Validate an approval body against the enrollment's program (docs/reference/provider.md §5.5) and approve: the
    Admin API and the console share this. Raises NotFound, InvalidRequest, Conflict."""
    enrollment = repository.get_enrollment(connection, organization_id, enrollment_id)
    if enrollment is None:
        raise NotFound("enrollment not found")
    approval = schemas.approval(body, enrollment.program)
    approve_enrollment(
        connection,
        organization_id,
        enrollment_id,
        items=approval.items,
        requirements=approval.requirements,
        note=approval.note,
        now=now,
    )


def reject_enrollment(
    connection: Connection, organization_id: str, enrollment_id: str, *, note: str | None, now: datetime
) -> None:
    """Reject: the program becomes `rejected`, every tier or feature inactive."""
    enrollment, profile = pending_enrollment(connection, organization_id, enrollment_id)
    repository.update_enrollment(connection, enrollment_id, status="rejected", decided_at=now, decision_note=note)
    new = programs.with_status(profile.program(enrollment.program), enrollment.program, "rejected")
    store_standing(connection, profile, enrollment.program, new, now)


# --- enforcement actions ---


def open_enforcement_action(
    connection: Connection,
    organization_id: str,
    profile_id: str,
    *,
    type: str,
    reason: str,
    now: datetime,
    verifiable: bool = False,
    expires_at: datetime | None = None,
    note: str | None = None,
) -> str:
    """Open a restriction or ban at once and return its ID; `updated_at` does not move. Raises NotFound."""
    locked_profile(connection, organization_id, profile_id)  # a profile being deleted is waited for, then not found
    action_id = new_id("enac_")
    repository.insert_action(
        connection,
        id=action_id,
        organization_id=organization_id,
        user_profile_id=profile_id,
        type=type,
        reason=reason,
        verifiable=verifiable,
        expires_at=expires_at,
        opened_at=now,
        note=note,
    )
    outbox.record(
        connection, organization_id, outbox.ENFORCEMENT_ACTION_OPENED, profile_id, now, enforcement_action_id=action_id
    )
    return action_id


def resolve_enforcement_action(
    connection: Connection, organization_id: str, action_id: str, now: datetime, note: str | None = None
) -> None:
    """Resolve an open action by operator decision. Raises NotFound, or Conflict when it is not open."""
    action, _ = locked_child(
        connection,
        organization_id,
        lambda for_update: repository.get_action(connection, organization_id, action_id, for_update=for_update),
        "enforcement action not found",
    )
    if not is_open(action, now):
        raise Conflict("enforcement action is already resolved", headers={"x-should-retry": "false"})
    _resolve(connection, action, "operator", now, note=note)


def _resolve(
    connection: Connection,
    action: EnforcementAction,
    resolution: str,
    at: datetime,
    note: str | None = None,
    *,
    committed_at: datetime | None = None,
) -> None:
    """Resolve `action` as of `at` and queue its event, created when this change commits
    (`committed_at`, which only an expiry resolved after the fact sets apart from `at`)."""
    repository.set_resolved(connection, action.id, resolved_at=at, resolution=resolution, note=note)
    outbox.record(
        connection,
        action.organization_id,
        outbox.ENFORCEMENT_ACTION_RESOLVED,
        action.user_profile_id,
        committed_at or at,
        enforcement_action_id=action.id,
    )


def expire_actions(connection: Connection, now: datetime, batch: int = 500) -> int:
    """Resolve actions past their `expires_at` (resolution `expired`, resolved at `expires_at`,
    docs/reference/provider.md §5.8); the event is created now, when the change commits
    (docs/reference/webhooks.md §5.1). Return how many."""
    expired = repository.expired_unresolved(connection, now, batch)
    for action in expired:
        assert action.expires_at is not None  # expired_unresolved selects only actions with one
        _resolve(connection, action, "expired", action.expires_at, committed_at=now)
    return len(expired)


# --- identity checks ---


def submit_identity_check(
    connection: Connection, organization_id: str, profile_id: str, fields: dict[str, str], now: datetime
) -> str:
    """Record a submitted check. Raises Conflict unless an open verifiable restriction awaits one."""
    locked_profile(connection, organization_id, profile_id)
    if standing.profiles_with_submitted_check(connection, [profile_id]):
        raise Conflict("an identity check is already awaiting a decision")
    if not _verifiable_open(connection, organization_id, profile_id, now):
        raise Conflict("no restriction can be cleared by an identity check")
    check_id = new_id("idc_")
    repository.insert_identity_check(
        connection,
        id=check_id,
        organization_id=organization_id,
        user_profile_id=profile_id,
        status="submitted",
        submitted_at=now,
        **fields,
    )
    return check_id


def _verifiable_open(
    connection: Connection, organization_id: str, profile_id: str, now: datetime, *, for_update: bool = False
) -> list[EnforcementAction]:
    """The profile's open verifiable restrictions; `for_update` locks its actions before they are judged
    (a decision on a check changes them, and the expiry pass must not resolve them meanwhile)."""
    return [
        action
        for action in repository.actions_of_profile(connection, organization_id, profile_id, for_update=for_update)
        if action.type == "restriction" and action.verifiable and is_open(action, now)
    ]


def submitted_check(connection: Connection, organization_id: str, check_id: str) -> IdentityCheck:
    """The check awaiting a decision, locked after its profile. Raises NotFound, or Conflict once decided."""
    check, _ = locked_child(
        connection,
        organization_id,
        lambda for_update: repository.get_identity_check(connection, organization_id, check_id, for_update=for_update),
        "identity check not found",
    )
    if check.status != "submitted":
        raise Conflict(
            f"identity check is not awaiting a decision (status: {check.status})", headers={"x-should-retry": "false"}
        )
    return check


def approve_identity_check(
    connection: Connection, organization_id: str, check_id: str, *, note: str | None, now: datetime
) -> None:
    """Approve: every open verifiable restriction of the profile is resolved (`identity_check`)."""
    check = submitted_check(connection, organization_id, check_id)
    repository.update_identity_check(connection, check_id, status="approved", decided_at=now, decision_note=note)
    for action in _verifiable_open(connection, organization_id, check.user_profile_id, now, for_update=True):
        _resolve(connection, action, "identity_check", now)


def reject_identity_check(
    connection: Connection, organization_id: str, check_id: str, *, allow_retry: bool, note: str | None, now: datetime
) -> None:
    """Reject; without `allow_retry` the verifiable restrictions stop being verifiable. No event."""
    check = submitted_check(connection, organization_id, check_id)
    repository.update_identity_check(connection, check_id, status="rejected", decided_at=now, decision_note=note)
    if not allow_retry:
        actions = _verifiable_open(connection, organization_id, check.user_profile_id, now, for_update=True)
        repository.set_not_verifiable(connection, [action.id for action in actions])
