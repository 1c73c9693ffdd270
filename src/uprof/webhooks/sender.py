"""One delivery attempt over HTTP: a single POST, no redirects, and what came of it (docs/reference/webhooks.md §6).

The client is httpcore's connection pool rather than httpx's client: its network backend is the
place the egress policy sits (egress.py), and it hands over the reply's bytes as they arrive, never
decompressed. The request asks for `identity` besides, and reading stops at the excerpt's limit, so
a reply costs at most EXCERPT_BYTES of memory whatever it says or however it is encoded.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import datetime

import httpcore
import httpx

from uprof import __version__
from uprof.timestamps import utc_now
from uprof.webhooks.egress import ADDRESS_NOT_ALLOWED, AddressNotAllowed, EgressPolicy, GuardedNetworkBackend

EXCERPT_BYTES = 1024
USER_AGENT = f"uprof-webhooks/{__version__}"


@dataclass(frozen=True)
class Outcome:
    """What one attempt recorded: an HTTP status, or the kind of error that prevented one."""

    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None  # timeout, connection_error, tls_error, dns_error, address_not_allowed
    response_excerpt: str | None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def make_client(policy: EgressPolicy) -> httpcore.AsyncConnectionPool:
    """The dispatcher's HTTP client: it connects only where `policy` permits, directly (proxies from
    the environment are not used) and follows no redirects (httpcore never does)."""
    return httpcore.AsyncConnectionPool(
        max_connections=100, max_keepalive_connections=20, network_backend=GuardedNetworkBackend(policy)
    )


async def post(
    client: httpcore.AsyncConnectionPool, url: str, body: bytes, signature: dict[str, str], timeout: float
) -> Outcome:
    """POST `body` to `url`; connecting and answering must both fit within `timeout` seconds."""
    headers = {**signature, "content-type": "application/json", "user-agent": USER_AGENT, "accept-encoding": "identity"}
    started_at, started = utc_now(), time.monotonic()
    status: int | None = None
    excerpt = bytearray()
    error: str | None = None
    try:
        target = _target(url)
        async with (
            asyncio.timeout(timeout),
            client.stream(
                "POST", target, headers=list(headers.items()), content=body, extensions=_timeouts(timeout)
            ) as response,
        ):
            status = response.status
            async for chunk in response.aiter_stream():
                excerpt += chunk[: EXCERPT_BYTES - len(excerpt)]
                if len(excerpt) >= EXCERPT_BYTES:
                    break
    except Exception as failure:  # a status already received stands; only its body was cut short
        if status is None:
            error = error_kind(failure)
    duration_ms = round((time.monotonic() - started) * 1000)
    text = None if status is None else _text(bytes(excerpt))
    return Outcome(started_at, duration_ms, status, error, text)


def _target(url: str) -> httpcore.URL:
    """The URL as httpx normalises it (IDNA host, percent-encoded path), in httpcore's terms."""
    parsed = httpx.URL(url)
    return httpcore.URL(scheme=parsed.raw_scheme, host=parsed.raw_host, port=parsed.port, target=parsed.raw_path)


def _timeouts(seconds: float) -> dict[str, object]:
    return {"timeout": dict.fromkeys(("connect", "read", "write", "pool"), seconds)}


def not_sent(error: str) -> Outcome:
    """The outcome of an attempt that failed before any request was made."""
    return Outcome(utc_now(), 0, None, error, None)


def cut_short(started_at: datetime, started: float) -> Outcome:
    """The outcome of an attempt the dispatcher stopped waiting for because it is shutting down: a
    `timeout`, the kind docs/reference/webhooks.md §6 has for an answer that did not come within the time the
    attempt was given (here the shutdown grace rather than the whole timeout; `duration_ms` says how long)."""
    return Outcome(started_at, round((time.monotonic() - started) * 1000), None, "timeout", None)


def error_kind(failure: BaseException) -> str:
    """Classify a failed attempt: `timeout`, `address_not_allowed`, `dns_error`, `tls_error` or
    `connection_error`."""
    if isinstance(failure, TimeoutError | httpcore.TimeoutException | httpx.TimeoutException):
        return "timeout"
    causes = _causes(failure)
    if any(isinstance(cause, AddressNotAllowed) for cause in causes):
        return ADDRESS_NOT_ALLOWED
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
