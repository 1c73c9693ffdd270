"""How the operator's and end user's changes lock what they decide on before they check it.

Lock order (PostgreSQL; SQLite serialises writers and renders no row locks). A change to a profile's
enrollments, actions or identity checks locks the profile row (`locked_profile`), then the rows it
decides on (`locked_child`; service.py's `_verifiable_open` for a profile's actions), and only then
checks them: a decision that waited for another finds it committed (409), one that waited for the
profile's deletion finds it gone (404). Deleting a profile locks in the same order (its row, then the
cascade); the outbox's locks come last (webhooks/outbox.py). The expiry pass locks no profile and skips
the actions others hold (SKIP LOCKED), so it never waits; a decision that waits for it finds the action
resolved. No transaction holding one of these rows waits for a profile, so the waits cannot form a
cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from sqlalchemy import Connection

from uprof.http.errors import NotFound
from uprof.profiles import repository as profiles
from uprof.profiles.records import Profile
from uprof.profiles.service import profile_not_found


def locked_profile(connection: Connection, organization_id: str, profile_id: str) -> Profile:
    """The profile, locked for the rest of the transaction. Raises NotFound."""
    row = profiles.get(connection, organization_id, profile_id, for_update=True)
    if row is None:
        raise profile_not_found()
    return row


class _OfAProfile(Protocol):
    @property
    def user_profile_id(self) -> str: ...


Child = TypeVar("Child", bound=_OfAProfile)


def locked_child(
    connection: Connection, organization_id: str, read: Callable[[bool], Child | None], missing: str
) -> tuple[Child, Profile]:
    """A row of a profile (`read(for_update)` reads it) and the profile, both locked, profile first
    ("Lock order" above). The unlocked first read only finds the profile; the row returned is read
    after the locks, so it shows any decision committed meanwhile. Raises NotFound(`missing`)."""
    found = read(False)
    profile = (
        None if found is None else profiles.get(connection, organization_id, found.user_profile_id, for_update=True)
    )
    row = None if profile is None else read(True)  # None too if the profile was deleted while we waited
    if profile is None or row is None:
        raise NotFound(missing)
    return row, profile
