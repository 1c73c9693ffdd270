"""uvicorn's HTTP protocol, with the guards a server facing untrusted clients needs.

- Requests httptools cannot parse (for example a request line over 64 KiB) are answered in the
  API's error envelope with a `request-id` (docs/reference/http.md §17): uvicorn would answer before any ASGI code
  runs, in plain text.
- A request head (request line and header fields) over MAX_HEAD_BYTES is refused with 431 as soon
  as it passes the limit: httptools itself buffers a header of any size.
- A request must arrive in full within the client timeout (`--client-timeout`), counted from its
  first byte, or from the connection's opening for its first request: uvicorn alone keeps a
  connection that sends nothing, or trickles a header or a body, open forever. A late client gets a
  400 and the connection is closed. Idle keep-alive connections stay uvicorn's (5 s).
- A response leaves in one write: uvicorn writes the head and the body separately, two system
  calls and two TCP segments per response (`OneWritePerResponse`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from uprof import metrics
from uprof.http.context import SCOPE_KEY, RequestContext
from uprof.http.errors import HttpLayerError, error_body
from uprof.ids import new_id

log = logging.getLogger("uprof.request")

MAX_HEAD_BYTES = 256 * 1024
DEFAULT_CLIENT_TIMEOUT = 30.0
# Set in a request's scope when this protocol answered for it (the client was too slow); the
# request log then shows that status instead of "client closed" (http/edge.py).
ANSWERED_BY_PROTOCOL = "uprof.answered_by_protocol"


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_complete = False  # the current request's head has been parsed; its body may follow
        self._head_bytes = 0  # bytes received since the current request began, while its head is incomplete
        self._request_open = False  # a request has begun and not yet arrived in full
        self._deadline: asyncio.TimerHandle | None = None
        self._arm_deadline()  # a client that connects and sends nothing gets the same time as any other

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if not self._head_complete:
            self._head_bytes += len(data)
        super().data_received(data)
        if self.transport.is_closing():
            return
        if not self._head_complete and self._head_bytes > MAX_HEAD_BYTES:
            message = f"request: the request line and header fields exceed the {MAX_HEAD_BYTES}-byte limit"
            self._refuse_request_head(431, message)
        elif self._request_open:
            # Only a request that did not arrive in one read needs its deadline: most do, and
            # then no timer is made at all.
            self._arm_deadline()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._request_open = True

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._head_complete = True
        cycle = self.cycle
        if cycle is not None and cycle.transport is self.transport:
            cycle.transport = OneWritePerResponse(self.transport, cycle)  # type: ignore[assignment]

    def on_response_complete(self) -> None:
        cycle = self.cycle
        if cycle is not None and isinstance(cycle.transport, OneWritePerResponse):
            cycle.transport.flush()
        super().on_response_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._request_open = False
        self._cancel_deadline()
        self._head_complete = False
        self._head_bytes = 0

    def send_400_response(self, msg: str) -> None:
        self._refuse_request_head(400, "request: not a valid HTTP request")

    def _arm_deadline(self) -> None:
        if self._deadline is None:
            seconds = getattr(self.config, "client_timeout", DEFAULT_CLIENT_TIMEOUT)
            self._deadline = self.loop.call_later(seconds, self._client_too_slow, seconds)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _client_too_slow(self, seconds: float) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        message = f"request: not received in full within {seconds:g} seconds"
        cycle = self.cycle
        if not self._head_complete or cycle is None:
            self._refuse_request_head(400, message)
            return
        if cycle.response_started:
            # The app answered without waiting for the rest of the body: only the connection is left.
            if cycle.response_complete:
                self.transport.close()
            return
        # The app is waiting for the body: answer for it, under its request ID, and let its pending
        # receive() report the disconnect.
        context = cycle.scope.get(SCOPE_KEY)
        request_id = context.request_id if isinstance(context, RequestContext) else new_id("req_")
        cycle.scope[ANSWERED_BY_PROTOCOL] = 400  # type: ignore[literal-required]
        self._answer_and_close(400, message, request_id)
        cycle.disconnected = True
        cycle.message_event.set()

    def _refuse_request_head(self, status: int, message: str) -> None:
        """Answer a request that never reached the app; the request log and metrics count it as the edge would."""
        request_id = new_id("req_")
        self._answer_and_close(status, message, request_id)
        metrics.observe("unmatched", "-", status, 0.0)
        log.info(
            "%s - - %d (%s)",
            request_id,
            status,
            message,
            extra={"request_id": request_id, "route": "unmatched", "status": status, "key_id": None},
        )

    def _answer_and_close(self, status: int, message: str, request_id: str) -> None:
        """Write an error in the API's envelope straight to the socket, then close the connection."""
        body = error_body(HttpLayerError(status, message), request_id)
        content = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                b"content-type: application/json\r\n",
                b"request-id: " + request_id.encode() + b"\r\n",
                b"cache-control: no-store\r\n",
                b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                b"connection: close\r\n",
                b"\r\n",
                body,
            ]
        )
        self.transport.write(b"".join(content))
        self.transport.close()


class OneWritePerResponse:
    """The transport as one request's cycle sees it: the response head waits for the body, so that a
    response leaves in one write — one system call and one wake-up of the client — instead of two.

    uvicorn writes the head when the app sends `http.response.start` and the body with the next
    message, in the same turn of the event loop. The head is held only between those two; the end
    of the response (HEAD has no body), a close, and any other write let it go first.
    """

    __slots__ = ("_cycle", "_head_seen", "_held", "_transport")

    def __init__(self, transport: asyncio.Transport, cycle: Any) -> None:
        self._transport = transport
        self._cycle = cycle
        self._head_seen = False
        self._held: bytes | None = None

    def write(self, data: bytes) -> None:
        if self._held is not None:
            data, self._held = self._held + data, None
        elif not self._head_seen and self._cycle.response_started:
            # The head: written once the response has started (a `100 Continue` is written before).
            self._head_seen = True
            self._held = data
            return
        self._transport.write(data)

    def flush(self) -> None:
        if self._held is not None:
            data, self._held = self._held, None
            self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)
