"""The unit of work: one transaction per request (or CLI command, or worker step).

Commit on success, roll back on any exception. Services receive the open connection and may
execute and flush, never commit. Lock timeouts and lost connections become DatabaseBusy, which
the HTTP layer answers with 529 so the SDKs retry.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from uprof.db.engine import is_sqlite

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

    @contextmanager
    def connection_kept_for_this_thread(self) -> Iterator[None]:
        """While the block runs, units of work on the calling thread reuse one connection instead of
        checking one out of the pool each time (a tenth of a SQLite request's cost). The server keeps
        one for its event loop, which runs every API request on SQLite."""
        connection = self.engine.connect()
        self._kept = (threading.get_ident(), connection)
        try:
            yield
        finally:
            self._kept = None
            connection.close()

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
                with self._connection() as connection, connection.begin():
                    if self.is_sqlite:
                        # pysqlite is left in autocommit mode so that uprof chooses the BEGIN: IMMEDIATE
                        # takes the write lock before the first read. (Done here rather than in an
                        # engine "begin" event, which would put every statement on SQLAlchemy's slower
                        # event-dispatching path.)
                        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
                    yield connection
            except OperationalError as error:
                if _is_busy(error):
                    raise DatabaseBusy(str(error.orig)) from error
                raise
            except DBAPIError as error:
                if error.connection_invalidated:
                    raise DatabaseBusy("connection lost") from error
                raise

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
