"""What the public API shows of enforcement: open actions and the computed status (docs/reference/profiles.md §2.5).

Pure functions over stored action rows, evaluated at read time so an action past its
`expires_at` disappears at once, whether or not the expiry task has run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from uprof.standing.models import enforcement_action
from uprof.standing.records import EnforcementAction
from uprof.timestamps import format_timestamp

ACTION_TYPES = ("restriction", "ban")
REASONS = (
    "unsupported_region",
    "fraud_or_abuse",
    "high_harm",
    "usage_policy_violation",
    "account_compromise",
    "unspecified",
)


def is_open(action: EnforcementAction, now: datetime) -> bool:
    """An action is open while unresolved and not past its `expires_at`; open_condition is the same rule in SQL."""
    return action.resolved_at is None and (action.expires_at is None or action.expires_at > now)


def open_condition(now: Any) -> ColumnElement[bool]:
    """is_open as a WHERE clause on enforcement_action; `now` is a datetime or a bound parameter."""
    t = enforcement_action
    return and_(t.c.resolved_at.is_(None), or_(t.c.expires_at.is_(None), t.c.expires_at > now))


def open_actions(actions: Iterable[EnforcementAction], now: datetime) -> list[EnforcementAction]:
    """The open actions, oldest `opened_at` first, ties by id."""
    return sorted((a for a in actions if is_open(a, now)), key=lambda a: (a.opened_at, a.id))


def next_step(action: EnforcementAction, check_submitted: bool, now: datetime) -> str | None:
    """`verify` while the end user can clear the action now by passing an identity check."""
    clearable = action.type == "restriction" and action.verifiable and is_open(action, now)
    return "verify" if clearable and not check_submitted else None


def public_view(action: EnforcementAction, check_submitted: bool, now: datetime) -> dict[str, Any]:
    """An open action as the GA profile lists it."""
    return {
        "id": action.id,
        "type": action.type,
        "action": next_step(action, check_submitted, now),
        "expires_at": None if action.expires_at is None else format_timestamp(action.expires_at),
        "opened_at": format_timestamp(action.opened_at),
        "reason": action.reason,
    }


def status(open_: Sequence[EnforcementAction], check_submitted: bool) -> str:
    """The first rule of docs/reference/profiles.md §2.5 that applies: banned, pending, restricted, unrestricted."""
    if not open_:  # nearly every profile: spare the three scans below (every row of a list asks)
        return "unrestricted"
    if any(action.type == "ban" for action in open_):
        return "banned"
    verifiable = any(action.type == "restriction" and action.verifiable for action in open_)
    compromised = any(action.reason == "account_compromise" for action in open_)
    if verifiable and check_submitted and not compromised:
        return "pending"
    if open_:
        return "restricted"
    return "unrestricted"
