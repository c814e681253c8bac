"""The ``Version`` header of the ETSI interfaces (SOL013 4.6.1) and their api_versions.

``EtsiHeadersMiddleware`` (an ASGI middleware, for the ``/vnflcm`` and ``/vnfpkgm``
prefixes only) answers 406 ProblemDetails when a request's ``Version`` is not one the API
supports, adds ``Version`` to every response (the requested version, else the latest
supported) and sends header names in their canonical case (``Location``, ``ETag``,
``Link``, ``Content-Type``, ``Version``), since some NFVO tools read them case-sensitively.
A request without ``Version`` is served, as Tacker's v1 API does.

``api_versions_router()`` serves ``GET /vnflcm/api_versions``, ``/vnflcm/v1/api_versions``
and the same under ``/vnfpkgm`` (SOL013 ApiVersionInformation bodies).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from fastapi import APIRouter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicevm_api.etsi.headers import canonical_headers
from servicevm_api.etsi.problem import ProblemDetails, problem_response

_VERSION = re.compile(r"^([1-9]\d*|0)\.(\d+)\.(\d+)$")


@dataclass(frozen=True)
class EtsiApi:
    name: str  # vnflcm | vnfpkgm
    uri_prefix: str  # /vnflcm/v1
    versions: tuple[str, ...]  # supported, oldest first

    @property
    def prefix(self) -> str:
        return f"/{self.name}"

    @property
    def latest(self) -> str:
        return self.versions[-1]


# SOL003 v2.6.1 VNF LCM (what Tacker's /vnflcm/v1 serves) and SOL005 v2.6.1 VNF package
# management, served at /vnfpkgm/v1 as Tacker does.
VNFLCM = EtsiApi("vnflcm", "/vnflcm/v1", ("1.3.0",))
VNFPKGM = EtsiApi("vnfpkgm", "/vnfpkgm/v1", ("2.1.0",))
APIS = (VNFLCM, VNFPKGM)


class UnsupportedVersion(ValueError):
    """The requested Version is not served; the message says which are."""


def api_for_path(path: str, apis: Iterable[EtsiApi] = APIS) -> EtsiApi | None:
    for api in apis:
        if path == api.prefix or path.startswith(api.prefix + "/"):
            return api
    return None


def negotiate(api: EtsiApi, requested: str | None) -> str:
    """The version to answer with; raises UnsupportedVersion for an unserved one."""
    if requested is None or not requested.strip():
        return api.latest
    # SOL013 4.2.2: "1.3.0-impl:example.com:product:4" names version 1.3.0.
    version = requested.strip().split("-impl:", 1)[0]
    if not _VERSION.match(version) or version not in api.versions:
        raise UnsupportedVersion(
            f"Version {requested.strip()} is not supported by {api.uri_prefix}; "
            f"supported: {', '.join(api.versions)}"
        )
    return version


def api_versions_body(api: EtsiApi, *, major: bool) -> dict[str, object]:
    """ApiVersionInformation: under /<api>/v1/api_versions (``major``) or /<api>/api_versions."""
    return {
        "uriPrefix": api.uri_prefix if major else api.prefix,
        "apiVersions": [{"version": v, "isDeprecated": False} for v in api.versions],
    }


def api_versions_router(apis: Iterable[EtsiApi] = APIS) -> APIRouter:
    router = APIRouter(tags=["etsi"])
    for api in apis:
        for major in (False, True):
            path = f"{api.uri_prefix if major else api.prefix}/api_versions"
            router.add_api_route(path, _versions_endpoint(api, major=major), methods=["GET"])
    return router


def _versions_endpoint(api: EtsiApi, *, major: bool) -> Callable[[], Awaitable[dict[str, object]]]:
    async def api_versions() -> dict[str, object]:
        return api_versions_body(api, major=major)

    api_versions.__name__ = f"{api.name}_{'major_' if major else ''}api_versions"
    return api_versions


class EtsiHeadersMiddleware:
    """Version negotiation and canonical header names for the ETSI path prefixes."""

    def __init__(self, app: ASGIApp, apis: Iterable[EtsiApi] = APIS) -> None:
        self.app = app
        self.apis = tuple(apis)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        api = api_for_path(scope["path"], self.apis) if scope["type"] == "http" else None
        if api is None:
            await self.app(scope, receive, send)
            return
        requested = _header(scope, b"version")
        try:
            version = negotiate(api, requested)
        except UnsupportedVersion as exc:
            problem = ProblemDetails(status=406, title="Not Acceptable", detail=str(exc))
            response = problem_response(problem, {"Version": api.latest})
            await response(scope, receive, _with_headers(send, api.latest))
            return
        await self.app(scope, receive, _with_headers(send, version))


def _with_headers(send: Send, version: str) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"version"]
            headers.append((b"version", version.encode()))
            message = {**message, "headers": canonical_headers(headers)}
        await send(message)

    return sending


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None
