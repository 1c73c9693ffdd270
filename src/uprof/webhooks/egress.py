"""Where webhook attempts may connect: the egress policy (docs/webhooks.md, "Where deliveries may go").

Any organization's admin key chooses endpoint URLs, so without a policy the dispatcher would POST
wherever it is told: the cloud metadata address, the database next door, this very host. The policy
refuses every address that is not public (loopback, private, shared/CGNAT, link-local, unique-local,
unspecified, multicast, broadcast and the other special-purpose ranges below), whatever its
spelling: an IPv4 address inside IPv6 (mapped, compatible, 6to4, NAT64, Teredo) is judged as the
IPv4 address it carries. Loopback is allowed only when the server itself listens on loopback only
(it then gives away nothing by calling its own host); an operator may allow further ranges.

Two checks apply it. A URL whose host is a literal address — in any form the resolver accepts as one,
`2130706433` and `0x7f.1` included — or a `localhost` name is refused when an endpoint is registered
or changed (`refusal`). Every attempt resolves its host once, keeps only the permitted addresses and
connects to one of those (`GuardedNetworkBackend`), so a name that resolves to a refused address
opens no connection, and a name whose answer changes between check and use (DNS rebinding) cannot
slip through: there is no second lookup. TLS still verifies the certificate for the name.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import httpcore

from uprof.config import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Refused unless an operator allows them (IANA special-purpose registries, trimmed to what is not
# reachable on the public internet or reaches something local).
REFUSED_NETWORKS: tuple[tuple[IPNetwork, str], ...] = tuple(
    (ipaddress.ip_network(cidr), kind)
    for cidr, kind in (
        ("0.0.0.0/8", "unspecified"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "shared (CGNAT)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "special-purpose"),
        ("192.0.2.0/24", "documentation"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved or broadcast"),
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("100::/64", "discard"),
        ("2001:db8::/32", "documentation"),
        ("fc00::/7", "unique-local"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local"),
        ("ff00::/8", "multicast"),
    )
)
LOOPBACK_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
# The error an attempt records when the policy refused every address of its host (docs/webhooks.md).
ADDRESS_NOT_ALLOWED = "address_not_allowed"


class AddressNotAllowed(Exception):
    """An attempt's host resolved to no address the egress policy permits; nothing was sent."""


def listens_on_loopback_only(host: str) -> bool:
    """Whether a server bound to `host` can be reached from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """CIDR ranges as `--webhook-allow-cidr` takes them; raises ValueError naming a bad one."""
    return tuple(ipaddress.ip_network(value.strip(), strict=False) for value in values if value.strip())


def embedded_ipv4(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address carries (mapped, compatible, 6to4, NAT64, Teredo client), or itself."""
    if isinstance(address, ipaddress.IPv4Address):
        return address
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


@dataclass(frozen=True)
class EgressPolicy:
    """Which addresses webhook attempts may connect to; see the module docstring."""

    allow_loopback: bool
    allowed_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings, *, listening: bool = True) -> EgressPolicy:
        """The policy of a server run with `settings`; `listening=False` for a dispatcher that serves no
        HTTP (it cannot tell where the servers listen, so it allows loopback only through a CIDR)."""
        # A test double delivers to the receiver of the test that runs it, on this machine (docs/testing.md).
        allow_loopback = (listening and listens_on_loopback_only(settings.host)) or settings.test_controls
        return cls(allow_loopback, parse_networks(settings.webhook_allow_cidrs))

    def refused_kind(self, address: IPAddress) -> str | None:
        """Why `address` is refused ("loopback", "private", …), or None when attempts may connect to it."""
        for candidate in dict.fromkeys((address, embedded_ipv4(address))):
            if any(candidate in network for network in self.allowed_networks if network.version == candidate.version):
                continue
            if self.allow_loopback and any(candidate in network for network in LOOPBACK_NETWORKS):
                continue
            for network, kind in REFUSED_NETWORKS:
                if network.version == candidate.version and candidate in network:
                    return kind
        return None

    def permits(self, address: IPAddress) -> bool:
        return self.refused_kind(address) is None

    def refusal(self, host: str) -> str | None:
        """Why an endpoint URL with this host is refused when registered (a literal address the policy
        refuses, or a `localhost` name while loopback is refused), or None. Other names are checked
        when an attempt resolves them."""
        name = host.lower().rstrip(".")
        if name == "localhost" or name.endswith(".localhost"):
            return None if self.allow_loopback else "loopback"
        address = literal_address(host)
        return None if address is None else self.refused_kind(address)

    def describe(self) -> str:
        """The policy in one line, for the start-up log."""
        allowed = ["public addresses"]
        if self.allow_loopback:
            allowed.append("loopback (the server listens on loopback only)")
        allowed += [str(network) for network in self.allowed_networks]
        return f"webhook deliveries may go to {', '.join(allowed)}; all other addresses are refused"


def literal_address(host: str) -> IPAddress | None:
    """The address `host` spells, in any form the system resolver takes as a literal (`127.1`,
    `2130706433`, `0x7f.1`, `::ffff:127.0.0.1`, …), or None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError, ValueError):
        return None
    return ipaddress.ip_address(str(found[0][4][0]))


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend with the egress policy in front: the host is resolved once, the
    addresses the policy refuses are dropped, and the connection goes to a remaining one (the TLS
    handshake above it still uses and verifies the host name)."""

    def __init__(self, policy: EgressPolicy, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._policy = policy
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await _resolve(host, port)
        # An IPv4-mapped address is the IPv4 address; other IPv6 forms are connected to as they are.
        permitted = [_unmapped(address) for address in addresses if self._policy.permits(address)]
        if not permitted:
            raise AddressNotAllowed(f"{host} resolves to no address webhook deliveries may go to")
        failure: Exception | None = None
        for address in dict.fromkeys(permitted):
            try:
                return await self._inner.connect_tcp(str(address), port, timeout, local_address, socket_options)
            except httpcore.ConnectError as error:  # try the next address, as a resolver's list is meant
                failure = error
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise AddressNotAllowed("webhook deliveries never use Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _unmapped(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


async def _resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (socket.gaierror when it resolves to none)."""
    found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(ipaddress.ip_address(str(entry[4][0])) for entry in found))


@lru_cache(maxsize=8)
def policy_for(settings: Settings) -> EgressPolicy:
    """The policy a server with `settings` applies to the endpoints it is asked to register (built once)."""
    return EgressPolicy.from_settings(settings)
