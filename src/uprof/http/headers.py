"""A request's header fields, read from the ASGI scope once per request."""

from __future__ import annotations

from collections.abc import Iterable
from typing import overload


class RequestHeaders:
    """The header fields of one request by lower-case name (ASGI servers lower-case the names).

    `get` answers the first field of a name, as Starlette's `Headers` does; `getlist` every field
    of it, in the order received. One pass over the raw fields builds it, so the checks of
    docs/reference/http.md §1 read a dict instead of scanning the list once per header they look at.
    """

    __slots__ = ("_first", "_raw")

    def __init__(self, raw: Iterable[tuple[bytes, bytes]]) -> None:
        self._raw = raw
        first: dict[str, str] = {}
        for name, value in raw:
            key = name.decode("latin-1")
            if key not in first:
                first[key] = value.decode("latin-1")
        self._first = first

    @overload
    def get(self, name: str) -> str | None: ...
    @overload
    def get(self, name: str, default: str) -> str: ...
    def get(self, name: str, default: str | None = None) -> str | None:
        return self._first.get(name, default)

    def getlist(self, name: str) -> list[str]:
        encoded = name.encode("latin-1")
        return [value.decode("latin-1") for key, value in self._raw if key == encoded]
