"""Where notifications may be sent: the address rules shared by the api's callback URI
validator and mgmt's deliverer.

A callback is where the manager sends requests, so a hostile one could aim them at the
manager's own network (SSRF). The api refuses special literal addresses when a subscription
is made; the deliverer resolves the host again at send time and connects to the address it
checked, so a name that later resolves to an internal address (DNS rebinding) gets nothing.
Loopback, link-local, private and otherwise special addresses are allowed only when the
operator says so (SERVICEVM_ALLOW_PRIVATE_CALLBACKS) or the host is listed
(SERVICEVM_ALLOWED_CALLBACK_HOSTS).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Collection

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        # The legacy forms clients still accept: 127.1, 0x7f000001, 2130706433.
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def special_reason(address: IPAddress) -> str | None:
    """Why a callback may not point at this address (loopback, private, ...), or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for reason, flag in (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("unspecified", address.is_unspecified),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
    ):
        if flag:
            return reason
    return None


def host_allowed(host: str, *, allowed_hosts: Collection[str], allow_private: bool) -> bool:
    """The operator lets callbacks reach this host whatever its address."""
    return allow_private or host.lower() in {h.lower() for h in allowed_hosts}
