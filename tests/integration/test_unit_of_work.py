"""The unit of work's kept connection, on both backends: reused on the thread that keeps it, never
lent to another, never left inside a transaction, on PostgreSQL without a transaction for reads and
given back to the pool as it came; and the listeners told when a unit of work has ended."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from uprof.db.unit_of_work import Database, DatabaseBusy


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
    # A deferred foreign key is checked at COMMIT, which therefore fails.
    deferred = "" if database.is_sqlite else " DEFERRABLE INITIALLY DEFERRED"
    with database.unit_of_work(write=True) as connection:
        connection.execute(text("CREATE TABLE kept_parent (id INTEGER PRIMARY KEY)"))
        connection.execute(text(f"CREATE TABLE kept_child (parent INTEGER REFERENCES kept_parent (id){deferred})"))
    try:
        with database.connection_kept_for_this_thread():
            with pytest.raises(Exception, match="(?i)foreign key"), database.unit_of_work(write=True) as failing:
                if database.is_sqlite:
                    failing.execute(text("PRAGMA defer_foreign_keys = ON"))
                failing.execute(text("INSERT INTO kept_child (parent) VALUES (42)"))
            after = _connection_of_unit(database, write=True)  # would fail inside a still-open transaction
            assert after is failing
            assert not _in_transaction(after)
            with database.unit_of_work(write=False) as reading:
                assert reading.execute(text("SELECT count(*) FROM kept_child")).scalar() == 0
    finally:
        with database.unit_of_work(write=True) as connection:
            connection.execute(text("DROP TABLE kept_child"))
            connection.execute(text("DROP TABLE kept_parent"))


def test_reads_on_a_kept_postgresql_connection_open_no_transaction(database: Database) -> None:
    """On PostgreSQL a read-only unit on a kept connection runs without a transaction (no COMMIT round
    trip) and a write unit inside one; SQLite begins one for both. A kept connection goes back to
    the pool as the pool lent it."""
    with database.connection_kept_for_this_thread():
        with database.unit_of_work(write=False) as reading:
            reading.execute(text("SELECT 1"))
            assert _in_transaction(reading) is database.is_sqlite
        with database.unit_of_work(write=True) as writing:
            writing.execute(text("SELECT 1"))
            assert _in_transaction(writing)
        with database.unit_of_work(write=False) as reading:
            reading.execute(text("SELECT 1"))
            driver: Any = reading.connection.driver_connection
    if not database.is_sqlite:
        assert driver.autocommit is False  # given back as it came: the next borrower begins transactions
        with database.engine.connect() as pooled:
            pooled.execute(text("SELECT 1"))
            assert _in_transaction(pooled)


def _in_transaction(connection: Connection) -> bool:
    driver: Any = connection.connection.driver_connection
    if hasattr(driver, "in_transaction"):
        return bool(driver.in_transaction)  # sqlite3
    return bool(driver.info.transaction_status != 0)  # psycopg: 0 is IDLE


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


def test_every_kept_connection_is_given_back(database: Database) -> None:
    """The database threads of a PostgreSQL server keep one each; stopping them gives all back."""
    kept: list[Connection] = []

    def keep() -> None:
        database.keep_connection_for_this_thread()
        kept.append(_connection_of_unit(database))

    workers = [threading.Thread(target=keep) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len({id(connection) for connection in kept}) == 3
    assert not any(connection.closed for connection in kept)
    database.release_kept_connections()
    assert all(connection.closed for connection in kept)


def test_a_lost_kept_connection_makes_every_thread_replace_its_own(database: Database) -> None:
    """After a database restart every kept connection is dead: the first unit that finds its own lost
    (SQLAlchemy then raises with connection_invalidated, as simulated here) makes the other threads
    open new ones before their next unit, instead of each failing once."""
    other_thread: dict[str, Connection] = {}
    ready, lost = threading.Event(), threading.Event()

    def other() -> None:
        with database.connection_kept_for_this_thread():
            other_thread["before"] = _connection_of_unit(database)
            ready.set()
            lost.wait(10)
            other_thread["after"] = _connection_of_unit(database)

    worker = threading.Thread(target=other)
    with database.connection_kept_for_this_thread():
        worker.start()
        assert ready.wait(10)
        _connection_of_unit(database)
        with pytest.raises(DatabaseBusy), database.unit_of_work(write=False):
            raise DBAPIError("SELECT 1", None, Exception("server closed the connection"), connection_invalidated=True)
        lost.set()
        worker.join()
    assert other_thread["after"] is not other_thread["before"]
    assert other_thread["before"].closed
