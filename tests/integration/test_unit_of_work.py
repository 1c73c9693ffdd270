"""The unit of work's kept connection: reused on the thread that keeps it, never lent to another."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import Connection, text

from uprof.db.unit_of_work import Database


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
