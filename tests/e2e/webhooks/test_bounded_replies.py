"""Replies cost no memory: receivers that answer a gzip bomb (about 200 KB that inflate to 200 MB) or
an endless plain body are read no further than the 1 KiB excerpt, and the server's peak resident
memory (VmHWM) grows by less than a few MiB during the bombed attempt."""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.webhooks.support import UPDATED, Hub, Operator, settled

INFLATED_BYTES = 200 * 1024 * 1024
MIB = 1024 * 1024
# What the server may grow by: the attempt's buffers, a connection, allocator noise; the bomb
# inflated would be 200 MiB.
PEAK_GROWTH_LIMIT = 4 * MIB


def gzip_bomb(size: int) -> bytes:
    """A gzip member of `size` zero bytes, compressed chunk by chunk (never `size` bytes in memory)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(MIB)
    parts = [packer.compress(block) for _ in range(size // MIB)]
    return b"".join([*parts, packer.flush()])


class Bomber(ThreadingHTTPServer):
    """Answers every POST with 200 and the body `mode` calls for; records each request's headers."""

    daemon_threads = True

    def __init__(self, bomb: bytes) -> None:
        self.headers_seen: list[dict[str, str]] = []
        self.bomb = bomb
        bomber = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 -- the http.server hook's name
                self.rfile.read(int(self.headers.get("content-length", "0")))
                bomber.headers_seen.append({name.lower(): value for name, value in self.headers.items()})
                try:
                    if self.path == "/gzip":
                        self._answer(bomber.bomb, {"content-encoding": "gzip", "content-length": str(len(bomber.bomb))})
                    else:  # an endless plain body, until the client hangs up
                        self._answer(b"", {"transfer-encoding": "chunked"})
                        chunk = b"x" * 65536
                        while True:
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                except OSError:  # the server stopped reading, as it should
                    pass

            def _answer(self, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(200)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


@pytest.fixture(scope="module")
def bomber() -> Iterator[Bomber]:
    running = Bomber(gzip_bomb(INFLATED_BYTES))
    yield running
    running.shutdown()
    running.server_close()


def peak_resident_bytes(pid: int) -> int:
    """The process's peak resident set size so far (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmHWM for process {pid}")


@pytest.mark.parametrize("path", ["/gzip", "/endless"])
def test_a_reply_is_read_no_further_than_the_excerpt(
    shared: Hub, operator: Operator, bomber: Bomber, path: str, record_property: Any
) -> None:
    assert 150_000 < len(bomber.bomb) < 250_000  # about 200 KB on the wire
    endpoint = operator.endpoint(bomber.url(path), [UPDATED])
    before = peak_resident_bytes(shared.server.process.pid)
    operator.set_cyber(operator.profile())
    [delivery] = settled(operator, endpoint.id, 1, "succeeded")
    growth = peak_resident_bytes(shared.server.process.pid) - before
    record_property("peak_rss_growth_bytes", growth)
    print(f"{path}: peak RSS grew by {growth / MIB:.2f} MiB (from {before / MIB:.1f} MiB)")
    [attempt] = operator.delivery(delivery["id"])["attempts"]
    assert attempt["status_code"] == 200
    assert 0 < len(attempt["response_excerpt"]) <= 1024
    if path == "/endless":
        assert attempt["response_excerpt"] == "x" * 1024
    assert bomber.headers_seen[-1]["accept-encoding"] == "identity"
    assert growth < PEAK_GROWTH_LIMIT, f"peak RSS grew by {growth / MIB:.1f} MiB"
