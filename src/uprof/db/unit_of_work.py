"""The unit of work: one transaction per request (or CLI command, or worker step).

Commit on success, roll back on any exception. Services receive the open connection and may
execute and flush, never commit. Lock timeouts and lost connections become DatabaseBusy, which
the HTTP layer answers with 529 so the SDKs retry.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar

import psycopg
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
        self._kept = threading.local()  # .connection: the connection this thread keeps, if it keeps one
        self._all_kept: set[Connection] = set()
        # Raised when a kept connection turns out lost: every thread then replaces its own before its
        # next unit, as the pool drops all its connections when one is found dead, so that a database
        # restart costs one failed request rather than one per thread.
        self._kept_generation = 0
        self._kept_opened = 0  # kept connections opened so far: each one's serial number
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
        """While the block runs, units of work on the calling thread reuse one connection (see
        `keep_connection_for_this_thread`), opened now."""
        self.keep_connection_for_this_thread()
        try:
            self._connection()
            yield
        finally:
            self.release_connection_of_this_thread()

    def keep_connection_for_this_thread(self) -> None:
        """From now on, units of work on the calling thread reuse one connection instead of checking
        one out of the pool each time (a tenth of a request's cost on SQLite; on PostgreSQL also the
        round trip that checks a pooled connection is alive). The server keeps one for its event loop
        on SQLite and one for each of its database threads on PostgreSQL (uprof.db.threads).

        On PostgreSQL a kept connection runs each read-only unit's statements without a transaction
        (autocommit): under READ COMMITTED every statement sees its own snapshot either way, and the
        unit saves its COMMIT round trip. A unit that locks rows, or needs one snapshot across its
        statements (REPEATABLE READ), must be opened with `write=True`.
        """
        self._kept.keeping = True  # the connection is opened by the first unit of work, which reports failures

    def release_connection_of_this_thread(self) -> None:
        self._kept.keeping = False
        connection = getattr(self._kept, "connection", None)
        if connection is not None:
            self._kept.connection = None
            self._release(connection)

    def release_kept_connections(self) -> None:
        """Give back every kept connection (once the threads that kept them are done with them)."""
        for connection in list(self._all_kept):
            self._release(connection)

    def _release(self, connection: Connection) -> None:
        self._all_kept.discard(connection)
        if not connection.invalidated and not connection.closed and not self.is_sqlite:
            driver = connection.connection.driver_connection
            if getattr(driver, "autocommit", False):
                driver.autocommit = False  # type: ignore[union-attr]  # the pool lends it out as it came
        connection.close()

    def commits_by_others(self) -> tuple[int, int] | None:
        """A value that changes whenever another connection, in this process or another, commits to
        the database: SQLite's `PRAGMA data_version` on the connection this thread keeps, paired with
        that connection's serial number (each connection counts on its own, so a replaced one must
        not match). None where there is no such value: PostgreSQL, a thread that keeps no connection,
        an in-memory database (whose one connection every thread shares), or a connection that fails
        to answer (the caller then reads the database, where the failure is reported properly)."""
        connection = getattr(self._kept, "connection", None)
        if connection is None or not self.is_sqlite or self._all_lock is not None:
            return None
        if connection.invalidated or connection.closed:
            return None
        try:
            version = int(execute_on_driver(connection, "PRAGMA data_version").fetchone()[0])
        except DBAPIError:
            return None
        return self._kept.serial, version

    def _connection(self) -> tuple[Connection, bool]:
        """The connection for a unit of work, and whether it is this thread's kept one."""
        if not getattr(self._kept, "keeping", False):
            return self.engine.connect(), False
        kept: Connection | None = getattr(self._kept, "connection", None)
        if kept is not None and (kept.invalidated or kept.closed or self._kept.generation != self._kept_generation):
            # Lost (here, or on another thread: see _kept_generation): start again with a fresh one.
            if not kept.invalidated:
                kept.invalidate()
            self._release(kept)
            kept = None
        if kept is None:
            kept = self.engine.connect()
            self._kept_opened += 1
            self._kept.connection, self._kept.generation = kept, self._kept_generation
            self._kept.serial = self._kept_opened
            self._all_kept.add(kept)
        return kept, True

    def unit_of_work(self, *, write: bool) -> AbstractContextManager[Connection]:
        """Open a transaction (`BEGIN IMMEDIATE` on SQLite when `write`), commit if the block succeeds."""
        return _UnitOfWork(self, write)

    def _end_unit(self, connection: Connection, kept: bool) -> None:
        if connection.invalidated:
            return
        if kept:
            # A pooled connection is rolled back when the pool takes it back; the kept one never goes
            # back, so a transaction that survived its unit (a COMMIT that failed, say) ends here, or
            # the connection is dropped, rather than holding SQLite's write lock from then on.
            driver = connection.connection.driver_connection
            if _in_transaction(driver):
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


class _UnitOfWork:
    """One unit of work (`Database.unit_of_work`). A plain class rather than a generator under
    @contextmanager: every request opens one or more, and the generator's frames cost a fifth of an
    empty unit.

    On SQLite the transaction is the driver's alone: uprof emits BEGIN itself (pysqlite is left in
    autocommit mode so that uprof chooses IMMEDIATE, which takes the write lock before the first
    read), and SQLAlchemy's own transaction object around it cost half of an empty unit. A
    statement run through `Connection.execute` still begins SQLAlchemy's (whose BEGIN does nothing
    on pysqlite); the unit then ends the transaction through it, so SQLAlchemy's state follows.
    On PostgreSQL the transaction is SQLAlchemy's `Connection.begin()`, as it always was.
    """

    __slots__ = ("_database", "_write", "_lock", "_connection", "_kept", "_transaction")

    def __init__(self, database: Database, write: bool) -> None:
        self._database = database
        self._write = write
        self._lock = database._write_lock if write else database._all_lock
        self._kept = False
        self._transaction: Any = None

    def __enter__(self) -> Connection:
        if self._lock is not None:
            self._lock.acquire()
        try:
            connection, self._kept = self._database._connection()
            self._connection = connection
            try:
                if self._database.is_sqlite:
                    execute_on_driver(connection, "BEGIN IMMEDIATE" if self._write else "BEGIN")
                else:
                    if self._kept:
                        _set_autocommit(connection, not self._write)
                    self._transaction = connection.begin().__enter__()  # left in _end, as `with` would
            except BaseException:
                self._close()
                raise
        except BaseException as error:
            if self._lock is not None:
                self._lock.release()
            if isinstance(error, DBAPIError):
                self._raise_translated(error)
            raise
        return connection

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, traceback: Any) -> None:
        try:
            try:
                try:
                    self._end(error is None, kind, error, traceback)
                finally:
                    self._close()
            except DBAPIError as ending_error:
                self._raise_translated(ending_error)
                raise
        finally:
            if self._lock is not None:
                self._lock.release()
        if isinstance(error, DBAPIError):
            self._raise_translated(error)

    def _end(self, commit: bool, kind: Any, error: Any, traceback: Any) -> None:
        """Commit, or roll back after an exception."""
        connection = self._connection
        if self._transaction is not None:
            self._transaction.__exit__(kind, error, traceback)
        elif connection.in_transaction():  # SQLAlchemy's, begun by a Connection.execute: end it through it
            if commit:
                try:
                    connection.commit()
                except BaseException:
                    # As `with connection.begin()` does: SQLAlchemy refuses the connection until then.
                    with contextlib.suppress(Exception):  # the error being raised is the one that matters
                        connection.rollback()
                    raise
            else:
                connection.rollback()
        elif commit:
            execute_on_driver(connection, "COMMIT")
        elif not connection.invalidated and _in_transaction(connection.connection.driver_connection):
            execute_on_driver(connection, "ROLLBACK")

    def _close(self) -> None:
        try:
            self._database._end_unit(self._connection, self._kept)
        finally:
            if not self._kept:
                self._connection.close()

    def _raise_translated(self, error: DBAPIError) -> None:
        """Raise DatabaseBusy for a lock timeout or a lost connection; otherwise return (the caller re-raises)."""
        if self._kept and error.connection_invalidated:
            self._database._kept_generation += 1
        if isinstance(error, OperationalError) and _is_busy(error):
            raise DatabaseBusy(str(error.orig)) from error
        if error.connection_invalidated:
            raise DatabaseBusy("connection lost") from error


def _in_transaction(driver: Any) -> bool:
    if hasattr(driver, "in_transaction"):  # sqlite3
        return bool(driver.in_transaction)
    return bool(driver.info.transaction_status != psycopg.pq.TransactionStatus.IDLE)


def _set_autocommit(connection: Connection, autocommit: bool) -> None:
    """Switch a kept PostgreSQL connection between autocommit reads and transactional writes; one that
    cannot switch (closed under it, say) is dropped and the request answered 529 like a lost one."""
    driver: Any = connection.connection.driver_connection
    if driver.autocommit != autocommit:
        try:
            driver.autocommit = autocommit
        except psycopg.Error as error:
            connection.invalidate(error)
            raise DatabaseBusy(f"connection unusable: {error}") from error


def _is_busy(error: OperationalError) -> bool:
    text = str(error.orig).lower()
    if "locked" in text or "busy" in text:
        return True
    # psycopg raises OperationalError for connection failures; SQL mistakes are ProgrammingError.
    return type(error.orig).__module__.startswith("psycopg")
