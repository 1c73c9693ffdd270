"""What the enforcement_action and identity_check queries return: typed, immutable records
(named tuples: see profiles/records.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple


class EnforcementAction(NamedTuple):
    """A stored enforcement_action row: a restriction or ban (docs/reference/provider.md §5.8)."""

    id: str
    organization_id: str
    user_profile_id: str
    type: str  # "restriction" or "ban"
    reason: str
    verifiable: bool
    expires_at: datetime | None
    opened_at: datetime
    resolved_at: datetime | None
    resolution: str | None  # "operator", "identity_check" or "expired"
    note: str | None

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> EnforcementAction:
        """The record of a row holding every column of enforcement_action (other columns are ignored)."""
        return cls._make([row[name] for name in cls._fields])


class IdentityCheck(NamedTuple):
    """A stored identity_check row: what the end user submitted and the operator's decision."""

    id: str
    organization_id: str
    user_profile_id: str
    status: str  # submitted, approved, rejected
    full_name: str
    country: str
    document_type: str
    document_last4: str
    submitted_at: datetime
    decided_at: datetime | None
    decision_note: str | None

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> IdentityCheck:
        """The record of a row holding every column of identity_check (other columns are ignored)."""
        return cls._make([row[name] for name in cls._fields])
