"""Requests to a subscriber's endpoints (callbacks, OAuth2 token endpoints), shared by the
api (the callback test of a new SOL003 subscription) and mgmt (deliveries).

The host is resolved at request time and the request goes to the address that was checked
(``shared.callbacks``): the URI's host stays in the Host header and, for https, in SNI and
the certificate check, so a name re-pointed at an internal address after the subscription
was made reaches nothing. Redirects are never followed: they could lead anywhere.
"""

from __future__ import annotations

import asyncio
import base64
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import httpx

from shared.callbacks import IPAddress, host_allowed, literal_address, special_reason
from shared.config import Settings


class Refused(Exception):
    """The endpoint resolves to an address notifications may not be sent to."""


class TokenError(Exception):
    """No access token from the subscriber's token endpoint (the reason says why)."""

    def __init__(self, reason: str, *, retry: bool) -> None:
        super().__init__(reason)
        # Worth trying again later (5xx, timeout, lost connection).
        self.retry = retry


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


async def pinned_request(
    client: httpx.AsyncClient,
    method: str,
    uri: str,
    settings: Settings,
    *,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
) -> httpx.Response:
    """Raises Refused (address not allowed), OSError (name not resolved) or httpx.HTTPError."""
    parts = urlsplit(uri)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = await resolve(host, port, settings)
    pinned = str(address) if address.version == 4 else f"[{address}]"
    url = urlunsplit(parts._replace(netloc=f"{pinned}:{port}"))
    sent = {**(headers or {}), "Host": parts.netloc.rpartition("@")[2]}
    return await client.request(
        method, url, content=content, headers=sent, extensions={"sni_hostname": host}
    )


def basic_authorization(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


async def fetch_token(
    client: httpx.AsyncClient,
    settings: Settings,
    *,
    token_endpoint: str,
    client_id: str,
    client_secret: str,
) -> tuple[str, float]:
    """RFC 6749 4.4 client credentials grant (client authenticated with HTTP Basic):
    the access token and its lifetime in seconds."""
    try:
        response = await pinned_request(
            client,
            "POST",
            token_endpoint,
            settings,
            headers={
                "Authorization": basic_authorization(client_id, client_secret),
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
            content=b"grant_type=client_credentials",
        )
    except Refused as exc:
        raise TokenError(f"token endpoint refused: {exc}", retry=False) from None
    except (OSError, httpx.HTTPError) as exc:
        raise TokenError(f"token endpoint unreachable: {exc!r}", retry=True) from None
    if response.status_code != 200:
        retry = response.status_code >= 500 or response.status_code in (408, 429)
        raise TokenError(f"the token endpoint answered {response.status_code}", retry=retry)
    try:
        body = response.json()
        token = str(body["access_token"])
        lifetime = float(body.get("expires_in") or 3600)
    except (ValueError, KeyError, TypeError):
        raise TokenError("the token endpoint's answer has no access_token", retry=False) from None
    return token, lifetime


@dataclass
class TokenCache:
    """Access tokens per subscription, kept until shortly before they expire; a callback
    answering 401 drops its subscription's token (``forget``) and a new one is fetched."""

    _tokens: dict[str, tuple[str, float]] = field(default_factory=dict)

    async def get(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        *,
        key: str,
        token_endpoint: str,
        client_id: str,
        client_secret: str,
    ) -> str:
        cached = self._tokens.get(key)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        token, lifetime = await fetch_token(
            client,
            settings,
            token_endpoint=token_endpoint,
            client_id=client_id,
            client_secret=client_secret,
        )
        # Renewed a little early: a token must not expire on its way to the callback.
        self._tokens[key] = (token, time.monotonic() + max(0.0, lifetime - 10))
        return token

    def forget(self, key: str) -> None:
        self._tokens.pop(key, None)
