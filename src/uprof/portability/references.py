"""What earlier records of an import established: IDs later records refer to, values that must be unique.

A file holds few organizations, workspaces and webhook endpoints: what later records need of them
is kept in memory, as are key hashes and the names of server secrets. The other records with an ID
(keys, profiles, the operator's objects, webhook events and deliveries) can number millions, so of
those only the records not written yet are kept (one batch, see importer.py), with the range of
IDs written so far. A check that needs an earlier record already written (a reference to it, or an
ID that must differ from its ID) is left for later (`Seen.unconfirmed`) and made against the rows
the import wrote in its own transaction, for a whole batch at once, before that batch is written
(`first_failed`). An export writes each kind in ID order, so the IDs of its records lie above every
written one and never need that check.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, select

from uprof.portability.fields import Fields, Invalid
from uprof.profiles.models import user_profile

# The rows that store one record: (table, values) pairs, parents before children.
Rows = list[tuple[Table, dict[str, Any]]]
# What later records check of an earlier one: some of its columns, by name.
Facts = Mapping[str, Any]
# What is wrong with a record, given the facts of the earlier record it checks (None: there is none).
Problem = Callable[[Facts | None], str | None]

# The form of every ID whose records are not kept (see Fields.identifier): a value of another form
# was never written, and is not sent to the database (PostgreSQL refuses a string holding NUL).
WRITTEN_ID = re.compile(r"[a-z]+_[0-9A-Za-z]+", re.ASCII)
NO_PROFILE = "user_profile_id: no user profile with this ID in the organization earlier in the file"


@dataclass(frozen=True)
class Check:
    """A rule a record must meet that depends on an earlier record, already written: made later."""

    table: Table
    identifier: str
    columns: tuple[str, ...]  # the facts `problem` reads
    problem: Problem


@dataclass
class Seen:
    """What earlier records established: the IDs later records may refer to, and values that must be unique."""

    organizations: set[str] = field(default_factory=set)
    organization_names: set[str] = field(default_factory=set)
    has_default: bool = False
    workspaces: set[tuple[str, str]] = field(default_factory=set)
    key_hashes: set[str] = field(default_factory=set)
    endpoints: dict[str, str] = field(default_factory=dict)
    endpoints_per_organization: Counter[str] = field(default_factory=Counter)
    secret_names: set[str] = field(default_factory=set)
    pending: dict[tuple[str, str], Facts] = field(default_factory=dict)  # (table, ID) → facts, not written yet
    written: dict[str, tuple[str, str]] = field(default_factory=dict)  # table → lowest and highest ID written
    unconfirmed: list[Check] = field(default_factory=list)

    def claim(self, table: Table, identifier: str, field: str = "id", **facts: Any) -> None:
        """Note `identifier` as the ID of a record stored in `table`, with the `facts` later records
        check; raise Invalid if an earlier record has it (or leave that check for later)."""
        key = (table.name, identifier)
        if key in self.pending:
            raise Invalid(f"{field}: {identifier} appears twice")
        self.pending[key] = facts
        if self._may_be_written(table, identifier):
            repeated = f"{field}: {identifier} appears twice"
            self.unconfirmed.append(Check(table, identifier, (), lambda found: None if found is None else repeated))

    def refer(self, table: Table, value: Any, columns: tuple[str, ...], problem: Problem) -> None:
        """Check `problem` against the earlier record of `table` with the ID `value`: now, unless that
        record may have been written already (then later); raise Invalid if the check fails now."""
        facts = self.pending.get((table.name, value)) if isinstance(value, str) else None
        if facts is None and isinstance(value, str) and self._may_be_written(table, value):
            self.unconfirmed.append(Check(table, value, columns, problem))
            return
        message = problem(facts)
        if message is not None:
            raise Invalid(message)

    def take_unconfirmed(self) -> list[Check]:
        """The checks left for later since the last call."""
        checks, self.unconfirmed = self.unconfirmed, []
        return checks

    def batch_written(self) -> None:
        """Note that every record checked so far is written: checks of them now need the database."""
        for table, identifier in self.pending:
            low, high = self.written.get(table, (identifier, identifier))
            self.written[table] = (min(low, identifier), max(high, identifier))
        self.pending.clear()

    def _may_be_written(self, table: Table, identifier: str) -> bool:
        span = self.written.get(table.name)
        return span is not None and span[0] <= identifier <= span[1] and WRITTEN_ID.fullmatch(identifier) is not None


def first_failed(connection: Connection, checks: Sequence[tuple[int, str, Check]]) -> tuple[int, str, str] | None:
    """The first of `checks` (line, record kind, check) that fails on the rows written so far: its
    line, kind and problem. One query per table: the checks concern one batch, at most a few thousand IDs."""
    wanted: dict[Table, tuple[set[str], set[str]]] = {}
    for _, _, check in checks:
        identifiers, columns = wanted.setdefault(check.table, (set(), set()))
        identifiers.add(check.identifier)
        columns.update(check.columns)
    found: dict[tuple[str, str], Facts] = {}
    for table, (identifiers, columns) in wanted.items():
        names = sorted(columns)
        query = select(table.c.id, *(table.c[name] for name in names)).where(table.c.id.in_(identifiers))
        for identifier, *values in connection.execute(query).all():
            found[(table.name, identifier)] = dict(zip(names, values, strict=True))
    for number, kind, check in checks:
        problem = check.problem(found.get((check.table.name, check.identifier)))
        if problem is not None:
            return number, kind, problem
    return None


def organization_of(fields: Fields, seen: Seen) -> str:
    value = fields.raw("organization_id")
    if not isinstance(value, str) or value not in seen.organizations:
        raise Invalid("organization_id: no organization with this ID earlier in the file")
    return value


def profile_of(fields: Fields, seen: Seen, organization_id: str) -> str:
    value = fields.raw("user_profile_id")

    def problem(profile: Facts | None) -> str | None:
        return None if profile is not None and profile["organization_id"] == organization_id else NO_PROFILE

    seen.refer(user_profile, value, ("organization_id",), problem)
    return str(value)
