"""`uprof.testing.Org`: one fresh organization on the test server, and everything a test does with it
(docs/testing.md §2)."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

import httpx

from uprof.testing.end_user import EndUser
from uprof.testing.errors import json_or_raise
from uprof.testing.journal import Faults, Requests
from uprof.testing.operator import Operator
from uprof.testing.webhooks import Webhooks

INSTALL_THE_SDK = (
    "uprof.testing's client() needs the official SDK, which uprof does not install: pip install 'anthropic[webhooks]'"
)


class Clock:
    """The server's virtual clock (docs/testing.md §4): shared by every organization, forward only."""

    def __init__(self, control: httpx.Client) -> None:
        self._control = control

    def now(self) -> datetime:
        return _parse(json_or_raise(self._control.get("/_uprof/clock"))["now"])

    def advance(self, seconds: float = 0, *, minutes: float = 0, hours: float = 0, days: float = 0) -> datetime:
        total = timedelta(seconds=seconds, minutes=minutes, hours=hours, days=days).total_seconds()
        answer = json_or_raise(self._control.post("/_uprof/clock/advance", json={"seconds": total}))
        return _parse(answer["now"])


class Org:
    """A fresh organization: its keys, SDK clients, the operator, the end user, the clock, the journal,
    faults and a webhook receiver."""

    def __init__(self, base_url: str, organization_id: str, api_key: str, admin_key: str) -> None:
        self.base_url = base_url
        self.organization_id = organization_id
        self.api_key = api_key
        self.admin_key = admin_key
        self._clients: list[Any] = []  # the synchronous SDK clients handed out, closed with the organization

    def client(self, **kwargs: Any) -> Any:
        """`anthropic.Anthropic` for this organization's standard key; `kwargs` pass through."""
        return self._handed_out(_sdk("Anthropic")(**{"base_url": self.base_url, "api_key": self.api_key, **kwargs}))

    def async_client(self, **kwargs: Any) -> Any:
        return _sdk("AsyncAnthropic")(**{"base_url": self.base_url, "api_key": self.api_key, **kwargs})

    def admin_client(self, **kwargs: Any) -> Any:
        """The SDK with the admin key (webhook endpoints need it)."""
        return self._handed_out(_sdk("Anthropic")(**{"base_url": self.base_url, "api_key": self.admin_key, **kwargs}))

    def _handed_out(self, client: Any) -> Any:
        self._clients.append(client)
        return client

    @cached_property
    def _control(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers={"x-api-key": self.admin_key}, timeout=30)

    @cached_property
    def operator(self) -> Operator:
        return Operator(self._control)

    @cached_property
    def end_user(self) -> EndUser:
        return EndUser(self.base_url, self.operator)

    @cached_property
    def clock(self) -> Clock:
        return Clock(self._control)

    @cached_property
    def requests(self) -> Requests:
        return Requests(self._control)

    @cached_property
    def faults(self) -> Faults:
        return Faults(self._control)

    @cached_property
    def webhooks(self) -> Webhooks:
        return Webhooks(self._control)

    def reset(self) -> dict[str, Any]:
        """Delete every object of the organization (keys stay); returns the counts deleted."""
        result: dict[str, Any] = json_or_raise(self._control.post("/_uprof/reset"))
        return result

    def flush_webhooks(self) -> dict[str, int]:
        """Attempt every pending delivery now, back-off ignored, and wait for the attempts."""
        result: dict[str, int] = json_or_raise(self._control.post("/_uprof/webhooks/flush"))
        return result

    def close(self) -> None:
        """Stop the webhook receiver and close the connections of the clients handed out (an async
        client is closed by its own `async with`)."""
        for client in self._clients:
            client.close()
        if "webhooks" in self.__dict__:
            self.webhooks.close()
        if "_control" in self.__dict__:
            self._control.close()


def _sdk(name: str) -> Any:
    try:
        import anthropic
    except ImportError:
        raise RuntimeError(INSTALL_THE_SDK) from None
    return getattr(anthropic, name)


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
