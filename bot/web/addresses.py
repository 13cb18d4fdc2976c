"""Where a web request came from, for limits per client address.

The socket's peer is the client, unless that peer is a proxy we were told to trust
(`CHIIKI_TRUSTED_PROXIES`): then X-Forwarded-For is read from the right, skipping trusted hops,
and the first untrusted address is the client (anything left of it the client could have
written itself). An IPv6 client is counted by its /64, which one household or one server
usually has whole.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.requests import HTTPConnection

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
FORWARDED_FOR = "x-forwarded-for"
IPV6_GROUP_PREFIX = 64
# What one holder may have whole: tunnel brokers give anyone a /48 for free (65,536 /64s).
IPV6_HOLDER_PREFIX = 48
# A peer that is not an IP address (a test client, a Unix socket) is one client of its own.
UNKNOWN = "unknown"


def _ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address: IPAddress, proxies: Sequence[IPNetwork]) -> bool:
    return any(address in network for network in proxies)


def group(address: IPAddress) -> str:
    """The key an address is counted under: itself (IPv4) or its /64 (IPv6)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        network = ipaddress.IPv6Network((address, IPV6_GROUP_PREFIX), strict=False)
        return str(network)
    return str(address)


def holder(key: str) -> str | None:
    """The /48 an IPv6 client's /64 (a `group` key) lies in; None for anything else."""
    try:
        network = ipaddress.ip_network(key)
    except ValueError:
        return None
    if network.version != 6 or network.prefixlen < IPV6_HOLDER_PREFIX:
        return None
    return str(network.supernet(new_prefix=IPV6_HOLDER_PREFIX))


def client_address(connection: HTTPConnection, proxies: Sequence[IPNetwork]) -> str:
    """The client's address (grouped, see `group`) as the limits count it."""
    peer_text = connection.client.host if connection.client else ""
    peer = _ip(peer_text)
    if peer is None:
        return peer_text or UNKNOWN
    if proxies and _trusted(peer, proxies):
        hops = ",".join(connection.headers.getlist(FORWARDED_FOR)).split(",")
        for hop in reversed(hops):
            address = _ip(hop)
            if address is None:
                break  # junk in the header: the last good hop is the best we know
            peer = address
            if not _trusted(address, proxies):
                break
    return group(peer)
