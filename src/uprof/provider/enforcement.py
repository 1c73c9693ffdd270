"""What the public API shows of enforcement: open actions and the computed status (profiles.md §2.5).

Pure functions over stored action rows, evaluated at read time so an action past its
`expires_at` disappears at once, whether or not the expiry task has run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from uprof.timestamps import format_timestamp

REASONS = (
    "unsupported_region",
    "fraud_or_abuse",
    "high_harm",
    "usage_policy_violation",
    "account_compromise",
    "unspecified",
)


def is_open(action: Mapping[str, Any], now: datetime) -> bool:
    return action["resolved_at"] is None and (action["expires_at"] is None or action["expires_at"] > now)


def open_actions(actions: Iterable[Mapping[str, Any]], now: datetime) -> list[Mapping[str, Any]]:
    """The open actions, oldest `opened_at` first, ties by id."""
    return sorted((a for a in actions if is_open(a, now)), key=lambda a: (a["opened_at"], a["id"]))


def public_view(action: Mapping[str, Any]) -> dict[str, Any]:
    """An open action as the GA profile lists it."""
    return {
        "id": action["id"],
        "type": action["type"],
        "action": "verify" if action["type"] == "restriction" and action["verifiable"] else None,
        "expires_at": None if action["expires_at"] is None else format_timestamp(action["expires_at"]),
        "opened_at": format_timestamp(action["opened_at"]),
        "reason": action["reason"],
    }


def status(open_: list[Mapping[str, Any]]) -> str:
    """`banned`, `restricted` or `unrestricted` by the rules of profiles.md §2.5.

    Rule 2 (`pending`) needs a submitted identity check, which arrives with the verification portal.
    """
    if any(action["type"] == "ban" for action in open_):
        return "banned"
    if open_:
        return "restricted"
    return "unrestricted"
