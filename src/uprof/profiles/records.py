"""What the profile repository returns and what profile reads hand up: typed, immutable records.

Every part's records are named tuples rather than frozen dataclasses: a record is built for each row
a query returns, and `_make` over a row's values costs a twentieth of a frozen dataclass's `__init__`
(which sets each field through object.__setattr__); the dataclasses were a fifth of a 20-row list
page's CPU. A record's fields are its table's columns in order (tests/unit/test_records.py), so a
prepared statement's row is a record's values as they come (`Prepared.records`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from uprof.standing.records import EnforcementAction


class Profile(NamedTuple):
    """A stored user_profile row (docs/reference/profiles.md §2.6)."""

    id: str
    organization_id: str
    name: str | None
    name_key: str | None
    name_folded: str | None
    access_type: str
    reference_id: str | None
    onboarded_at: datetime | None
    account_status: str | None
    country: str | None
    email_hash: str | None
    entity_type: str | None
    name_hash: str | None
    metadata: dict[str, str]
    cyber: dict[str, Any] | None
    efs: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    # Whether the profile has an unresolved enforcement action, when the query read it alongside the row
    # (repository.get_with_action_flag and the list pages); None when it was not read.
    has_unresolved_action: bool | None = None

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> Profile:
        """The record of a row read with every column of user_profile (and perhaps the action flag)."""
        return cls(**row)

    def program(self, name: str) -> dict[str, Any] | None:
        """The stored standing in program `name` ("cyber" or "efs"), or None."""
        return {"cyber": self.cyber, "efs": self.efs}[name]

    def with_program(self, name: str, standing: dict[str, Any] | None, updated_at: datetime) -> Profile:
        """This profile with new standing in program `name` ("cyber" or "efs") and a new `updated_at`."""
        if name == "cyber":
            return self._replace(cyber=standing, updated_at=updated_at)
        if name == "efs":
            return self._replace(efs=standing, updated_at=updated_at)
        raise KeyError(name)


class ProfileRead(NamedTuple):
    """A profile as a response shows it: the row with what enforcement is read from, as of `read_at`."""

    profile: Profile
    # The open enforcement actions, oldest `opened_at` first.
    enforcement_actions: list[EnforcementAction]
    # Whether an identity check of the profile awaits the operator's decision.
    identity_check_submitted: bool
    read_at: datetime
