"""The operator's read use cases: lists with keyset cursors and the operator view of a profile."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from uprof.http.errors import NotFound
from uprof.http.listing import Listing, page_of
from uprof.http.pagination import CursorCodec
from uprof.profiles import repository as profiles
from uprof.profiles.records import Profile, ProfileRead
from uprof.profiles.service import profile_not_found, with_enforcement
from uprof.provider import repository
from uprof.provider.records import Enrollment
from uprof.standing import programs
from uprof.standing import repository as standing
from uprof.standing.enforcement import is_open
from uprof.standing.records import EnforcementAction, IdentityCheck
from uprof.timestamps import utc_now

ENROLLMENTS_IN_PROFILE_VIEW = 20


def list_enrollments(
    connection: Connection,
    organization_id: str,
    listing: Listing,
    cursors: CursorCodec,
    *,
    statuses: list[str],
    program: str | None,
    profile_id: str | None,
    source: str | None,
) -> tuple[list[Enrollment], str | None]:
    def fetch(after: tuple[int, str] | None, limit: int) -> list[Enrollment]:
        return repository.enrollment_page(
            connection,
            organization_id,
            statuses=statuses,
            program=program,
            profile_id=profile_id,
            source=source,
            descending=listing.order == "desc",
            after=after,
            limit=limit,
        )

    return page_of(listing, cursors, fetch, "submitted_at")


def list_identity_checks(
    connection: Connection,
    organization_id: str,
    listing: Listing,
    cursors: CursorCodec,
    *,
    statuses: list[str],
    profile_id: str | None,
) -> tuple[list[IdentityCheck], str | None]:
    def fetch(after: tuple[int, str] | None, limit: int) -> list[IdentityCheck]:
        return repository.identity_check_page(
            connection, organization_id, statuses=statuses, profile_id=profile_id, after=after, limit=limit
        )

    return page_of(listing, cursors, fetch, "submitted_at")


def search_profiles(
    connection: Connection, organization_id: str, listing: Listing, cursors: CursorCodec, q: str | None
) -> tuple[list[ProfileRead], str | None]:
    """Profiles matching `q` (exact ID, exact reference ID, or part of the name), newest first."""

    def fetch(after: tuple[int, str] | None, limit: int) -> list[Profile]:
        return profiles.search(connection, organization_id, q, after, limit)

    rows, cursor = page_of(listing, cursors, fetch, "created_at")
    return with_enforcement(connection, rows), cursor


def enrollment(connection: Connection, organization_id: str, enrollment_id: str) -> Enrollment:
    row = repository.get_enrollment(connection, organization_id, enrollment_id)
    if row is None:
        raise NotFound("enrollment not found")
    return row


def identity_check(connection: Connection, organization_id: str, check_id: str) -> IdentityCheck:
    row = repository.get_identity_check(connection, organization_id, check_id)
    if row is None:
        raise NotFound("identity check not found")
    return row


def action(connection: Connection, organization_id: str, action_id: str) -> tuple[EnforcementAction, bool]:
    """The action and whether its profile has an identity check awaiting a decision."""
    row = repository.get_action(connection, organization_id, action_id)
    if row is None:
        raise NotFound("enforcement action not found")
    return row, bool(standing.profiles_with_submitted_check(connection, [row.user_profile_id]))


def actions_of_profile(
    connection: Connection, organization_id: str, profile_id: str, state: str
) -> tuple[list[EnforcementAction], bool]:
    if profiles.get(connection, organization_id, profile_id) is None:
        raise profile_not_found()
    now = utc_now()
    rows = repository.actions_of_profile(connection, organization_id, profile_id)
    if state != "all":
        rows = [row for row in rows if is_open(row, now) == (state == "open")]
    return rows, bool(standing.profiles_with_submitted_check(connection, [profile_id]))


@dataclass(frozen=True)
class OperatorProfile:
    profile: ProfileRead
    cyber_requirements: dict[str, bool]
    enrollments: list[Enrollment]
    actions: list[EnforcementAction]
    identity_checks: list[IdentityCheck]


def operator_profile(connection: Connection, organization_id: str, profile_id: str) -> OperatorProfile:
    row = profiles.get(connection, organization_id, profile_id)
    if row is None:
        raise profile_not_found()
    profile = with_enforcement(connection, [row])[0]
    return OperatorProfile(
        profile=profile,
        cyber_requirements=programs.requirements(row.cyber),
        enrollments=repository.enrollments_of_profile(connection, profile_id, ENROLLMENTS_IN_PROFILE_VIEW),
        actions=repository.actions_of_profile(connection, organization_id, profile_id),
        identity_checks=repository.identity_checks_of_profile(connection, profile_id),
    )
