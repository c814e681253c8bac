"""The ``Version`` header of the ETSI interfaces (SOL013 4.6.1) and their api_versions.

``negotiate`` picks the version to answer with: the requested one when the API supports it
(406 otherwise, see ``middleware.EtsiHeadersMiddleware``), else the latest supported. A
request without ``Version`` is served, as Tacker's v1 API does.

``api_versions_router()`` serves ``GET /vnflcm/api_versions``, ``/vnflcm/v1/api_versions``
and the same under ``/vnfpkgm`` (SOL013 ApiVersionInformation bodies).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from fastapi import APIRouter

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
