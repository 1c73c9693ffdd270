"""OneWritePerResponse (http/protocol.py): the response head waits for the body, and nothing waits longer.

The transport here records writes: it stands in for asyncio's, which is not uprof's code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from uprof.http.protocol import OneWritePerResponse


@dataclass
class RecordingTransport:
    writes: list[bytes] = field(default_factory=list)
    closed: bool = False

    def write(self, data: bytes) -> None:
        assert not self.closed, "written after close"
        self.writes.append(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_write_buffer_size(self) -> int:
        return 0


@dataclass
class Cycle:
    response_started: bool = False
    response_complete: bool = False


def wrapped() -> tuple[OneWritePerResponse, RecordingTransport, Cycle]:
    transport, cycle = RecordingTransport(), Cycle()
    return OneWritePerResponse(cast(Any, transport), cycle), transport, cycle


def test_head_and_body_leave_in_one_write() -> None:
    writer, transport, cycle = wrapped()
    cycle.response_started = True
    writer.write(b"HTTP/1.1 200 OK\r\n\r\n")
    assert transport.writes == []
    writer.write(b"{}")
    assert transport.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}"]
    writer.write(b"more")  # a streamed body's later chunks go out as they come
    assert transport.writes[-1] == b"more"


def test_a_100_continue_is_not_held() -> None:
    writer, transport, cycle = wrapped()
    writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert transport.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]
    cycle.response_started = True
    writer.write(b"head")
    writer.write(b"body")
    assert transport.writes[1:] == [b"headbody"]


def test_a_response_without_body_writes_its_head_when_it_ends_or_closes() -> None:
    writer, transport, cycle = wrapped()
    cycle.response_started = True
    writer.write(b"head of a HEAD")
    writer.flush()  # what the protocol does when the response is complete
    assert transport.writes == [b"head of a HEAD"]

    writer, transport, cycle = wrapped()
    cycle.response_started = True
    writer.write(b"head")
    writer.close()
    assert transport.writes == [b"head"] and transport.closed


def test_everything_else_is_the_transport() -> None:
    writer, transport, _ = wrapped()
    assert writer.get_write_buffer_size() == 0
    assert not writer.is_closing()
