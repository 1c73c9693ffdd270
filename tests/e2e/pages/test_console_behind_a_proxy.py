"""The console of a server behind a trusted proxy (`--forwarded-allow-ips 127.0.0.1`): failed sign-ins
are throttled per client address as the proxy reports it (429 page with `retry-after`, the right key
welcome again once it has passed), the session cookie is `Secure` whenever the proxy says https, and
the request log shows the client's address; a peer that is not a trusted proxy is taken at its word
for nothing."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import Server, start_server, stop_server
from tests.e2e.pages.support import TLS, assert_page, csrf_of
from tests.e2e.waiting import wait_until
from uprof.console.throttle import FAILURES_ALLOWED, REFILL_SECONDS

WRONG_KEY = "sk-uprof-admin-wrong"


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """A server of its own (sign-in buckets are per process) that trusts the proxy on 127.0.0.1; its
    first-start admin key."""
    folder = tmp_path_factory.mktemp("proxied")
    server = start_server(
        f"sqlite:///{folder / 'uprof.db'}", "--forwarded-allow-ips", "127.0.0.1", "--log-format", "json"
    )
    try:
        [key] = re.findall(r"^sk-uprof-admin-\S+$", server.output(), re.MULTILINE)
        yield server, key
    finally:
        stop_server(server)


def sign_in(server: Server, key: str, headers: dict[str, str], local_address: str | None = None) -> httpx.Response:
    transport = httpx.HTTPTransport(local_address=local_address, verify=TLS) if local_address else None
    with httpx.Client(base_url=server.url, timeout=10, verify=TLS, headers=headers, transport=transport) as client:
        login = client.get("/console/login")
        # Sent by hand: the client would keep back a `Secure` cookie on this plain-http hop, as a
        # browser talking https to the proxy would not.
        token = login.headers["set-cookie"].split(";")[0]
        form = {"csrf_token": csrf_of(login), "api_key": key}
        return client.post("/console/login", data=form, headers={"cookie": token})


def test_failed_sign_ins_are_throttled_per_client(proxied: tuple[Server, str]) -> None:
    server, key = proxied
    guesser = {"x-forwarded-for": "203.0.113.7"}
    for _ in range(FAILURES_ALLOWED):
        assert sign_in(server, WRONG_KEY, guesser).status_code == 401
    refused = sign_in(server, WRONG_KEY, guesser)
    assert_page(refused, 429, "Too many failed sign-ins")
    wait = int(refused.headers["retry-after"])
    assert 1 <= wait <= REFILL_SECONDS
    started = time.monotonic()
    assert sign_in(server, key, guesser).status_code == 429  # not even the right key, for now
    assert sign_in(server, key, {"x-forwarded-for": "203.0.113.8"}).status_code == 303  # another client
    time.sleep(max(wait - (time.monotonic() - started), 0) + 0.2)
    assert sign_in(server, key, guesser).status_code == 303  # locked out for seconds, not longer


def test_the_cookie_is_secure_when_the_proxy_says_https(proxied: tuple[Server, str]) -> None:
    server, key = proxied
    over_https = sign_in(server, key, {"x-forwarded-proto": "https", "x-forwarded-for": "198.51.100.4"})
    plain = sign_in(server, key, {"x-forwarded-for": "198.51.100.5"})
    assert over_https.status_code == plain.status_code == 303
    assert "secure" in _attributes(over_https)
    assert "secure" not in _attributes(plain)


def test_only_a_trusted_proxy_names_the_client(proxied: tuple[Server, str]) -> None:
    server, key = proxied
    spoofed = {"x-forwarded-for": "192.0.2.99", "x-forwarded-proto": "https"}
    # From 127.0.0.2 the peer is no trusted proxy: its headers change neither address nor scheme.
    untrusted = sign_in(server, key, spoofed, local_address="127.0.0.2")
    trusted = sign_in(server, key, {"x-forwarded-for": "198.51.100.6"})
    assert untrusted.status_code == trusted.status_code == 303
    assert "secure" not in _attributes(untrusted)
    wanted = (untrusted.headers["request-id"], trusted.headers["request-id"])
    # A request's line is written just after its response is sent.
    logged = wait_until(lambda: _logged(server, wanted), what="the request log lines")
    assert (logged[wanted[0]]["client"], logged[wanted[0]]["scheme"]) == ("127.0.0.2", "http")
    assert (logged[wanted[1]]["client"], logged[wanted[1]]["scheme"]) == ("198.51.100.6", "http")


def _logged(server: Server, request_ids: tuple[str, ...]) -> dict[str, dict[str, str]] | None:
    lines = [json.loads(line) for line in server.output().splitlines() if line.startswith("{")]
    found = {line["request_id"]: line for line in lines if line.get("request_id") in request_ids}
    return found if len(found) == len(request_ids) else None


def _attributes(response: httpx.Response) -> set[str]:
    cookie = next(value for value in response.headers.get_list("set-cookie") if value.startswith("uprof_session="))
    return {part.strip().lower() for part in cookie.split(";")[1:]}
