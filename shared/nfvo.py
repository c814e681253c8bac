"""The external NFVO, as a VNFM talks to it (SOL003 Grant, SOL005 onboarded packages).

One async HTTP client (httpx) used by lifecycle (grants) and the api (packages). It adds an
OAuth2 client-credentials token when a token URL is configured, caches it until shortly
before it expires, and fetches a new one once on a 401. What comes back is sorted into three
outcomes the callers act on: an answer, a refusal (the NFVO said no, with its reason), or
``NfvoUnavailable`` (down, timed out, a 5xx or a body that is not what SOL003 says): the
last is transient, the operation can be retried once the NFVO is back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from shared.config import Settings

GRANTS = "/grant/v1/grants"
PACKAGES = "/vnfpkgm/v1/onboarded_vnf_packages"
# A token is renewed this long before the NFVO said it expires.
_TOKEN_MARGIN_SECONDS = 10.0


class NfvoError(Exception):
    """Base of what the NFVO client raises."""


class NfvoUnavailable(NfvoError):
    """The NFVO did not answer usefully (down, timeout, 5xx, malformed): try again later."""


class NfvoRefused(NfvoError):
    """The NFVO answered no (a 4xx ProblemDetails): ``problem`` is its ProblemDetails."""

    def __init__(self, problem: dict[str, Any]) -> None:
        super().__init__(str(problem.get("detail") or problem.get("title") or problem))
        self.problem = problem


@dataclass(frozen=True)
class GrantAnswer:
    """The Grant when the NFVO decided (201, or 200 on a poll); else where to poll (202)."""

    grant: dict[str, Any] | None = None
    location: str | None = None


def configured(settings: Settings) -> bool:
    return bool(settings.nfvo_url)


class NfvoClient:
    """``async with NfvoClient(settings) as nfvo: await nfvo.request_grant(body)``."""

    def __init__(
        self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._settings = settings
        self._base = settings.nfvo_url.rstrip("/")
        self._http = httpx.AsyncClient(timeout=settings.nfvo_timeout_seconds, transport=transport)
        self._token: str | None = None
        self._token_expires = 0.0

    async def __aenter__(self) -> NfvoClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- grants (SOL003 9.4.2, 9.4.3) ---------------------------------------------------

    async def request_grant(self, body: dict[str, Any]) -> GrantAnswer:
        response = await self._send("POST", f"{self._base}{GRANTS}", json=body)
        return self._grant_answer(response, polled=None)

    async def poll_grant(self, location: str) -> GrantAnswer:
        """GET the grant of an asynchronous request: 202 while the NFVO decides."""
        response = await self._send("GET", location)
        return self._grant_answer(response, polled=location)

    def _grant_answer(self, response: httpx.Response, *, polled: str | None) -> GrantAnswer:
        if response.status_code == 202:
            location = response.headers.get("Location") or polled
            if not location:
                raise NfvoUnavailable("the NFVO answered 202 without a Location to poll")
            return GrantAnswer(location=str(httpx.URL(self._base).join(location)))
        if response.status_code in (200, 201):
            grant = _json(response)
            if not isinstance(grant, dict) or "id" not in grant:
                raise NfvoUnavailable("the NFVO's Grant has no id")
            return GrantAnswer(grant=grant)
        raise _failure(response, "grant")

    # --- onboarded packages (SOL005 9.4.3, 9.4.5) ----------------------------------------

    async def package_info(self, vnfd_id: str) -> dict[str, Any] | None:
        """The NFVO's VnfPkgInfo of the package onboarded with this vnfdId; None: unknown."""
        response = await self._send("GET", f"{self._base}{PACKAGES}/{vnfd_id}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise _failure(response, "package")
        info = _json(response)
        if not isinstance(info, dict):
            raise NfvoUnavailable("the NFVO's VnfPkgInfo is not an object")
        return info

    async def package_content(self, vnfd_id: str) -> bytes:
        """The CSAR zip of that package."""
        response = await self._send("GET", f"{self._base}{PACKAGES}/{vnfd_id}/package_content")
        if response.status_code != 200:
            raise _failure(response, "package content")
        return response.content

    # --- HTTP with the token ------------------------------------------------------------

    async def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, url, headers=await self._auth(), **kwargs)
            if response.status_code == 401 and self._settings.nfvo_token_url:
                self._token = None  # revoked or expired early: one new token, one more try
                response = await self._http.request(
                    method, url, headers=await self._auth(), **kwargs
                )
        except httpx.HTTPError as exc:
            raise NfvoUnavailable(f"the NFVO at {self._base} is unreachable: {exc!r}") from exc
        return response

    async def _auth(self) -> dict[str, str]:
        settings = self._settings
        if not settings.nfvo_token_url:
            return {}
        if self._token is None or time.monotonic() >= self._token_expires:
            response = await self._http.post(
                settings.nfvo_token_url,
                data={"grant_type": "client_credentials"},
                auth=(settings.nfvo_client_id, settings.nfvo_client_secret),
            )
            body = _json(response) if response.status_code == 200 else None
            if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
                raise NfvoUnavailable(
                    f"the NFVO's token endpoint answered {response.status_code}, no token"
                )
            self._token = body["access_token"]
            lifetime = float(body.get("expires_in") or 300)
            self._token_expires = time.monotonic() + max(0.0, lifetime - _TOKEN_MARGIN_SECONDS)
        return {"Authorization": f"Bearer {self._token}"}


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise NfvoUnavailable(f"the NFVO answered {response.status_code} without JSON") from exc


def _failure(response: httpx.Response, what: str) -> NfvoError:
    """A 4xx (but 408/429) is the NFVO's refusal; anything else is transient."""
    status = response.status_code
    if 400 <= status < 500 and status not in (408, 429):
        try:
            body = response.json()
        except ValueError:
            body = None
        problem = body if isinstance(body, dict) else {}
        return NfvoRefused(
            {
                "status": status,
                "title": str(problem.get("title") or f"The NFVO refused the {what}"),
                "detail": str(problem.get("detail") or response.text[:500] or status),
            }
        )
    return NfvoUnavailable(f"the NFVO answered {status} to the {what} request")
