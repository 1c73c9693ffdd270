"""Prepared statements: a Core statement compiled once per dialect, run on the driver's own cursor.

`Connection.execute` rebuilds a statement's cache key, execution context and result metadata on
every call: about 35 µs of a 45 µs single-row read on SQLite (docs/performance.md). The few
statements every API request runs skip that machinery. SQLAlchemy still does what it does well —
the SQL for each dialect and every column type's conversion (the bind and result processors it
would have applied) — once, here; each execution is then one driver call plus those conversions.

Driver errors are wrapped and disconnects invalidate the connection as `Connection.execute` would,
so the unit of work's busy and lost-connection handling sees no difference.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement

Processor = Callable[[Any], Any] | None
R = TypeVar("R")


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # For qmark-style drivers (SQLite), each parameter in order with its processor; None: named parameters.
    positional: tuple[tuple[str, Processor], ...] | None
    bind_processors: dict[str, Callable[[Any], Any]]
    defaults: dict[str, Any]  # parameters the statement fixes itself (a LIMIT, say)
    keys: tuple[str, ...]  # result column names; empty for a statement that returns no rows
    result_processors: tuple[Processor, ...]
    converting: tuple[tuple[int, Callable[[Any], Any]], ...]  # (position, processor) of the columns that have one


class Prepared:
    """A statement run as one driver call. Parameters are passed by their bind names; rows come back
    as dictionaries keyed by column name, each value converted by its column's type."""

    def __init__(self, statement: ClauseElement, column_keys: tuple[str, ...] | None = None) -> None:
        """`column_keys`: for an INSERT or UPDATE, the columns it sets (by default an INSERT sets all)."""
        self.statement = statement
        self.column_keys = column_keys
        self._by_dialect: dict[str, _Compiled] = {}

    def rows(self, connection: Connection, parameters: Mapping[str, Any]) -> list[dict[str, Any]]:
        compiled, cursor = self._run(connection, parameters)
        keys, processors = compiled.keys, compiled.result_processors
        return [_convert(keys, processors, row) for row in cursor.fetchall()]

    def first(self, connection: Connection, parameters: Mapping[str, Any]) -> dict[str, Any] | None:
        compiled, cursor = self._run(connection, parameters)
        row = cursor.fetchone()
        return None if row is None else _convert(compiled.keys, compiled.result_processors, row)

    def records(self, connection: Connection, parameters: Mapping[str, Any], make: Callable[[list[Any]], R]) -> list[R]:
        """The rows as records: `make` (a named tuple's `_make`) receives each row's converted values in
        the statement's column order. Cheaper than `rows` by the dictionary it builds for each row."""
        compiled, cursor = self._run(connection, parameters)
        converting = compiled.converting
        return [make(_values(converting, row)) for row in cursor.fetchall()]

    def first_record(
        self, connection: Connection, parameters: Mapping[str, Any], make: Callable[[list[Any]], R]
    ) -> R | None:
        compiled, cursor = self._run(connection, parameters)
        row = cursor.fetchone()
        return None if row is None else make(_values(compiled.converting, row))

    def run(self, connection: Connection, parameters: Mapping[str, Any]) -> int:
        """Execute a statement that returns no rows; the number of rows it changed."""
        return int(self._run(connection, parameters)[1].rowcount)

    def _run(self, connection: Connection, parameters: Mapping[str, Any]) -> tuple[_Compiled, Any]:
        dialect = connection.dialect
        compiled = self._by_dialect.get(dialect.name) or self._compile(dialect)
        values = {**compiled.defaults, **parameters} if compiled.defaults else parameters
        arguments: Any
        if compiled.positional is not None:  # one pass, in order: an INSERT of a profile binds 18 values
            arguments = [
                values[name] if process is None else process(values[name]) for name, process in compiled.positional
            ]
        else:
            arguments = dict(values)
            for name, process in compiled.bind_processors.items():
                if name in arguments:
                    arguments[name] = process(arguments[name])
        return compiled, execute_on_driver(connection, compiled.sql, arguments)

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled: Any = self.statement.compile(
            dialect=dialect, column_keys=list(self.column_keys) if self.column_keys is not None else None
        )
        binds = compiled.binds
        bind_processors = {}
        for name, bind in binds.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                bind_processors[name] = process
        defaults = {name: bind.value for name, bind in binds.items() if not bind.required and bind.value is not None}
        columns = list(self.statement.selected_columns) if isinstance(self.statement, Select) else []
        keys = tuple(str(column.key) for column in columns)
        result_processors = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        )
        converting = tuple((index, process) for index, process in enumerate(result_processors) if process is not None)
        positional = (
            tuple((name, bind_processors.get(name)) for name in compiled.positiontup) if compiled.positional else None
        )
        prepared = _Compiled(
            compiled.string, positional, bind_processors, defaults, keys, result_processors, converting
        )
        self._by_dialect[dialect.name] = prepared
        return prepared


def execute_on_driver(connection: Connection, sql: str, arguments: Any = ()) -> Any:
    """Run `sql` on a new cursor of the connection's driver connection; return the cursor.

    A driver error is raised as SQLAlchemy's wrapper of it (OperationalError for a lock timeout,
    say), and a lost connection is invalidated, as `Connection.execute` does.
    """
    dialect = connection.dialect
    driver = connection.connection.driver_connection
    assert driver is not None
    cursor = None
    try:
        cursor = driver.cursor()
        cursor.execute(sql, arguments)
    except dialect.loaded_dbapi.Error as error:
        disconnected = dialect.is_disconnect(error, driver, cursor)
        if cursor is not None:
            with contextlib.suppress(Exception):  # the error being raised is the one that matters
                cursor.close()
        if disconnected:
            connection.invalidate(error)
        raise DBAPIError.instance(
            sql, arguments, error, dialect.loaded_dbapi.Error, connection_invalidated=disconnected, dialect=dialect
        ) from error
    return cursor


def _convert(keys: tuple[str, ...], processors: tuple[Processor, ...], row: Any) -> dict[str, Any]:
    converted = zip(keys, processors, row, strict=True)
    return {key: value if process is None else process(value) for key, process, value in converted}


def _values(converting: tuple[tuple[int, Callable[[Any], Any]], ...], row: Any) -> list[Any]:
    values = list(row)
    for index, process in converting:
        values[index] = process(values[index])
    return values
