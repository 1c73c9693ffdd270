"""The query parameters a handler reads, checked as it reads them.

No stored value can contain U+0000 and PostgreSQL text cannot even be compared with it, so a
parameter that holds one is refused — but only when a handler reads it: `beta` and unknown
parameters are ignored whatever they hold (docs/reference/http.md §6, §9).
"""

from __future__ import annotations

from starlette.datastructures import QueryParams

from uprof.http.errors import InvalidRequest, quote


class CheckedQuery:
    def __init__(self, params: QueryParams) -> None:
        self._params = params

    def getlist(self, name: str) -> list[str]:
        values = self._params.getlist(name)
        if any("\x00" in value for value in values):
            raise InvalidRequest(f"{quote(name)}: contains a character that is not allowed")
        return values
