"""Reusable input types: callback URIs a subscriber gives for notifications.

A callback is where the manager will send requests, so a hostile one could aim them at the
manager's own network (SSRF): only http(s), no credentials in the URI, and no loopback,
link-local, private or otherwise special address unless the operator allows it
(SERVICEVM_ALLOW_PRIVATE_CALLBACKS, or the host listed in SERVICEVM_ALLOWED_CALLBACK_HOSTS).
Names are not resolved here; mgmt's deliverer checks the address it connects to (shared.callbacks).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, StringConstraints

from shared.callbacks import host_allowed, literal_address, special_reason
from shared.config import get_settings

MAX_URI_LENGTH = 2048
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


class InvalidCallback(ValueError):
    pass


def _special_address(host: str) -> str | None:
    """Why a literal address is not one a callback may point at, or None."""
    address = literal_address(host)
    return None if address is None else special_reason(address)


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
    if host_allowed(host, allowed_hosts=allowed_hosts, allow_private=allow_private):
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
