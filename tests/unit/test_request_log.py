"""The request log's writer (logs.REQUEST_LOG): the lines of one event-loop turn leave in one write,
in JsonFormatter's shape, and only at the level the `uprof.request` logger allows."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest

from uprof import logs


class CountingStream(io.StringIO):
    writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def configure(level: str, fmt: str, stream: io.StringIO) -> None:
    """logs.configure, with the handler writing to `stream` instead of stderr."""
    logs.configure(level, fmt)
    handler = logging.getLogger("uprof").handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)


@pytest.fixture
def stream() -> Iterator[CountingStream]:
    root = logging.getLogger("uprof")
    saved = (root.handlers[:], root.level, root.propagate)
    counting = CountingStream()
    configure("info", "text", counting)
    yield counting
    logs.REQUEST_LOG.configure(None)  # as before any test: no handler, so no request lines
    root.handlers[:], root.level, root.propagate = saved


def test_the_lines_of_one_turn_leave_in_one_write(stream: CountingStream) -> None:
    async def turn() -> None:
        for number in range(5):
            logs.REQUEST_LOG.write(f"line {number}", {})
        assert stream.writes == 0  # not yet: at the end of the turn
        await asyncio.sleep(0)

    asyncio.run(turn())
    assert stream.getvalue() == "".join(f"uprof: line {number}\n" for number in range(5))
    assert stream.writes == 1


def test_outside_an_event_loop_a_line_is_written_at_once(stream: CountingStream) -> None:
    logs.REQUEST_LOG.write("alone", {})
    assert stream.getvalue() == "uprof: alone\n"


def test_json_lines_have_the_formatter_s_shape(stream: CountingStream) -> None:
    configure("info", "json", stream)
    logs.REQUEST_LOG.write("req_1 GET /v1/x 200", {"request_id": "req_1", "status": 200})
    entry = json.loads(stream.getvalue())
    assert set(entry) == {"time", "level", "logger", "message", "request_id", "status"}
    assert (entry["level"], entry["logger"], entry["status"]) == ("info", "uprof.request", 200)


def test_a_level_above_info_writes_no_request_lines(stream: CountingStream) -> None:
    configure("warning", "text", stream)
    assert not logs.REQUEST_LOG.enabled
