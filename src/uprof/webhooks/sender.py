"""One delivery attempt over HTTP: a single POST, no redirects, and what came of it (docs/reference/webhooks.md §6)."""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import datetime

import httpx

from uprof import __version__
from uprof.timestamps import utc_now

EXCERPT_BYTES = 1024
USER_AGENT = f"uprof-webhooks/{__version__}"


@dataclass(frozen=True)
class Outcome:
    """What one attempt recorded: an HTTP status, or the kind of error that prevented one."""

    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None  # timeout, connection_error, tls_error, dns_error
    response_excerpt: str | None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def make_client(timeout: float) -> httpx.AsyncClient:
    """The dispatcher's HTTP client: redirects are failures, proxies from the environment are not used."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
    )


async def post(client: httpx.AsyncClient, url: str, body: bytes, signature: dict[str, str], timeout: float) -> Outcome:
    """POST `body` to `url`; connecting and answering must both fit within `timeout` seconds."""
    headers = {**signature, "content-type": "application/json", "user-agent": USER_AGENT}
    started_at, started = utc_now(), time.monotonic()
    status: int | None = None
    excerpt = bytearray()
    error: str | None = None
    try:
        async with asyncio.timeout(timeout), client.stream("POST", url, content=body, headers=headers) as response:
            status = response.status_code
            async for chunk in response.aiter_bytes():
                excerpt += chunk[: EXCERPT_BYTES - len(excerpt)]
                if len(excerpt) >= EXCERPT_BYTES:
                    break
    except Exception as failure:  # a status already received stands; only its body was cut short
        if status is None:
            error = error_kind(failure)
    duration_ms = round((time.monotonic() - started) * 1000)
    text = None if status is None else _text(bytes(excerpt))
    return Outcome(started_at, duration_ms, status, error, text)


def not_sent(error: str) -> Outcome:
    """The outcome of an attempt that failed before any request was made."""
    return Outcome(utc_now(), 0, None, error, None)


def cut_short(started_at: datetime, started: float) -> Outcome:
    """The outcome of an attempt the dispatcher stopped waiting for because it is shutting down: a
    `timeout`, the kind docs/reference/webhooks.md §6 has for an answer that did not come within the time the
    attempt was given (here the shutdown grace rather than the whole timeout; `duration_ms` says how long)."""
    return Outcome(started_at, round((time.monotonic() - started) * 1000), None, "timeout", None)


def error_kind(failure: BaseException) -> str:
    """Classify a failed attempt: `timeout`, `dns_error`, `tls_error` or `connection_error`."""
    if isinstance(failure, TimeoutError | httpx.TimeoutException):
        return "timeout"
    causes = _causes(failure)
    if any(isinstance(cause, socket.gaierror) for cause in causes):
        return "dns_error"
    if any(isinstance(cause, ssl.SSLError | ssl.CertificateError) for cause in causes):
        return "tls_error"
    return "connection_error"


def _causes(failure: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = failure
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _text(raw: bytes) -> str:
    # PostgreSQL text cannot hold NUL; a cut multi-byte character becomes U+FFFD.
    return raw.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
