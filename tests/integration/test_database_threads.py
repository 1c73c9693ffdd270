"""The database threads (uprof.db.threads): each keeps one connection across requests, stopping gives
the connections back without blocking the event loop, and a stopped set starts again on next use."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from sqlalchemy import Connection, text

from uprof.db import threads as database_threads
from uprof.db.threads import DatabaseThreads
from uprof.db.unit_of_work import Database


def _connection_and_thread(database: Database) -> tuple[Connection, int]:
    with database.unit_of_work(write=False) as connection:
        connection.execute(text("SELECT 1"))
        return connection, threading.get_ident()


def test_each_thread_keeps_its_connection_until_stopped(database: Database) -> None:
    async def scenario() -> tuple[list[tuple[Connection, int]], list[tuple[Connection, int]]]:
        threads = DatabaseThreads(database, count=2)
        first = [await threads.run(lambda: _connection_and_thread(database)) for _ in range(6)]
        await threads.stop()
        again = [await threads.run(lambda: _connection_and_thread(database)) for _ in range(2)]
        await threads.stop()
        return first, again

    first, again = asyncio.run(scenario())
    by_thread: dict[int, set[int]] = {}
    for connection, thread in first:
        by_thread.setdefault(thread, set()).add(id(connection))
    assert all(len(connections) == 1 for connections in by_thread.values())  # one connection per thread
    assert all(connection.closed for connection, _ in first + again)  # given back by stop()
    assert {id(connection) for connection, _ in again}.isdisjoint({id(connection) for connection, _ in first})


def test_stop_does_not_wait_for_stuck_work(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database_threads, "SHUTDOWN_GRACE_SECONDS", 0.3)
    release = threading.Event()

    async def scenario() -> float:
        threads = DatabaseThreads(database, count=1)
        stuck = asyncio.ensure_future(threads.run(lambda: release.wait(10)))
        await asyncio.sleep(0.1)  # the work is under way
        started = time.monotonic()
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        ticking = asyncio.ensure_future(tick())
        await threads.stop()
        waited = time.monotonic() - started
        ticking.cancel()
        assert ticks >= 10  # the event loop kept running while stop() waited
        release.set()
        await stuck
        return waited

    waited = asyncio.run(scenario())
    assert 0.25 <= waited < 2
