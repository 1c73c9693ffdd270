"""Profile storage against real SQLite and PostgreSQL: the repository's queries and the service's use cases.

Each test works in an organization of its own (the `organization_id` fixture), inside the
session's migrated database.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection

from uprof.db.unit_of_work import Database
from uprof.http.errors import InvalidRequest, NotFound
from uprof.http.pagination import CursorCodec
from uprof.profiles import repository, service
from uprof.profiles.models import user_profile
from uprof.profiles.records import Profile
from uprof.profiles.schemas import ListQuery, ProfileInput
from uprof.timestamps import to_micros

CURSORS = CursorCodec(b"k" * 32)
T0 = datetime(2026, 11, 26, 10, 0, 0, 123456, tzinfo=UTC)


def create(
    database: Database,
    organization_id: str,
    *,
    name: str | None = None,
    metadata: dict[str, str] | None = None,
    at: datetime = T0,
) -> Profile:
    changes = ProfileInput(values={} if name is None else {"name": name}, metadata=metadata)
    return database.run(lambda c: service.create(c, organization_id, changes, at), write=True).profile


def update(database: Database, organization_id: str, profile_id: str, changes: ProfileInput, at: datetime) -> Profile:
    return database.run(lambda c: service.update(c, organization_id, profile_id, changes, at), write=True).profile


def retrieve(database: Database, organization_id: str, profile_id: str) -> Profile:
    return database.run(lambda c: service.retrieve(c, organization_id, profile_id), write=False).profile


def stored_values(row: Profile) -> dict[str, Any]:
    """The profile's user_profile columns, without the flag some reads add."""
    return {column.name: getattr(row, column.name) for column in user_profile.columns}


def fold(name: str) -> str:
    """The order_by=name key, written independently of the service: only A–Z fold."""
    return "".join(chr(ord(char) + 32) if "A" <= char <= "Z" else char for char in name)


def list_page(database: Database, organization_id: str, query: ListQuery) -> service.Page:
    return database.run(lambda c: service.list_page(c, organization_id, query, CURSORS), write=False)


def page_by_created_at(
    database: Database, organization_id: str, descending: bool, after: tuple[int, str] | None
) -> list[Profile]:
    return database.run(lambda c: repository.page_by_created_at(c, organization_id, descending, after, 3), write=False)


def walk(database: Database, organization_id: str, *, order: str, order_by: str, limit: int) -> list[str]:
    """Every profile ID, following next_page until it is null."""
    seen: list[str] = []
    page: str | None = None
    while True:
        query = ListQuery(limit=limit, order=order, order_by=order_by, page=page, enforcement_statuses=None)
        result = list_page(database, organization_id, query)
        assert len(result.rows) <= limit
        seen += [row.profile.id for row in result.rows]
        if result.next_page is None:
            return seen
        assert result.rows, "a page with a cursor must not be empty"
        page = result.next_page


# -- create, retrieve, update, delete -------------------------------------------------------------


def test_create_stores_defaults_and_round_trips_every_value(database: Database, organization_id: str) -> None:
    created = create(database, organization_id, name="Ada Example", metadata={"plan": "pro", "seats": "5"})
    stored = retrieve(database, organization_id, created.id)
    assert created.id.startswith("uprof_") and len(created.id) == 30
    assert stored.name == "Ada Example"
    assert stored.name_key == "ada example"
    assert stored.access_type == "application"
    assert stored.metadata == {"plan": "pro", "seats": "5"}
    assert list(stored.metadata) == ["plan", "seats"]
    assert stored.cyber is None and stored.efs is None
    assert stored.reference_id is None and stored.onboarded_at is None
    assert stored.created_at == T0 == stored.updated_at  # microseconds survive the round trip
    assert stored.created_at.tzinfo is not None


def test_update_changes_only_what_is_sent(database: Database, organization_id: str) -> None:
    created = create(database, organization_id, name="Ada", metadata={"plan": "pro"})
    later = T0 + timedelta(seconds=5)
    changes = ProfileInput(values={"name": "Grace", "reference_id": "user_1", "country": "DE"})
    updated = update(database, organization_id, created.id, changes, later)
    stored = retrieve(database, organization_id, created.id)
    assert stored_values(updated) == stored_values(stored)
    assert stored.name == "Grace" and stored.name_key == "grace"
    assert stored.reference_id == "user_1" and stored.country == "DE"
    assert stored.metadata == {"plan": "pro"}
    assert stored.created_at == T0
    assert stored.updated_at == later


def test_clearing_the_name_clears_its_sort_key(database: Database, organization_id: str) -> None:
    created = create(database, organization_id, name="Ada")
    update(database, organization_id, created.id, ProfileInput(values={"name": None}), T0 + timedelta(seconds=1))
    stored = retrieve(database, organization_id, created.id)
    assert stored.name is None and stored.name_key is None


def test_delete_removes_the_profile(database: Database, organization_id: str) -> None:
    created = create(database, organization_id, name="Ada")
    database.run(lambda c: service.delete(c, organization_id, created.id), write=True)
    with pytest.raises(NotFound, match="user profile not found"):
        retrieve(database, organization_id, created.id)
    with pytest.raises(NotFound):
        database.run(lambda c: service.delete(c, organization_id, created.id), write=True)
    with pytest.raises(NotFound):
        update(database, organization_id, created.id, ProfileInput(values={"name": "x"}), T0)


def test_another_organization_cannot_reach_a_profile(database: Database, organization_id: str) -> None:
    created = create(database, organization_id, name="Ada")
    stranger = str(uuid.uuid4())
    with pytest.raises(NotFound):
        retrieve(database, stranger, created.id)
    with pytest.raises(NotFound):
        update(database, stranger, created.id, ProfileInput(values={"name": "Eve"}), T0 + timedelta(seconds=1))
    with pytest.raises(NotFound):
        database.run(lambda c: service.delete(c, stranger, created.id), write=True)
    assert retrieve(database, organization_id, created.id).name == "Ada"
    assert walk(database, stranger, order="asc", order_by="created_at", limit=10) == []


# -- keyset pages ------------------------------------------------------------------------------------


def test_created_at_pages_break_ties_by_id_in_both_directions(database: Database, organization_id: str) -> None:
    moments = [T0 + timedelta(microseconds=offset) for offset in (1, 0, 1, 2, 0, 1, 2, 1)]
    rows = [create(database, organization_id, at=moment) for moment in moments]
    ascending = [row.id for row in sorted(rows, key=lambda row: (row.created_at, row.id))]

    for descending, expected in ((False, ascending), (True, ascending[::-1])):
        seen: list[str] = []
        after: tuple[int, str] | None = None
        while True:
            page = page_by_created_at(database, organization_id, descending, after)
            seen += [row.id for row in page]
            if len(page) < 3:
                break
            after = (to_micros(page[-1].created_at), page[-1].id)
        assert seen == expected


NAMES = [
    "banana",
    "Banana",
    "BANANA",
    "apple",
    "Zebra",
    "_underscore",  # between "Z" and "a" by code point: only folding puts "Zebra" after it
    "zebra",
    "a b",
    "aa",
    "10",
    "9",
    "Émile",  # non-ASCII letters do not fold, and sort by code point after every ASCII character
    "émile",
    "ä",
    "Ａ",  # FULLWIDTH LATIN CAPITAL A (U+FF21)
    "😀",  # outside the BMP: after U+FF21 by code point, before it in UTF-16
    "apple",
]


@pytest.fixture
def named_profiles(database: Database, organization_id: str) -> list[Profile]:
    """Named and unnamed profiles, several sharing a created_at and several sharing a sort key."""
    rows = [
        create(database, organization_id, name=name, at=T0 + timedelta(microseconds=index % 3))
        for index, name in enumerate(NAMES)
    ]
    rows += [create(database, organization_id, at=T0) for _ in range(4)]
    return rows


def expected_by_name(rows: list[Profile], order: str) -> list[str]:
    named = [row for row in rows if row.name is not None]
    unnamed = [row for row in rows if row.name is None]
    descending = order == "desc"
    named.sort(key=lambda row: (fold(row.name or ""), row.id), reverse=descending)
    unnamed.sort(key=lambda row: row.id, reverse=descending)
    return [row.id for row in named + unnamed]


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_order_by_name_folds_ascii_only_and_puts_unnamed_last(
    database: Database, organization_id: str, named_profiles: list[Profile], order: str
) -> None:
    seen = walk(database, organization_id, order=order, order_by="name", limit=100)
    assert seen == expected_by_name(named_profiles, order)
    by_id = {row.id: row.name for row in named_profiles}
    names = [by_id[profile_id] for profile_id in seen]
    assert names[-4:] == [None] * 4
    if order == "asc":
        assert names[:2] == ["10", "9"]
        assert names.index("_underscore") < names.index("Zebra")
        assert names.index("a b") < names.index("aa") < names.index("apple")
        assert names[-9:-4] == ["Émile", "ä", "émile", "Ａ", "😀"]


@pytest.mark.parametrize("order_by", ["created_at", "name"])
@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("limit", [1, 4, 21])
def test_cursor_walk_returns_every_profile_once_in_order(
    database: Database,
    organization_id: str,
    named_profiles: list[Profile],
    order_by: str,
    order: str,
    limit: int,
) -> None:
    if order_by == "name":
        expected = expected_by_name(named_profiles, order)
    else:
        ordered = sorted(named_profiles, key=lambda row: (row.created_at, row.id), reverse=order == "desc")
        expected = [row.id for row in ordered]
    assert walk(database, organization_id, order=order, order_by=order_by, limit=limit) == expected


def test_a_cursor_is_bound_to_its_order_and_cannot_be_forged(
    database: Database, organization_id: str, named_profiles: list[Profile]
) -> None:
    first = ListQuery(limit=2, order="asc", order_by="name", page=None, enforcement_statuses=None)
    cursor = list_page(database, organization_id, first).next_page
    assert cursor is not None
    for order, order_by, page, message in [
        ("desc", "name", cursor, "different order or order_by"),
        ("asc", "created_at", cursor, "different order or order_by"),
        ("asc", "name", cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB"), "not a valid cursor"),
        ("asc", "name", CursorCodec(b"x" * 32).encode({"o": "asc", "b": "name", "k": "a", "i": "x"}), "not a valid"),
    ]:
        query = ListQuery(limit=2, order=order, order_by=order_by, page=page, enforcement_statuses=None)
        with pytest.raises(InvalidRequest, match=message):
            list_page(database, organization_id, query)


# -- metadata ---------------------------------------------------------------------------------------


def test_metadata_merges_sets_and_deletes(database: Database, organization_id: str) -> None:
    created = create(database, organization_id, metadata={"a": "1", "b": "2", "c": "3"})
    patch = ProfileInput(metadata={"b": "", "c": "30", "d": "4", "absent": ""})
    update(database, organization_id, created.id, patch, T0 + timedelta(seconds=1))
    assert retrieve(database, organization_id, created.id).metadata == {"a": "1", "c": "30", "d": "4"}


def test_merged_metadata_may_not_exceed_16_keys(database: Database, organization_id: str) -> None:
    fifteen = {f"k{index}": "v" for index in range(15)}
    created = create(database, organization_id, metadata=fifteen)
    later = T0 + timedelta(seconds=1)

    with pytest.raises(InvalidRequest) as raised:
        update(database, organization_id, created.id, ProfileInput(metadata={"x": "1", "y": "2"}), later)
    assert raised.value.error_code == "invalid_metadata"
    assert raised.value.message == "metadata: the update would leave 17 keys; at most 16 are allowed"
    unchanged = retrieve(database, organization_id, created.id)
    assert unchanged.metadata == fifteen and unchanged.updated_at == T0

    patch = ProfileInput(metadata={"x": "1", "y": "2", "k0": ""})  # two in, one out: exactly 16
    update(database, organization_id, created.id, patch, later)
    stored = retrieve(database, organization_id, created.id).metadata
    assert len(stored) == 16 and "k0" not in stored and stored["y"] == "2"


def test_an_update_that_changes_nothing_keeps_updated_at(database: Database, organization_id: str) -> None:
    created = create(database, organization_id, name="Ada", metadata={"plan": "pro"})
    later = T0 + timedelta(minutes=1)
    for changes in [
        ProfileInput(),
        ProfileInput(values={"name": "Ada"}),
        ProfileInput(metadata={"plan": "pro"}),
        ProfileInput(metadata={"never-set": ""}),
        ProfileInput(values={"name": "Ada", "access_type": "application"}, metadata={}),
    ]:
        returned = update(database, organization_id, created.id, changes, later)
        assert returned.updated_at == T0
        assert retrieve(database, organization_id, created.id).updated_at == T0
    update(database, organization_id, created.id, ProfileInput(metadata={"plan": "team"}), later)
    assert retrieve(database, organization_id, created.id).updated_at == later


# -- concurrency ------------------------------------------------------------------------------------


def test_concurrent_updates_of_different_metadata_keys_lose_nothing(database: Database, organization_id: str) -> None:
    profile_id = create(database, organization_id).id
    rounds = 50
    start = threading.Barrier(2)
    errors: list[BaseException] = []
    observed: dict[str, list[int]] = {"a": [], "b": []}

    def writer(own: str, other: str) -> None:
        try:
            start.wait()
            for index in range(rounds):
                changes = ProfileInput(metadata={own: str(index)})
                now = datetime.now(UTC)

                def work(connection: Connection, changes: ProfileInput = changes, now: datetime = now) -> Profile:
                    return service.update(connection, organization_id, profile_id, changes, now).profile

                row = database.run(work, write=True)
                assert row.metadata[own] == str(index)
                observed[other].append(int(row.metadata.get(other, "-1")))
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=writer, args=keys) for keys in (("a", "b"), ("b", "a"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert retrieve(database, organization_id, profile_id).metadata == {"a": "49", "b": "49"}
    # A lost update would make the other thread's key go back to an older value (or vanish).
    for values in observed.values():
        assert values == sorted(values)
