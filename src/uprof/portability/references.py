"""What earlier records of an import established: IDs later records refer to, values that must be unique."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table

from uprof.portability.fields import Fields, Invalid

# The rows that store one record: (table, values) pairs, parents before children.
Rows = list[tuple[Table, dict[str, Any]]]


@dataclass
class Seen:
    """What earlier records established: the IDs later records may refer to, and values that must be unique."""

    organizations: set[str] = field(default_factory=set)
    organization_names: set[str] = field(default_factory=set)
    has_default: bool = False
    workspaces: set[tuple[str, str]] = field(default_factory=set)
    key_hashes: set[str] = field(default_factory=set)
    profiles: dict[str, str] = field(default_factory=dict)  # ID → organization
    endpoints: dict[str, str] = field(default_factory=dict)
    endpoints_per_organization: Counter[str] = field(default_factory=Counter)
    events: dict[str, tuple[str, str]] = field(default_factory=dict)  # ID → (organization, type)
    other_ids: set[tuple[str, str]] = field(default_factory=set)  # (kind, ID) of kinds nothing refers to

    def claim(self, kind: str, identifier: str, field: str = "id") -> None:
        """Note `identifier` as used by a record of `kind`; raise Invalid if it already was."""
        if (kind, identifier) in self.other_ids:
            raise Invalid(f"{field}: {identifier} appears twice")
        self.other_ids.add((kind, identifier))


def organization_of(fields: Fields, seen: Seen) -> str:
    value = fields.raw("organization_id")
    if not isinstance(value, str) or value not in seen.organizations:
        raise Invalid("organization_id: no organization with this ID earlier in the file")
    return value


def profile_of(fields: Fields, seen: Seen, organization_id: str) -> str:
    value = fields.raw("user_profile_id")
    if not isinstance(value, str) or seen.profiles.get(value) != organization_id:
        raise Invalid("user_profile_id: no user profile with this ID in the organization earlier in the file")
    return value
