"""Per-request facts every layer may need, kept in the ASGI scope under one key."""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

from uprof.ids import new_id

SCOPE_KEY = "uprof.request"


@dataclass
class RequestContext:
    request_id: str
    organization_id: str | None = None  # set once the API key is accepted
    workspace_id: str | None = None  # set when the request acts in a workspace
    key_id: str | None = None
    extra_headers: list[tuple[bytes, bytes]] = field(default_factory=list)  # e.g. rate-limit state

    @classmethod
    def start(cls, scope: MutableMapping[str, Any]) -> RequestContext:
        context = cls(request_id=new_id("req_"))
        scope[SCOPE_KEY] = context
        return context


def request_context(scope: Any) -> RequestContext:
    context: RequestContext = scope[SCOPE_KEY]
    return context
