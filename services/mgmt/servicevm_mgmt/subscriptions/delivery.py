"""Sending one notification to one callback: check where it goes, authenticate or sign
it, POST it (``shared.callback_http`` pins the checked address; redirects are not followed).

OAuth2 client credentials (SOL003 subscriptions): the token is fetched from the
subscriber's token endpoint and cached per subscription; a 401 from the callback drops it,
and the POST is tried once more with a new token.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

import httpx

from shared.callback_http import (
    Refused,
    TokenCache,
    TokenError,
    basic_authorization,
    pinned_request,
    resolve,
)
from shared.config import Settings
from shared.secrets import Cipher, SecretError

__all__ = ["Outcome", "Refused", "resolve", "send", "signature"]

SIGNATURE_HEADER = "X-Servicevm-Signature"


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    # Worth another attempt later (5xx, 408, 429, a timeout, a lost connection).
    retry: bool = False
    error: str | None = None


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def auth_headers(
    client: httpx.AsyncClient, row: Any, settings: Settings, cipher: Cipher, tokens: TokenCache
) -> dict[str, str]:
    """The subscription's authentication: basic, a bearer token, an HMAC signature of the
    body, or none. Raises SecretError, TokenError."""
    if row.auth_type == "none" or row.encrypted_secret is None:
        return {}
    secret = cipher.decrypt(row.encrypted_secret)
    if row.auth_type == "hmac":
        return {SIGNATURE_HEADER: signature(secret, row.body)}
    if row.auth_type == "oauth2":
        token = await tokens.get(
            client,
            settings,
            key=str(row.subscription_id),
            token_endpoint=row.token_endpoint,
            client_id=row.auth_username,
            client_secret=secret,
        )
        return {"Authorization": f"Bearer {token}"}
    return {"Authorization": basic_authorization(row.auth_username, secret)}


async def send(
    client: httpx.AsyncClient,
    row: Any,
    settings: Settings,
    cipher: Cipher,
    tokens: TokenCache | None = None,
) -> Outcome:
    """POST the delivery's notification to its subscription's callback URI."""
    tokens = tokens if tokens is not None else TokenCache()
    outcome = await _post(client, row, settings, cipher, tokens)
    if outcome.error == _UNAUTHORIZED and row.auth_type == "oauth2":
        tokens.forget(str(row.subscription_id))  # expired or revoked early: a new one
        outcome = await _post(client, row, settings, cipher, tokens)
    return outcome


_UNAUTHORIZED = "the callback answered 401"


async def _post(
    client: httpx.AsyncClient, row: Any, settings: Settings, cipher: Cipher, tokens: TokenCache
) -> Outcome:
    try:
        headers = {
            "Content-Type": "application/json",
            "X-Servicevm-Event": row.event_type,
            "X-Servicevm-Notification": str(row.notification_id),
            **await auth_headers(client, row, settings, cipher, tokens),
        }
        response = await pinned_request(
            client, "POST", row.callback_uri, settings, headers=headers, content=row.body
        )
    except (Refused, SecretError) as exc:
        return Outcome(delivered=False, error=str(exc))
    except TokenError as exc:
        return Outcome(delivered=False, retry=exc.retry, error=str(exc))
    except httpx.HTTPError as exc:
        return Outcome(delivered=False, retry=True, error=f"{exc.__class__.__name__}: {exc}")
    except OSError as exc:  # name resolution failed: maybe for a while only
        return Outcome(delivered=False, retry=True, error=f"cannot resolve the callback: {exc}")
    return _outcome(response.status_code)


def _outcome(status: int) -> Outcome:
    if 200 <= status < 300:
        return Outcome(delivered=True)
    retry = status >= 500 or status in (408, 429)
    return Outcome(delivered=False, retry=retry, error=f"the callback answered {status}")
