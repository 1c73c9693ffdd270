"""JSON views of the operator's objects (docs/reference/provider.md §5.2, §5.6)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from uprof.provider.records import Enrollment
from uprof.standing.enforcement import is_open, next_step
from uprof.standing.records import EnforcementAction, IdentityCheck
from uprof.timestamps import format_timestamp


def _time(value: datetime | None) -> str | None:
    return None if value is None else format_timestamp(value)


def enrollment_view(row: Enrollment) -> dict[str, Any]:
    return {
        "id": row.id,
        "type": "enrollment",
        "user_profile_id": row.user_profile_id,
        "program": row.program,
        "status": row.status,
        "source": row.source,
        "requested": list(row.requested),
        "use_case": row.use_case,
        "organization": row.applicant_organization,
        "contact_email": row.contact_email,
        "submitted_at": format_timestamp(row.submitted_at),
        "decided_at": _time(row.decided_at),
        "decision_note": row.decision_note,
    }


def action_view(row: EnforcementAction, check_submitted: bool, now: datetime) -> dict[str, Any]:
    """The action as the Admin API shows it at `now`. One past its `expires_at` that the background
    task has not yet resolved already reads as it will be stored: resolved at `expires_at`, `expired`
    (docs/reference/provider.md §5.8)."""
    view = stored_action_view(row, check_submitted, now)
    if view["resolution"] is None and not is_open(row, now):
        view.update(resolved_at=view["expires_at"], resolution="expired")
    return view


def stored_action_view(row: EnforcementAction, check_submitted: bool, now: datetime) -> dict[str, Any]:
    """The action's fields as stored (an export keeps a pending expiry for the task to resolve)."""
    return {
        "id": row.id,
        "type": row.type,
        "user_profile_id": row.user_profile_id,
        "action": next_step(row, check_submitted, now),
        "expires_at": _time(row.expires_at),
        "opened_at": format_timestamp(row.opened_at),
        "reason": row.reason,
        "verifiable": row.verifiable,
        "resolved_at": _time(row.resolved_at),
        "resolution": row.resolution,
        "note": row.note,
    }


def identity_check_view(row: IdentityCheck) -> dict[str, Any]:
    return {
        "id": row.id,
        "type": "identity_check",
        "user_profile_id": row.user_profile_id,
        "status": row.status,
        "full_name": row.full_name,
        "country": row.country,
        "document_type": row.document_type,
        "document_last4": row.document_last4,
        "submitted_at": format_timestamp(row.submitted_at),
        "decided_at": _time(row.decided_at),
        "decision_note": row.decision_note,
    }
