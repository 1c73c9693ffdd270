"""Profile use cases: create, retrieve, update, list, delete. Produces stored rows; routes pick the shape."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from uprof.config import Settings
from uprof.http import listing
from uprof.http.errors import NotFound
from uprof.http.pagination import CursorCodec
from uprof.ids import new_id
from uprof.links import service as links
from uprof.profiles import repository
from uprof.profiles.records import Profile, ProfileRead
from uprof.profiles.schemas import MAX_METADATA_KEYS, ListQuery, ProfileInput, invalid_metadata
from uprof.standing import enforcement
from uprof.standing import repository as enforcement_actions
from uprof.timestamps import to_micros, utc_now

DETAIL_COLUMNS = ("account_status", "country", "email_hash", "entity_type", "name_hash", "onboarded_at", "reference_id")
# A list with a filter examines at most this many profiles per request (docs/reference/profiles.md §4.4).
FILTER_SCAN_LIMIT = 1000


def profile_not_found() -> NotFound:
    return NotFound("user profile not found")


def name_key(name: str | None) -> str | None:
    """The order_by=name sort key: ASCII letters folded to lower case, everything else as is."""
    return None if name is None else name.translate(_ASCII_FOLD)


def name_columns(name: str | None) -> dict[str, str | None]:
    """The stored columns derived from a profile's name: the sort key and the search text."""
    return {"name_key": name_key(name), "name_folded": None if name is None else name.casefold()}


_ASCII_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def create(connection: Connection, organization_id: str, changes: ProfileInput, now: datetime) -> ProfileRead:
    """Store a new profile with the defaults of docs/reference/profiles.md §4.1 and return it."""
    row: dict[str, Any] = {
        "id": new_id("uprof_"),
        "organization_id": organization_id,
        "name": None,
        "access_type": "application",
        **dict.fromkeys(DETAIL_COLUMNS),
        "metadata": changes.metadata or {},
        "cyber": None,
        "efs": None,
        "created_at": now,
        "updated_at": now,
    }
    row.update(changes.values)
    row.update(name_columns(row["name"]))
    repository.insert_profile(connection, row)
    return ProfileRead(Profile.of(row), enforcement_actions=[], identity_check_submitted=False, read_at=now)


def retrieve(connection: Connection, organization_id: str, profile_id: str) -> ProfileRead:
    """The stored profile. Raises NotFound for unknown, deleted and foreign IDs alike."""
    row = repository.get_with_action_flag(connection, organization_id, profile_id)
    if row is None:
        raise profile_not_found()
    return with_enforcement(connection, [row])[0]


def with_enforcement(connection: Connection, rows: Sequence[Profile]) -> list[ProfileRead]:
    """The profiles with what enforcement is read from, as of now: `enforcement_actions` (open ones, oldest
    first), `identity_check_submitted` (one awaits a decision) and `read_at`.

    A profile whose `has_unresolved_action` was read (in this transaction, after the last change to
    the profile's actions) is not asked for its actions when the flag is false."""
    now = utc_now()
    ids = [row.id for row in rows if row.has_unresolved_action is None or row.has_unresolved_action]
    by_profile = enforcement_actions.open_actions_by_profile(connection, ids, now)
    checking = enforcement_actions.profiles_with_submitted_check(connection, ids) if by_profile else set()
    # A profile without actions (nearly every one) skips open_actions' sort.
    return [
        ProfileRead(
            row,
            enforcement.open_actions(by_profile[row.id], now) if row.id in by_profile else [],
            row.id in checking,
            now,
        )
        for row in rows
    ]


def update(
    connection: Connection, organization_id: str, profile_id: str, changes: ProfileInput, now: datetime
) -> ProfileRead:
    """Apply `changes` to the locked row: metadata merges, `""` deletes; `updated_at` moves only on a real change.

    Raises NotFound, or InvalidRequest (invalid_metadata) when the merge would leave more than 16 keys.
    """
    current = repository.get_with_action_flag(connection, organization_id, profile_id, for_update=True)
    if current is None:
        raise profile_not_found()
    row = current
    changed = {key: value for key, value in changes.values.items() if getattr(row, key) != value}
    if changes.metadata is not None:
        merged = merge_metadata(row.metadata, changes.metadata)
        if len(merged) > MAX_METADATA_KEYS:
            raise invalid_metadata([f"metadata: the update would leave {len(merged)} keys; at most 16 are allowed"])
        if merged != row.metadata or list(merged) != list(row.metadata):
            changed["metadata"] = merged
    if not changed:
        return with_enforcement(connection, [row])[0]
    if "name" in changed:
        changed.update(name_columns(changed["name"]))
    changed["updated_at"] = next_updated_at(row.updated_at, now)
    repository.update_profile(connection, profile_id, changed)
    return with_enforcement(connection, [row._replace(**changed)])[0]


def next_updated_at(stored: datetime, now: datetime) -> datetime:
    """`now`, or one microsecond after the stored `updated_at` when `now` is not later.

    A request reads the clock before it waits for the row lock, so a change that commits after
    another may carry an earlier `now`; this way `updated_at` never goes back, and a profile's
    changes are ordered by it exactly as they committed.
    """
    return max(now, stored + timedelta(microseconds=1))


def merge_metadata(current: Mapping[str, str], patch: Mapping[str, str]) -> dict[str, str]:
    """Keys sent with a value are set, keys sent with `""` removed, keys not sent kept."""
    merged = dict(current)
    for key, value in patch.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def delete(connection: Connection, organization_id: str, profile_id: str) -> None:
    """Delete the profile and, by cascade, its links. Raises NotFound."""
    if not repository.delete_profile(connection, organization_id, profile_id):
        raise profile_not_found()


@dataclass(frozen=True)
class Page:
    rows: list[ProfileRead]
    next_page: str | None


def list_page(connection: Connection, organization_id: str, query: ListQuery, cursors: CursorCodec) -> Page:
    """One page of profiles in the requested order, after the position in `query.page`."""
    after = _cursor_position(query, cursors)
    if query.enforcement_statuses is None:
        rows = _fetch(connection, organization_id, query, after, query.limit + 1)
        more = len(rows) > query.limit
        shown = with_enforcement(connection, rows[: query.limit])
        return Page(shown, _next_cursor(query, shown[-1].profile, cursors) if more else None)
    return _filtered_page(connection, organization_id, query, after, cursors)


def _filtered_page(
    connection: Connection, organization_id: str, query: ListQuery, after: Any, cursors: CursorCodec
) -> Page:
    """Examine at most FILTER_SCAN_LIMIT profiles; a short page still carries a cursor if more remain."""
    wanted = query.enforcement_statuses or frozenset()
    found: list[ProfileRead] = []
    examined = 0
    while True:
        budget = min(200, FILTER_SCAN_LIMIT - examined)
        batch = _fetch(connection, organization_id, query, after, budget + 1)
        for index, read in enumerate(with_enforcement(connection, batch[:budget])):
            if enforcement.status(read.enforcement_actions, read.identity_check_submitted) in wanted:
                found.append(read)
                if len(found) == query.limit:
                    more = index + 1 < len(batch)
                    return Page(found, _next_cursor(query, read.profile, cursors) if more else None)
        if len(batch) <= budget:
            return Page(found, None)
        examined += budget
        last = batch[budget - 1]
        if examined >= FILTER_SCAN_LIMIT:
            return Page(found, _next_cursor(query, last, cursors))
        after = _position(query, last)


def _fetch(connection: Connection, organization_id: str, query: ListQuery, after: Any, limit: int) -> list[Profile]:
    descending = query.order == "desc"
    if query.order_by == "created_at":
        return repository.page_by_created_at(connection, organization_id, descending, after, limit)
    rows: list[Profile] = []
    if after is None or after[0] is not None:
        named_after = None if after is None else (after[0], after[1])
        rows = repository.page_named(connection, organization_id, descending, named_after, limit)
        unnamed_after = None
    else:
        unnamed_after = after[1]
    if len(rows) < limit:
        rows += repository.page_unnamed(connection, organization_id, descending, unnamed_after, limit - len(rows))
    return rows


def _position(query: ListQuery, row: Profile) -> tuple[Any, str]:
    if query.order_by == "created_at":
        return (to_micros(row.created_at), row.id)
    return (row.name_key, row.id)


def _next_cursor(query: ListQuery, row: Profile, cursors: CursorCodec) -> str:
    return listing.next_cursor(_listing(query), cursors, *_position(query, row))


def _cursor_position(query: ListQuery, cursors: CursorCodec) -> Any:
    return listing.position(_listing(query), cursors)


def _listing(query: ListQuery) -> listing.Listing:
    return listing.Listing(query.order_by, query.order, query.page, query.limit)


def issue_link(
    connection: Connection, organization_id: str, profile_id: str, kind: str, now: datetime, settings: Settings
) -> links.IssuedLink:
    """Issue an enrollment or portal link for a profile of the organization (the API and the console share this).

    Raises NotFound when there is no such profile. Creating a link changes nothing on the profile.
    """
    if repository.get_with_action_flag(connection, organization_id, profile_id) is None:  # (not its enforcement)
        raise profile_not_found()
    return links.issue(
        connection,
        organization_id=organization_id,
        profile_id=profile_id,
        kind=kind,
        now=now,
        lifetime_seconds=settings.link_ttl,
        base_url=settings.base_url,
    )
