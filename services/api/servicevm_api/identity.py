"""Who is calling: from Keystone-validated tokens, or (development) from noauth headers."""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from shared.config import Settings

log = logging.getLogger(__name__)

AUTH_TOKEN_HEADER = "x-auth-token"
# Bound on remembered tokens; the oldest go first when it is reached.
MAX_CACHED_TOKENS = 10_000


class Unauthenticated(Exception):
    """No credentials, or credentials that do not prove who the caller is (401)."""


class IdentityUnavailable(Exception):
    """The identity service could not be asked (503)."""


@dataclass(frozen=True)
class Identity:
    project_id: str
    roles: frozenset[str]
    user_id: str | None = None


class Authenticator(Protocol):
    async def identify(self, headers: Mapping[str, str]) -> Identity: ...

    def close(self) -> None: ...


def _roles(value: str | None) -> frozenset[str]:
    return frozenset(role.strip().lower() for role in (value or "").split(",") if role.strip())


class NoAuth:
    """Development: the caller says who it is in X-Project-Id, X-Roles and X-User-Id.

    A request naming no project is refused, unless ``default_project`` is set
    (``SERVICEVM_NOAUTH_PROJECT``): it then acts in that project as a member, which is what
    a client sending no identity at all (``openstack --os-auth-type none``) needs."""

    def __init__(self, default_project: str = "") -> None:
        self._default_project = default_project.strip()

    async def identify(self, headers: Mapping[str, str]) -> Identity:
        project = (headers.get("x-project-id") or "").strip()
        if not project and self._default_project:
            roles = _roles(headers.get("x-roles")) or frozenset({"member"})
            return Identity(self._default_project, roles, headers.get("x-user-id"))
        if not project:
            raise Unauthenticated("Authentication required: no X-Project-Id header.")
        return Identity(
            project_id=project,
            roles=_roles(headers.get("x-roles")),
            user_id=headers.get("x-user-id"),
        )

    def close(self) -> None:
        return None


def token_digest(token: str) -> str:
    """What the cache keys and the logs use instead of the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


class KeystoneAuth:
    """Validates X-Auth-Token with Keystone v3 (GET /v3/auth/tokens), as a service user.

    Identity comes from the token only; X-Project-Id and X-Roles sent by a client are ignored.
    Valid tokens are remembered (by digest) until they expire, capped at token_cache_seconds.
    """

    def __init__(self, settings: Settings) -> None:
        self._url = settings.keystone_url.rstrip("/")
        self._cache_seconds = settings.token_cache_seconds
        self._timeout = settings.keystone_timeout_seconds
        auth = v3.Password(
            auth_url=self._url,
            username=settings.keystone_service_user,
            password=settings.keystone_service_password,
            user_domain_name=settings.keystone_service_domain,
            project_name=settings.keystone_service_project,
            project_domain_name=settings.keystone_service_domain,
        )
        self._session = ks_session.Session(auth=auth, timeout=self._timeout)
        self._cache: dict[str, tuple[float, Identity]] = {}

    async def identify(self, headers: Mapping[str, str]) -> Identity:
        token = (headers.get(AUTH_TOKEN_HEADER) or "").strip()
        if not token:
            raise Unauthenticated("Authentication required: no X-Auth-Token header.")
        digest = token_digest(token)
        cached = self._cache.get(digest)
        now = time.time()
        if cached is not None and cached[0] > now:
            return cached[1]
        self._cache.pop(digest, None)
        body = await asyncio.to_thread(self._validate, token, digest)
        identity, expires = _identity_from(body)
        if expires <= now:
            raise Unauthenticated("The request you have made requires authentication.")
        if len(self._cache) >= MAX_CACHED_TOKENS:
            self._cache.pop(next(iter(self._cache)))
        self._cache[digest] = (min(expires, now + self._cache_seconds), identity)
        return identity

    def _validate(self, token: str, digest: str) -> dict[str, Any]:
        try:
            response = self._session.get(
                f"{self._url}/auth/tokens",
                headers={"X-Subject-Token": token},
                authenticated=True,
                raise_exc=False,
            )
        except ks_exceptions.ClientException as exc:
            log.warning("keystone unreachable: %s", exc.__class__.__name__)
            raise IdentityUnavailable("The identity service is unavailable.") from None
        if response.status_code in (401, 404):
            log.info("token refused by keystone", extra={"token_digest": digest[:12]})
            raise Unauthenticated("The request you have made requires authentication.")
        if response.status_code != 200:
            log.warning("keystone answered %s validating a token", response.status_code)
            raise IdentityUnavailable("The identity service is unavailable.")
        body: dict[str, Any] = response.json()
        return body

    def close(self) -> None:
        self._session.session.close()


def _identity_from(body: dict[str, Any]) -> tuple[Identity, float]:
    token = body.get("token") or {}
    project = token.get("project") or {}
    if not project.get("id"):
        # Unscoped or domain-scoped tokens carry no project to act in.
        raise Unauthenticated("A project-scoped token is required.")
    roles = frozenset(str(role.get("name", "")).lower() for role in token.get("roles") or [])
    expires = datetime.fromisoformat(str(token["expires_at"]).replace("Z", "+00:00"))
    user = token.get("user") or {}
    identity = Identity(project_id=str(project["id"]), roles=roles, user_id=user.get("id"))
    return identity, expires.timestamp()


def make_authenticator(settings: Settings) -> Authenticator:
    if settings.auth_strategy == "keystone":
        return KeystoneAuth(settings)
    check_noauth_address(settings)
    return NoAuth(settings.noauth_project)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_noauth_address(settings: Settings) -> None:
    """noauth trusts whatever a client claims: refuse to serve it beyond this machine."""
    if is_loopback(settings.bind_host) or settings.allow_noauth_on_public_address:
        return
    raise RuntimeError(
        f"auth_strategy=noauth refuses to listen on {settings.bind_host}, a non-loopback "
        "address: configure SERVICEVM_AUTH_STRATEGY=keystone, bind to 127.0.0.1, or force it "
        "with SERVICEVM_ALLOW_NOAUTH_ON_PUBLIC_ADDRESS=true."
    )
