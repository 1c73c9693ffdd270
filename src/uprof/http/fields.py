"""Declarations of wire fields: one object per rule, read by the request validators, the import checker
(portability/) and the OpenAPI document alike, so a limit, pattern or list of values is written once.

Each declaration answers `problem(value)` with the message suffix a validator puts after the field's
path (None when the value is fine), and `schema()` with its JSON Schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from uprof.http.errors import one_of


@dataclass(frozen=True)
class Text:
    """A string of `shortest` to `longest` characters, or one matching `pattern` (whole), which the
    messages call `described`."""

    shortest: int = 1
    longest: int | None = None
    pattern: str | None = None
    described: str = ""
    _compiled: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.pattern is not None:
            object.__setattr__(self, "_compiled", re.compile(self.pattern, re.ASCII))

    def problem(self, value: Any) -> str | None:
        if self._compiled is not None:
            ok = isinstance(value, str) and self._compiled.fullmatch(value) is not None
            return None if ok else f"must be {self.described}"
        if not isinstance(value, str):
            return "must be a string"
        if self.longest is not None and not self.shortest <= len(value) <= self.longest:
            return f"must be {self.shortest} to {self.longest} characters"
        return None

    def schema(self, *, nullable: bool = False) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": ["string", "null"] if nullable else "string"}
        if self.pattern is not None:
            schema["pattern"] = f"^{self.pattern}$"
        else:
            if self.shortest:
                schema["minLength"] = self.shortest
            if self.longest is not None:
                schema["maxLength"] = self.longest
        return schema


@dataclass(frozen=True)
class Choice:
    """One of `values`."""

    values: tuple[str, ...]

    def problem(self, value: Any) -> str | None:
        return None if value in self.values else one_of(self.values)

    def schema(self, *, nullable: bool = False) -> dict[str, Any]:
        return {"enum": [*self.values, None] if nullable else list(self.values)}


# A country as ISO 3166-1 alpha-2 writes it: a profile's details and an identity check's document.
COUNTRY_CODE = Text(pattern="[A-Z]{2}", described="two uppercase ASCII letters")
