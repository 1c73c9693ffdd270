"""Portable column types shared by every table."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from uprof.timestamps import EPOCH as _EPOCH
from uprof.timestamps import from_micros, to_micros


class Timestamp(TypeDecorator[datetime]):
    """An aware UTC datetime stored as integer microseconds since the epoch.

    Integers sort, compare and round-trip identically on SQLite and PostgreSQL, and keep the
    microsecond precision the API promises; keyset cursors carry the same integer.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: datetime | int | None, dialect: Dialect) -> int | None:
        return _stored_of(value)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], int | None] | None:
        # As result_processor: without TypeDecorator's wrapper around process_bind_param.
        if self.impl_instance.bind_processor(dialect) is not None:
            return super().bind_processor(dialect)
        return _stored_of

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else from_micros(int(value))

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], datetime | None] | None:
        # Every profile row carries two or three of these. TypeDecorator's own processor calls
        # process_result_value through a wrapper: two Python calls more per value than this one,
        # which the integer column (no conversion of its own on either driver) does not need.
        if self.impl_instance.result_processor(dialect, coltype) is not None:
            return super().result_processor(dialect, coltype)
        return _datetime_of_stored


def _stored_of(value: datetime | int | None) -> int | None:
    if value is None or isinstance(value, int):
        return value
    return to_micros(value)


def _datetime_of_stored(value: Any) -> datetime | None:
    return None if value is None else _EPOCH + timedelta(0, 0, int(value))


def code_point_string(length: int) -> String:
    """A string column that sorts by code point on every backend (PostgreSQL's "C" collation)."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")
