"""Logging set-up for the server: human-readable text or one JSON object per line, on stderr.

With the JSON format every line on stderr is one object: uvicorn's own messages (bind errors,
unparsable requests) go through the same handler, and `uprof serve` writes its start-up messages
(`status`) as log records rather than as plain lines.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import contextlib
import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

from uprof.timestamps import format_timestamp

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}

# What `uprof serve` tells the operator about its start and stop (the first-start key ID, the
# listening address, secret key files). Shown at every --log-level, as those lines always were.
STATUS = logging.getLogger("uprof.status")
STATUS.setLevel(logging.INFO)

# uvicorn's messages, sent through uprof's handler when the format is JSON (serving.py then gives
# uvicorn no logging configuration of its own).
UVICORN = "uvicorn"
# Every line of the text format starts with it.
TEXT_PREFIX = "uprof: "

# uvicorn warns about every request that asks to upgrade the connection (to WebSocket, say), and adds
# that no WebSocket library is installed. uprof has no WebSocket routes and answers such a request as
# plain HTTP, so neither is news to the operator (nor should a client be able to fill the log with it).
_UPGRADE_WARNINGS = ("Unsupported upgrade request.", "No supported WebSocket library detected")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = {key: value for key, value in record.__dict__.items() if key not in _STANDARD}
        if record.exc_info:
            fields["exception"] = self.formatException(record.exc_info)
        at = datetime.fromtimestamp(record.created, UTC)
        return json_line(at, record.levelname.lower(), record.name, record.getMessage(), fields)


def json_line(at: datetime, level: str, logger: str, message: str, fields: dict[str, Any]) -> str:
    """One line of the JSON format: time, level, logger and message, then the record's own fields."""
    entry = {"time": format_timestamp(at), "level": level, "logger": logger, "message": message, **fields}
    return orjson.dumps(entry, default=str).decode()


class _NoUpgradeWarnings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith(_UPGRADE_WARNINGS))


_NO_UPGRADE_WARNINGS = _NoUpgradeWarnings()


def configure(level: str, fmt: str) -> None:
    """Send uprof's log records (and, for JSON, uvicorn's) to stderr in `fmt` (`text` or `json`)."""
    # Neither format shows the caller's file and line, thread or process, so no record looks them up
    # (the logging HOWTO's "Optimization" switches): the request log writes one record per request.
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_PREFIX + "%(message)s"))
    root = logging.getLogger("uprof")
    REQUEST_LOG.configure(handler, json=fmt == "json")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
    uvicorn = logging.getLogger(UVICORN)
    if fmt == "json":
        uvicorn.handlers[:] = [handler]
        uvicorn.propagate = False
    logging.getLogger(f"{UVICORN}.error").addFilter(_NO_UPGRADE_WARNINGS)  # adding it twice keeps one


def status(message: str, *, level: int = logging.INFO) -> None:
    """Tell the operator `message` on stderr through the configured handler (`uprof: …` as text)."""
    REQUEST_LOG.flush()  # the request lines before it come first
    STATUS.log(level, message)


class RequestLog:
    """The request log: one line per answered request (http/edge.py), the same line the `uprof.request`
    logger would write through the configured handler, at a fraction of the cost.

    Through logging's record, formatter and handler a line cost about a tenth of a retrieve's CPU
    (docs/performance.md). Here the line is formatted directly, and the lines of one event-loop turn
    go to the handler's stream together: one write and one flush per turn, scheduled on the loop
    when the turn's first line arrives (or made at once outside a loop). The level of the
    `uprof.request` logger still decides whether lines are written.
    """

    def __init__(self) -> None:
        self._handler: logging.StreamHandler[Any] | None = None
        self._json = False
        self._pending: collections.deque[str] = collections.deque()
        self._scheduled = False

    def configure(self, handler: logging.StreamHandler[Any] | None, *, json: bool = False) -> None:
        """Write through `handler`'s stream (None: write nothing)."""
        self.flush()
        self._handler, self._json = handler, json

    @property
    def enabled(self) -> bool:
        return self._handler is not None and REQUEST_LOGGER.isEnabledFor(logging.INFO)

    def write(self, message: str, fields: dict[str, Any]) -> None:
        """Queue one line: `message` as text, or as JSON with `fields` beside it (JsonFormatter's shape)."""
        if self._json:
            line = json_line(datetime.now(UTC), "info", REQUEST_LOGGER.name, message, fields)
        else:
            line = TEXT_PREFIX + message
        self._pending.append(line)
        if self._scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._scheduled = True
        loop.call_soon(self.flush)

    def flush(self) -> None:
        """Write every queued line (safe from any thread: lines are taken off the queue one by one)."""
        self._scheduled = False
        pending, handler = self._pending, self._handler
        if handler is None or not pending:
            return
        lines = []
        while pending:
            lines.append(pending.popleft())
        with handler.lock or contextlib.nullcontext():
            stream = handler.stream
            stream.write("\n".join(lines) + "\n")
            stream.flush()


REQUEST_LOGGER = logging.getLogger("uprof.request")
REQUEST_LOG = RequestLog()
# A process that stops between a turn's last line and the turn's end still writes it.
atexit.register(REQUEST_LOG.flush)
