"""A webhook receiver for one organization's tests (docs/testing.md §2): an HTTP server on 127.0.0.1
that keeps every delivery, verified with its endpoint's signing secret by the Standard Webhooks
library, exactly as the SDK's `client.beta.webhooks.unwrap` verifies it."""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from standardwebhooks import Webhook

from uprof.testing.errors import json_or_raise
from uprof.webhooks.schemas import EVENT_TYPES

WEBHOOK_HEADERS = {"anthropic-version": "2023-06-01", "anthropic-beta": "webhooks-2026-10-07"}


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: str
    event: dict[str, Any] | None = None  # the verified envelope; None when verification failed
    error: str | None = None


@dataclass
class _Inbox:
    secrets: dict[str, str] = field(default_factory=dict)  # receiver path → the endpoint's signing secret
    deliveries: list[Delivery] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def receive(self, path: str, headers: dict[str, str], body: str) -> None:
        delivery = Delivery(path, headers, body)
        secret = self.secrets.get(path)
        try:
            if secret is None:
                raise ValueError(f"no endpoint was subscribed at {path}")
            Webhook(secret).verify(body, headers)
            delivery.event = json.loads(body)
        except Exception as failure:  # recorded: wait_for and the fixture's end fail the test with it
            delivery.error = f"{type(failure).__name__}: {failure}"
        with self.changed:
            self.deliveries.append(delivery)
            self.changed.notify_all()


class Webhooks:
    """Started on first use; `close` stops it."""

    def __init__(self, admin: httpx.Client) -> None:
        self._admin = admin
        self._inbox = _Inbox()
        self._server: ThreadingHTTPServer | None = None
        self._paths = itertools.count(1)
        self._returned: set[int] = set()  # indexes of deliveries wait_for already returned

    def subscribe(self, events: list[str] | tuple[str, ...] | None = None) -> dict[str, Any]:
        """Register an endpoint of the organization pointing at this receiver (all event types when
        `events` is None); returns the endpoint, `signing_secret` included."""
        path = f"/hooks/{next(self._paths)}"
        body = {"url": self._url() + path, "enabled_events": list(events or EVENT_TYPES)}
        endpoint: dict[str, Any] = json_or_raise(
            self._admin.post("/v1/organizations/webhooks", json=body, headers=WEBHOOK_HEADERS)
        )
        self._inbox.secrets[path] = endpoint["signing_secret"]
        return endpoint

    def wait_for(self, event_type: str, *, timeout: float = 5.0) -> dict[str, Any]:
        """The envelope of the first verified delivery of `event_type` not returned before; a delivery
        that fails verification, or none within `timeout` seconds, fails with AssertionError."""
        deadline = time.monotonic() + timeout
        inbox = self._inbox
        with inbox.changed:
            while True:
                for index, delivery in enumerate(inbox.deliveries):
                    assert delivery.error is None, f"a webhook delivery failed verification: {delivery.error}"
                    event = delivery.event
                    if index not in self._returned and event is not None and _type_of(event) == event_type:
                        self._returned.add(index)
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [_type_of(d.event) for d in inbox.deliveries if d.event is not None]
                    raise AssertionError(f"no {event_type} delivery within {timeout} s (received: {seen})")
                inbox.changed.wait(left)

    def received(self) -> list[dict[str, Any]]:
        """Every verified envelope so far, in arrival order."""
        with self._inbox.changed:
            return [d.event for d in self._inbox.deliveries if d.event is not None]

    def failures(self) -> list[str]:
        with self._inbox.changed:
            return [d.error for d in self._inbox.deliveries if d.error is not None]

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _url(self) -> str:
        if self._server is None:
            self._server = _ReceivingServer(("127.0.0.1", 0), _handler_for(self._inbox))
            threading.Thread(target=self._server.serve_forever, name="uprof-webhooks", daemon=True).start()
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"


class _ReceivingServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's backlog of 5 overflows when a burst of deliveries arrives at once; the kernel would
    # then drop connections, and uprof rightly record those attempts as failed.
    request_queue_size = 128


def _type_of(event: dict[str, Any]) -> Any:
    """The event type, which the envelope carries in `data.type` (docs/webhooks.md)."""
    return (event.get("data") or {}).get("type")


def _handler_for(inbox: _Inbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length).decode("utf-8")
            inbox.receive(self.path, {name.lower(): value for name, value in self.headers.items()}, body)
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # quiet: the test output stays the user's
            pass

    return Handler
