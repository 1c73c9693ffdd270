"""The egress policy as a pure rule (which addresses, in which spellings) and the network backend that
applies it: one resolution, the connection made to the address that was checked."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterable
from typing import Any

import httpcore
import pytest

from uprof.config import Settings
from uprof.webhooks.egress import AddressNotAllowed, EgressPolicy, GuardedNetworkBackend, literal_address

STRICT = EgressPolicy(allow_loopback=False)
DEVELOPMENT = EgressPolicy(allow_loopback=True)

REFUSED = {
    "127.0.0.1": "loopback",
    "127.255.255.254": "loopback",
    "::1": "loopback",
    "::ffff:127.0.0.1": "loopback",
    "::127.0.0.1": "loopback",
    "64:ff9b::7f00:1": "loopback",
    "2002:7f00:1::": "loopback",
    "10.1.2.3": "private",
    "172.16.0.1": "private",
    "172.31.255.255": "private",
    "192.168.0.1": "private",
    "::ffff:192.168.0.1": "private",
    "100.64.0.1": "shared (CGNAT)",
    "100.127.255.255": "shared (CGNAT)",
    "169.254.169.254": "link-local",
    "::ffff:169.254.169.254": "link-local",
    "fe80::1": "link-local",
    "fc00::1": "unique-local",
    "fd12:3456::1": "unique-local",
    "0.0.0.0": "unspecified",
    "::": "unspecified",
    "224.0.0.1": "multicast",
    "239.255.255.250": "multicast",
    "ff02::1": "multicast",
    "255.255.255.255": "reserved or broadcast",
}
PUBLIC = ["1.1.1.1", "8.8.8.8", "100.128.0.1", "172.32.0.1", "2606:4700::1111", "::ffff:8.8.8.8", "2002:808:808::"]


@pytest.mark.parametrize(("address", "kind"), REFUSED.items())
def test_non_public_addresses_are_refused_in_every_spelling(address: str, kind: str) -> None:
    assert STRICT.refused_kind(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_permitted(address: str) -> None:
    assert STRICT.permits(ipaddress.ip_address(address))


def test_loopback_alone_is_allowed_to_a_server_on_loopback() -> None:
    assert all(DEVELOPMENT.permits(ipaddress.ip_address(a)) for a in ("127.0.0.1", "::1", "::ffff:127.0.0.2"))
    assert not any(DEVELOPMENT.permits(ipaddress.ip_address(a)) for a in ("0.0.0.0", "10.0.0.1", "169.254.169.254"))


@pytest.mark.parametrize(
    ("host", "listening", "allowed"),
    [
        ("127.0.0.1", True, True),
        ("::1", True, True),
        ("localhost", True, True),
        ("0.0.0.0", True, False),
        ("::", True, False),
        ("192.0.2.2", True, False),
        ("127.0.0.1", False, False),
    ],
)
def test_the_policy_follows_the_listening_address(host: str, listening: bool, allowed: bool) -> None:
    assert EgressPolicy.from_settings(Settings(host=host), listening=listening).allow_loopback is allowed


def test_an_operator_allows_more_ranges() -> None:
    policy = EgressPolicy.from_settings(Settings(host="0.0.0.0", webhook_allow_cidrs=("10.0.0.0/8", "fd00::/8")))
    assert policy.permits(ipaddress.ip_address("10.9.8.7"))
    assert policy.permits(ipaddress.ip_address("::ffff:10.9.8.7"))
    assert policy.permits(ipaddress.ip_address("fd00::2"))
    assert not policy.permits(ipaddress.ip_address("192.168.0.1"))
    assert policy.describe() == (
        "webhook deliveries may go to public addresses, 10.0.0.0/8, fd00::/8; all other addresses are refused"
    )


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("::ffff:7f00:1", "::ffff:127.0.0.1"),
        ("example.com", None),
        ("127.0.0.1.", None),
        ("vm", None),
    ],
)
def test_literal_addresses_are_read_as_the_resolver_reads_them(host: str, address: str | None) -> None:
    assert literal_address(host) == (None if address is None else ipaddress.ip_address(address))


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST", "localhost.", "a.b.localhost", "2130706433", "[::1]"[1:-1]])
def test_registration_refuses_loopback_names_and_literals_unless_loopback_is_allowed(host: str) -> None:
    assert STRICT.refusal(host) == "loopback"
    assert DEVELOPMENT.refusal(host) is None


def test_registration_leaves_other_names_to_the_attempt() -> None:
    assert STRICT.refusal("hooks.example.com") is None
    assert STRICT.refusal("10.0.0.1") == "private"


class Recording(httpcore.AsyncNetworkBackend):
    """Records where it was asked to connect, and refuses (no socket is opened)."""

    def __init__(self) -> None:
        self.hosts: list[str] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.hosts.append(host)
        raise httpcore.ConnectError("recorded")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def test_the_connection_goes_to_the_address_that_was_checked() -> None:
    inner = Recording()
    with pytest.raises(httpcore.ConnectError):
        asyncio.run(GuardedNetworkBackend(DEVELOPMENT, inner).connect_tcp("localhost", 9))
    # The address, never the name a second lookup could answer differently.
    assert inner.hosts and set(inner.hosts) <= {"127.0.0.1", "::1"}


def test_a_refused_host_reaches_no_socket() -> None:
    inner = Recording()
    for host in ("localhost", "2130706433", "::ffff:127.0.0.1"):
        with pytest.raises(AddressNotAllowed):
            asyncio.run(GuardedNetworkBackend(STRICT, inner).connect_tcp(host, 9))
    assert inner.hosts == []


class Handshake(Exception):
    """Raised by the recorded stream's TLS handshake, once it has noted the name it was given."""


class RecordedStream(httpcore.AsyncNetworkStream):
    def __init__(self, seen: dict[str, Any]) -> None:
        self.seen = seen

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        pass

    async def aclose(self) -> None:
        pass

    async def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        self.seen["server_hostname"] = server_hostname
        raise Handshake


class Connecting(Recording):
    """Records where it was asked to connect and hands back a stream that records the TLS handshake."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: dict[str, Any] = {}

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.hosts.append(host)
        return RecordedStream(self.seen)


def test_tls_is_for_the_name_while_the_socket_goes_to_the_checked_address() -> None:
    inner = Connecting()

    async def attempt() -> None:
        backend = GuardedNetworkBackend(DEVELOPMENT, inner)
        async with httpcore.AsyncConnectionPool(network_backend=backend) as pool:
            await pool.request("POST", "https://localhost:8443/hook", content=b"{}")

    with pytest.raises(Handshake):
        asyncio.run(attempt())
    assert len(inner.hosts) == 1 and inner.hosts[0] in {"127.0.0.1", "::1"}
    assert inner.seen == {"server_hostname": "localhost"}
