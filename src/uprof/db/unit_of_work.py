"""The unit of work: one transaction per request (or CLI command, or worker step).

Commit on success, roll back on any exception. Services receive the open connection and may
execute and flush, never commit. Lock timeouts and lost connections become DatabaseBusy, which
the HTTP layer answers with 529 so the SDKs retry.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from uprof.db.engine import is_sqlite
from uprof.db.prepared import execute_on_driver

T = TypeVar("T")


class DatabaseBusy(Exception):
    """The database stayed locked beyond its busy timeout, or could not be reached."""


class Database:
    """An engine plus the rules for opening transactions on it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_sqlite = is_sqlite(engine)
        # An in-process database answers in microseconds and never waits on the network, so callers
        # may run its units of work on the event loop instead of handing them to a thread.
        self.is_in_process = self.is_sqlite
        in_memory = self.is_sqlite and str(engine.url).endswith(":memory:")
        # SQLite has one writer at a time: in-process writers queue on a lock rather than spin in
        # SQLite's busy handler. An in-memory database has a single shared connection, so every
        # transaction queues.
        self._write_lock = threading.Lock() if self.is_sqlite else None
        self._all_lock = self._write_lock if in_memory else None
        self._kept: tuple[int, Connection] | None = None  # (thread ID, its connection)
        self._end_listeners: list[Callable[[dict[Any, Any]], None]] = []

    def add_end_listener(self, listener: Callable[[dict[Any, Any]], None]) -> None:
        """Call `listener(info)` each time a unit of work's transaction has ended (committed or rolled
        back), with the `info` dictionary of the connection it ran on, from the thread that ran it."""
        self._end_listeners.append(listener)

    def remove_end_listener(self, listener: Callable[[dict[Any, Any]], None]) -> None:
        if listener in self._end_listeners:
            self._end_listeners.remove(listener)

    @contextmanager
    def connection_kept_for_this_thread(self) -> Iterator[None]:
        """While the block runs, units of work on the calling thread reuse one SQLite connection instead
        of checking one out of the pool each time (a tenth of a request's cost). The server keeps one
        for its event loop, which runs every API request on SQLite."""
        if not self.is_in_process:
            raise ValueError("only an in-process database keeps a connection per thread")
        self._kept = (threading.get_ident(), self.engine.connect())
        try:
            yield
        finally:
            kept, self._kept = self._kept, None
            kept[1].close()

    def commits_by_others(self) -> int | None:
        """A number that changes whenever another connection, in this process or another, commits to
        the database: SQLite's `PRAGMA data_version` on the connection this thread keeps. None where
        there is no such number: PostgreSQL, a thread that keeps no connection, and an in-memory
        database, whose one connection every thread shares."""
        kept = self._kept
        if kept is None or kept[0] != threading.get_ident() or self._all_lock is not None:
            return None
        connection = kept[1]
        if connection.invalidated or connection.closed:
            return None
        return int(execute_on_driver(connection, "PRAGMA data_version").fetchone()[0])

    def _connection(self) -> AbstractContextManager[Connection]:
        kept = self._kept
        if kept is None or kept[0] != threading.get_ident():
            return self.engine.connect()
        if kept[1].invalidated or kept[1].closed:  # lost with an error: start again with a fresh one
            kept[1].close()
            self._kept = kept = (kept[0], self.engine.connect())
        return nullcontext(kept[1])

    @contextmanager
    def unit_of_work(self, *, write: bool) -> Iterator[Connection]:
        """Open a transaction (`BEGIN IMMEDIATE` on SQLite when `write`), commit if the block succeeds."""
        lock = self._write_lock if write else self._all_lock
        with lock or nullcontext():
            try:
                with self._connection() as connection:
                    try:
                        with connection.begin():
                            if self.is_sqlite:
                                # pysqlite is left in autocommit mode so that uprof chooses the BEGIN:
                                # IMMEDIATE takes the write lock before the first read. (Done here rather
                                # than in an engine "begin" event, which would put every statement on
                                # SQLAlchemy's slower event-dispatching path.)
                                execute_on_driver(connection, "BEGIN IMMEDIATE" if write else "BEGIN")
                            yield connection
                    finally:
                        self._end_unit(connection)
            except OperationalError as error:
                if _is_busy(error):
                    raise DatabaseBusy(str(error.orig)) from error
                raise
            except DBAPIError as error:
                if error.connection_invalidated:
                    raise DatabaseBusy("connection lost") from error
                raise

    def _end_unit(self, connection: Connection) -> None:
        if connection.invalidated:
            return
        if self._kept is not None and connection is self._kept[1]:
            # A pooled connection is rolled back when the pool takes it back; the kept one never goes
            # back, so a transaction that survived its unit (a COMMIT that failed, say) ends here, or
            # the connection is dropped, rather than holding SQLite's write lock from then on.
            driver = connection.connection.driver_connection
            if getattr(driver, "in_transaction", False):
                try:
                    driver.rollback()  # type: ignore[union-attr]
                except Exception:
                    connection.invalidate()
                    return
        for listener in self._end_listeners:
            listener(connection.info)

    def run(self, work: Callable[[Connection], T], *, write: bool) -> T:
        """Run `work` inside one unit of work and return its result."""
        with self.unit_of_work(write=write) as connection:
            return work(connection)


def _is_busy(error: OperationalError) -> bool:
    text = str(error.orig).lower()
    if "locked" in text or "busy" in text:
        return True
    # psycopg raises OperationalError for connection failures; SQL mistakes are ProgrammingError.
    return type(error.orig).__module__.startswith("psycopg")
