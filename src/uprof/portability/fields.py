"""Checked access to the fields of one import record: each read validates its value or raises Invalid."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Table

from uprof.http.errors import quote
from uprof.http.fields import Choice, Text
from uprof.profiles.schemas import parse_timestamp


class Invalid(Exception):
    """A record breaks a rule; the message starts with the field it concerns."""


def one_of(values: tuple[str, ...] | Mapping[str, Any]) -> str:
    return "must be one of " + ", ".join(values)


def check_text(value: Any, path: str, low: int, high: int) -> str:
    if not isinstance(value, str):
        raise Invalid(f"{path}: must be a string")
    if not low <= len(value) <= high:
        raise Invalid(f"{path}: must be {low} to {high} characters")
    return value


def check_object(value: Any, path: str, keys: tuple[str, ...]) -> Mapping[str, Any]:
    """An object with exactly `keys` (in any order)."""
    if not isinstance(value, dict):
        raise Invalid(f"{path}: must be an object")
    for key in value:
        if key not in keys:
            raise Invalid(f"{path}.{quote(key)}: unknown field")
    for key in keys:
        if key not in value:
            raise Invalid(f"{path}.{key}: missing")
    return value


def check_time(value: Any, path: str) -> datetime:
    moment = parse_timestamp(value) if isinstance(value, str) else None
    if moment is None:
        raise Invalid(f"{path}: must be an RFC 3339 timestamp")
    return moment


def check_integer(value: Any, path: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise Invalid(f"{path}: must be an integer from {low} to {high}")
    return value


class Fields:
    """The fields of one record (besides `kind`): exactly `names`, of which `optional` may be left out."""

    def __init__(self, record: Mapping[str, Any], names: tuple[str, ...], optional: tuple[str, ...] = ()) -> None:
        for key in record:
            if key != "kind" and key not in names:
                raise Invalid(f"{quote(key)}: unknown field")
        for name in names:
            if name not in record and name not in optional:
                raise Invalid(f"{name}: missing")
        self._record = record

    def has(self, name: str) -> bool:
        return name in self._record

    def raw(self, name: str) -> Any:
        return self._record.get(name)

    def text(self, name: str, low: int, high: int) -> str:
        return check_text(self._record[name], name, low, high)

    def optional_text(self, name: str, low: int, high: int) -> str | None:
        value = self._record[name]
        return None if value is None else check_text(value, name, low, high)

    def choice(self, name: str, values: tuple[str, ...]) -> str:
        value = self._record[name]
        if not isinstance(value, str) or value not in values:
            raise Invalid(f"{name}: {one_of(values)}")
        return value

    def optional_choice(self, name: str, values: tuple[str, ...]) -> str | None:
        return None if self._record[name] is None else self.choice(name, values)

    def constant(self, name: str, expected: str) -> None:
        if self._record[name] != expected:
            raise Invalid(f"{name}: must be {expected}")

    def time(self, name: str) -> datetime:
        return check_time(self._record[name], name)

    def optional_time(self, name: str) -> datetime | None:
        value = self._record[name]
        return None if value is None else check_time(value, name)

    def flag(self, name: str) -> bool:
        value = self._record[name]
        if not isinstance(value, bool):
            raise Invalid(f"{name}: must be a boolean")
        return value

    def integer(self, name: str, low: int, high: int) -> int:
        return check_integer(self._record[name], name, low, high)

    def pattern(self, name: str, expression: re.Pattern[str], meaning: str) -> str:
        value = self._record[name]
        if not isinstance(value, str) or not expression.fullmatch(value):
            raise Invalid(f"{name}: must be {meaning}")
        return value

    def declared(self, name: str, declaration: Text | Choice) -> Any:
        """A value checked by the wire field's declaration (http/fields.py), as the API checks it."""
        value = self._record[name]
        problem = declaration.problem(value)
        if problem is not None:
            raise Invalid(f"{name}: {problem}")
        return value

    def identifier(self, name: str, prefix: str, table: Table, column: str = "id") -> str:
        """`prefix` and base62 characters, as many as the column holds (IDs are `prefix` + 24 of them)."""
        length = getattr(table.c[column].type, "length", None) or 255
        expression = re.compile(re.escape(prefix) + f"[0-9A-Za-z]{{1,{length - len(prefix)}}}", re.ASCII)
        return self.pattern(name, expression, f"an ID of the form {prefix}…")
