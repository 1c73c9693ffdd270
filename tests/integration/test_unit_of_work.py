"""The unit of work's kept connection (SQLite): reused on the thread that keeps it, never lent to
another, never left inside a transaction; and the listeners told when a unit of work has ended."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import Connection, text

from uprof.db.engine import make_engine
from uprof.db.unit_of_work import Database


@pytest.fixture
def database(database: Database) -> Database:
    """The test database, when it is SQLite: only an in-process database keeps a connection."""
    if not database.is_in_process:
        pytest.skip("PostgreSQL keeps no connection per thread (see test_postgresql_keeps_none)")
    return database


def _connection_of_unit(database: Database, *, write: bool = False) -> Connection:
    with database.unit_of_work(write=write) as connection:
        connection.execute(text("SELECT 1"))
        return connection


def test_the_keeping_thread_reuses_one_connection_for_reads_and_writes(database: Database) -> None:
    with database.connection_kept_for_this_thread():
        first = _connection_of_unit(database)
        assert _connection_of_unit(database, write=True) is first
        assert _connection_of_unit(database) is first
    assert first.closed
    assert _connection_of_unit(database) is not first


def test_another_thread_gets_its_own_connection(database: Database) -> None:
    seen: dict[str, Any] = {}
    with database.connection_kept_for_this_thread():
        kept = _connection_of_unit(database)
        worker = threading.Thread(target=lambda: seen.update(connection=_connection_of_unit(database)))
        worker.start()
        worker.join()
    assert seen["connection"] is not kept


def test_a_failed_unit_rolls_back_and_the_kept_connection_serves_the_next(database: Database) -> None:
    with database.connection_kept_for_this_thread():
        with pytest.raises(ZeroDivisionError), database.unit_of_work(write=True) as connection:
            connection.execute(text("CREATE TABLE kept_connection_probe (n INTEGER)"))
            raise ZeroDivisionError
        assert not connection.in_transaction()
        # The table was rolled back with the rest of the unit (DDL is transactional on both backends).
        with pytest.raises(Exception, match="kept_connection_probe"), database.unit_of_work(write=False) as again:
            assert again is connection
            again.execute(text("SELECT n FROM kept_connection_probe"))
        assert _connection_of_unit(database) is connection


def test_an_invalidated_kept_connection_is_replaced(database: Database) -> None:
    with database.connection_kept_for_this_thread():
        lost = _connection_of_unit(database)
        lost.invalidate()
        replacement = _connection_of_unit(database)
        assert replacement is not lost
        assert _connection_of_unit(database) is replacement


def test_a_failed_commit_leaves_no_transaction_open_on_the_kept_connection(database: Database) -> None:
    with database.unit_of_work(write=True) as connection:
        connection.execute(text("CREATE TABLE kept_parent (id INTEGER PRIMARY KEY)"))
        connection.execute(text("CREATE TABLE kept_child (parent INTEGER REFERENCES kept_parent (id))"))
    with database.connection_kept_for_this_thread():
        # A deferred foreign key is checked at COMMIT, which therefore fails.
        with pytest.raises(Exception, match="FOREIGN KEY"), database.unit_of_work(write=True) as failing:
            failing.execute(text("PRAGMA defer_foreign_keys = ON"))
            failing.execute(text("INSERT INTO kept_child (parent) VALUES (42)"))
        after = _connection_of_unit(database, write=True)  # would fail inside a still-open transaction
        assert after is failing
        assert not after.connection.driver_connection.in_transaction  # type: ignore[union-attr]
        with database.unit_of_work(write=False) as reading:
            assert reading.execute(text("SELECT count(*) FROM kept_child")).scalar() == 0


def test_end_listeners_hear_of_every_unit_on_kept_and_pooled_connections(database: Database) -> None:
    heard: list[object] = []

    def listener(info: dict[Any, Any]) -> None:
        heard.append(info.pop("probe", None))

    database.add_end_listener(listener)
    try:
        with database.unit_of_work(write=True) as pooled:
            pooled.info["probe"] = "pooled"
        with database.connection_kept_for_this_thread():
            with database.unit_of_work(write=True) as kept:
                kept.info["probe"] = "kept, committed"
            with pytest.raises(ZeroDivisionError), database.unit_of_work(write=False) as kept:
                kept.info["probe"] = "kept, rolled back"
                raise ZeroDivisionError
    finally:
        database.remove_end_listener(listener)
    _connection_of_unit(database)
    assert heard == ["pooled", "kept, committed", "kept, rolled back"]


def test_postgresql_keeps_none(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("the SQLite side is every other test of this file")
    database = Database(make_engine(database_url))
    try:
        with pytest.raises(ValueError, match="in-process"), database.connection_kept_for_this_thread():
            pass
    finally:
        database.engine.dispose()
