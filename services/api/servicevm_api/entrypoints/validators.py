"""Reusable input types: callback URIs a subscriber gives for notifications.

A callback is where the manager will send requests, so a hostile one could aim them at the
manager's own network (SSRF): only http(s), no credentials in the URI, and no loopback,
link-local, private or otherwise special address unless the operator allows it
(SERVICEVM_ALLOW_PRIVATE_CALLBACKS, or the host listed in SERVICEVM_ALLOWED_CALLBACK_HOSTS).
Names are not resolved here; whoever delivers must check the address it connects to as well.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Collection
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, StringConstraints

from shared.config import get_settings

MAX_URI_LENGTH = 2048
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


class InvalidCallback(ValueError):
    pass


def _literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        # The legacy forms clients still accept: 127.1, 0x7f000001, 2130706433.
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def _special_address(host: str) -> str | None:
    """Why a literal address is not one a callback may point at, or None."""
    address = _literal_address(host)
    if address is None:
        return None
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


def check_callback_uri(
    uri: str, *, allowed_hosts: Collection[str] = (), allow_private: bool = False
) -> str:
    """``uri`` if a notification may be sent there; else InvalidCallback saying why."""
    try:
        parts = urlsplit(uri)
        host = (parts.hostname or "").lower()
        _ = parts.port  # a port that is not a number raises here
    except ValueError as exc:
        raise InvalidCallback(f"not a valid URI: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidCallback("the scheme must be http or https")
    if not host:
        raise InvalidCallback("the URI has no host")
    if parts.username is not None or parts.password is not None:
        raise InvalidCallback("credentials may not be given in the URI")
    if host in {h.lower() for h in allowed_hosts} or allow_private:
        return uri
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        raise InvalidCallback(f"the host {host} is this machine")
    reason = _special_address(host)
    if reason is not None:
        raise InvalidCallback(f"the address {host} is {reason}")
    return uri


def _from_settings(uri: str) -> str:
    settings = get_settings()
    return check_callback_uri(
        uri,
        allowed_hosts=settings.allowed_callback_hosts,
        allow_private=settings.allow_private_callbacks,
    )


CallbackUri = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_URI_LENGTH, strip_whitespace=True),
    AfterValidator(_from_settings),
]
