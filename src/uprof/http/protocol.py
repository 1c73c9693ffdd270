"""uvicorn's HTTP protocol, with its own parser errors answered in the API's error envelope.

When httptools cannot parse a request at all (for example a request line over 64 KiB), uvicorn
answers before any ASGI code runs, with a plain-text 400. http.md §17 wants every error as the JSON
envelope, with a `request-id`, even those raised before routing.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from uprof.http.errors import HttpLayerError, error_body
from uprof.ids import new_id


class EnvelopeHttpToolsProtocol(HttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        request_id = new_id("req_")
        body = error_body(HttpLayerError(400, "request: not a valid HTTP request"), request_id)
        content = [STATUS_LINE[400]]
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
