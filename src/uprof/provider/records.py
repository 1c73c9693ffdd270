"""What the enrollment queries return: typed, immutable records (named tuples: see profiles/records.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple


class Enrollment(NamedTuple):
    """A stored enrollment row: an application to a program and the operator's decision on it."""

    id: str
    organization_id: str
    user_profile_id: str
    program: str  # "cyber" or "efs"
    status: str  # pending, approved, rejected, superseded
    source: str  # "enrollment_url" or "portal"
    requested: list[str]  # tiers (cyber) or features (efs)
    use_case: str
    applicant_organization: str | None
    contact_email: str | None
    submitted_at: datetime
    decided_at: datetime | None
    decision_note: str | None

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> Enrollment:
        """The record of a row holding every column of enrollment (other columns are ignored)."""
        return cls._make([row[name] for name in cls._fields])
