"""Portable column types shared by every table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from uprof.timestamps import from_micros, to_micros


class Timestamp(TypeDecorator[datetime]):
    """An aware UTC datetime stored as integer microseconds since the epoch.

    Integers sort, compare and round-trip identically on SQLite and PostgreSQL, and keep the
    microsecond precision the API promises; keyset cursors carry the same integer.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: datetime | int | None, dialect: Dialect) -> int | None:
        if value is None or isinstance(value, int):
            return value
        return to_micros(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else from_micros(int(value))


def code_point_string(length: int) -> String:
    """A string column that sorts by code point on every backend (PostgreSQL's "C" collation)."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")
