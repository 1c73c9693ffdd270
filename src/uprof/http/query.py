"""The query parameters a handler reads, checked as it reads them.

No stored value can contain U+0000 and PostgreSQL text cannot even be compared with it, so a
parameter that holds one is refused — but only when a handler reads it: `beta` and unknown
parameters are ignored whatever they hold (docs/reference/http.md §6, §9).
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import QueryParams

from uprof.http.errors import InvalidRequest, one_of, quote


class CheckedQuery:
    def __init__(self, params: QueryParams) -> None:
        self._params = params

    def getlist(self, name: str) -> list[str]:
        values = self._params.getlist(name)
        if values and any("\x00" in value for value in values):  # (most are absent: no generator then)
            raise InvalidRequest(f"{quote(name)}: contains a character that is not allowed")
        return values


def single(params: Any, name: str) -> str | None:
    """The one value of `name`, or None when absent; a parameter given twice is refused."""
    values = params.getlist(name)
    if len(values) > 1:
        raise InvalidRequest(f"{name}: must be given once")
    return values[0] if values else None


def choice(params: Any, name: str, allowed: tuple[str, ...]) -> str | None:
    value = single(params, name)
    if value is not None and value not in allowed:
        raise InvalidRequest(f"{name}: {one_of(allowed)}")
    return value


def choices(params: Any, name: str, allowed: tuple[str, ...]) -> list[str]:
    values = params.getlist(name)
    for value in values:
        if value not in allowed:
            raise InvalidRequest(f"{name}: {one_of(allowed)}")
    return list(values)


def limit(params: Any, *, lowest: int = 1, default: int = 20) -> int:
    """`limit` from `lowest` to 100 (`default` when absent)."""
    text = single(params, "limit")
    if text is None:
        return default
    # The length test keeps int() away from digit strings it refuses to convert (over 4,300 digits).
    if not (text.isascii() and text.isdigit() and len(text) <= 3 and lowest <= int(text) <= 100):
        raise InvalidRequest(f"limit: must be an integer from {lowest} to 100")
    return int(text)
