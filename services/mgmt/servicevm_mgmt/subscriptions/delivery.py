"""Sending one notification to one callback: check where it goes, sign it, POST it.

The callback's host is resolved here, at send time, and the request goes to the address
that was checked (the URI's host stays in the Host header and, for https, in SNI and the
certificate check), so a name re-pointed at an internal address after the subscription was
made reaches nothing. Redirects are not followed: they could lead anywhere.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from shared.callbacks import IPAddress, host_allowed, literal_address, special_reason
from shared.config import Settings
from shared.secrets import Cipher, SecretError

SIGNATURE_HEADER = "X-Servicevm-Signature"


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    # Worth another attempt later (5xx, 408, 429, a timeout, a lost connection).
    retry: bool = False
    error: str | None = None


class Refused(Exception):
    """The callback resolves to an address notifications may not be sent to."""


async def resolve(host: str, port: int, settings: Settings) -> IPAddress:
    """The address to connect to; Refused if any address of the host is a special one
    (unless the operator allows it)."""
    literal = literal_address(host)
    addresses: list[IPAddress | None] = [literal]
    if literal is None:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = [literal_address(str(info[4][0]).split("%")[0]) for info in infos]
    found = [address for address in addresses if address is not None]
    if not found:
        raise Refused(f"{host} has no address")
    if not host_allowed(
        host,
        allowed_hosts=settings.allowed_callback_hosts,
        allow_private=settings.allow_private_callbacks,
    ):
        for address in found:
            reason = special_reason(address)
            if reason is not None:
                raise Refused(f"{host} resolves to a {reason} address")
    return found[0]


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def auth_headers(row: Any, body: bytes, cipher: Cipher) -> dict[str, str]:
    """The subscription's authentication: basic, an HMAC signature of the body, or none."""
    if row.auth_type == "none" or row.encrypted_secret is None:
        return {}
    secret = cipher.decrypt(row.encrypted_secret)
    if row.auth_type == "hmac":
        return {SIGNATURE_HEADER: signature(secret, body)}
    pair = base64.b64encode(f"{row.auth_username}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


async def send(client: httpx.AsyncClient, row: Any, settings: Settings, cipher: Cipher) -> Outcome:
    """POST the delivery's notification to its subscription's callback URI."""
    parts = urlsplit(row.callback_uri)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        address = await resolve(host, port, settings)
        headers = {
            "Content-Type": "application/json",
            "X-Servicevm-Event": row.event_type,
            "X-Servicevm-Notification": str(row.notification_id),
            **auth_headers(row, row.body, cipher),
        }
    except (Refused, SecretError) as exc:
        return Outcome(delivered=False, error=str(exc))
    except OSError as exc:  # name resolution failed: maybe for a while only
        return Outcome(delivered=False, retry=True, error=f"cannot resolve {host}: {exc}")
    pinned = str(address) if address.version == 4 else f"[{address}]"
    url = urlunsplit(parts._replace(netloc=f"{pinned}:{port}"))
    headers["Host"] = parts.netloc
    try:
        response = await client.post(
            url, content=row.body, headers=headers, extensions={"sni_hostname": host}
        )
    except httpx.HTTPError as exc:
        return Outcome(delivered=False, retry=True, error=f"{exc.__class__.__name__}: {exc}")
    return _outcome(response.status_code)


def _outcome(status: int) -> Outcome:
    if 200 <= status < 300:
        return Outcome(delivered=True)
    retry = status >= 500 or status in (408, 429)
    return Outcome(delivered=False, retry=retry, error=f"the callback answered {status}")
