"""The request journal and fault rules of one organization, over the control API (docs/testing.md §5-§6)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from uprof.testing.errors import json_or_raise


@dataclass(frozen=True)
class Recorded:
    """One journaled request; `json` is its body (parsed JSON, raw text, or None)."""

    id: str
    at: str
    method: str
    path: str
    query: dict[str, Any]
    headers: dict[str, str]
    json: Any
    status: int
    response_body: Any

    @property
    def body(self) -> Any:
        return self.json


class Requests:
    def __init__(self, control: httpx.Client) -> None:
        self._control = control

    def all(self, **query: Any) -> list[Recorded]:
        """Newest first; `limit`, `method` and `path` (concrete or a route template) narrow it."""
        data = json_or_raise(self._control.get("/_uprof/requests", params=query))["data"]
        return [_recorded(item) for item in data]

    def last(self) -> Recorded:
        """The newest request; AssertionError when none was made."""
        found = self.all(limit=1)
        assert found, "uprof recorded no request of this organization"
        return found[0]

    def clear(self) -> None:
        json_or_raise(self._control.delete("/_uprof/requests"))


def _recorded(item: dict[str, Any]) -> Recorded:
    fields = {name: item[name] for name in ("id", "at", "method", "path", "query", "headers", "status")}
    return Recorded(**fields, json=item["body"], response_body=item["response_body"])


class Faults:
    def __init__(self, control: httpx.Client) -> None:
        self._control = control

    def inject(self, **rule: Any) -> dict[str, Any]:
        """Add a rule (`method`, `path`, `status`, `times`, `delay_ms`, `retry_after`); returns it with its `id`."""
        result: dict[str, Any] = json_or_raise(self._control.post("/_uprof/faults", json=rule))
        return result

    def all(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = json_or_raise(self._control.get("/_uprof/faults"))["data"]
        return result

    def clear(self) -> None:
        json_or_raise(self._control.delete("/_uprof/faults"))
