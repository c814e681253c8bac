"""The Version header, api_versions and canonical header names on ETSI paths."""

import http
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from servicevm_api.etsi.headers import canonical_name
from servicevm_api.etsi.middleware import EtsiHeadersMiddleware
from servicevm_api.etsi.problem import PROBLEM_JSON
from servicevm_api.etsi.version import VNFLCM, UnsupportedVersion, api_versions_router, negotiate


class TooLarge:
    """An inner middleware answering with its own JSON error, as the api's guards do."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].endswith("/too_large"):
            await self.app(scope, receive, send)
            return
        body = b'{"NeutronError": {"type": "HTTPRequestEntityTooLarge", "message": "Too big."}}'
        headers = [(b"content-type", b"application/json"), (b"retry-after", b"1")]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body[:20], "more_body": True})
        await send({"type": "http.response.body", "body": body[20:]})


def _app() -> FastAPI:
    app = FastAPI()

    @app.post("/vnflcm/v1/vnf_instances")
    async def create() -> JSONResponse:
        return JSONResponse(
            {"id": "i-1"},
            status_code=201,
            headers={
                "location": "/vnflcm/v1/vnf_instances/i-1",
                "etag": '"abc"',
                "link": '<http://h/x>; rel="next"',
            },
        )

    @app.get("/v1.0/devices")
    async def devices() -> dict[str, list[str]]:
        return {"devices": []}

    @app.get("/vnfpkgm/v1/vnf_packages")
    async def packages() -> list[str]:
        return []

    app.include_router(api_versions_router())
    app.add_middleware(TooLarge)
    app.add_middleware(EtsiHeadersMiddleware)
    return app


APP = _app()


async def _call(method: str, path: str, **kwargs: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=APP, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.request(method, path, **kwargs)


def _raw_names(response: object) -> set[bytes]:
    return {name for name, _ in response.headers.raw}  # type: ignore[attr-defined]


async def test_responses_carry_version_and_canonical_header_names() -> None:
    response = await _call("POST", "/vnflcm/v1/vnf_instances")
    assert response.status_code == 201
    assert response.headers["version"] == "1.3.0"
    assert {b"Version", b"Location", b"ETag", b"Link", b"Content-Type"} <= _raw_names(response)


@pytest.mark.parametrize("requested", ["1.3.0", "1.3.0-impl:example.com:nfvo:4", " 1.3.0 "])
async def test_a_supported_version_is_served_and_echoed(requested: str) -> None:
    response = await _call("POST", "/vnflcm/v1/vnf_instances", headers={"Version": requested})
    assert response.status_code == 201
    assert response.headers["Version"] == "1.3.0"


@pytest.mark.parametrize("requested", ["2.0.0", "1.2.0", "one", "1.3"])
async def test_an_unsupported_version_is_406_problem_details(requested: str) -> None:
    response = await _call("POST", "/vnflcm/v1/vnf_instances", headers={"Version": requested})
    assert response.status_code == 406
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["Version"] == "1.3.0"
    body = response.json()
    assert body["status"] == 406
    assert body["detail"] == (
        f"Version {requested} is not supported by /vnflcm/v1; supported: 1.3.0"
    )


async def test_each_api_has_its_own_versions() -> None:
    assert (await _call("GET", "/vnfpkgm/v1/vnf_packages")).headers["Version"] == "2.1.0"
    refused = await _call("GET", "/vnfpkgm/v1/vnf_packages", headers={"Version": "1.3.0"})
    assert refused.status_code == 406


async def test_other_paths_are_left_alone() -> None:
    response = await _call("GET", "/v1.0/devices", headers={"Version": "9.9.9"})
    assert response.status_code == 200
    assert "version" not in response.headers
    assert b"content-type" in _raw_names(response)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/vnflcm/api_versions", {"uriPrefix": "/vnflcm", "version": "1.3.0"}),
        ("/vnflcm/v1/api_versions", {"uriPrefix": "/vnflcm/v1", "version": "1.3.0"}),
        ("/vnfpkgm/api_versions", {"uriPrefix": "/vnfpkgm", "version": "2.1.0"}),
        ("/vnfpkgm/v1/api_versions", {"uriPrefix": "/vnfpkgm/v1", "version": "2.1.0"}),
    ],
)
async def test_api_versions(path: str, body: dict[str, str]) -> None:
    response = await _call("GET", path)
    assert response.status_code == 200
    assert response.json() == {
        "uriPrefix": body["uriPrefix"],
        "apiVersions": [{"version": body["version"], "isDeprecated": False}],
    }
    assert response.headers["Version"] == body["version"]


def test_negotiate_without_a_request_version_answers_the_latest() -> None:
    assert negotiate(VNFLCM, None) == "1.3.0"
    assert negotiate(VNFLCM, "") == "1.3.0"
    with pytest.raises(UnsupportedVersion):
        negotiate(VNFLCM, "1.3.0-vendor")


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        (b"content-type", b"Content-Type"),
        (b"etag", b"ETag"),
        (b"LOCATION", b"Location"),
        (b"www-authenticate", b"WWW-Authenticate"),
        (b"x-request-id", b"X-Request-Id"),
    ],
)
def test_canonical_names(name: bytes, canonical: bytes) -> None:
    assert canonical_name(name) == canonical


async def test_inner_middleware_json_errors_become_problem_details() -> None:
    response = await _call("POST", "/vnflcm/v1/too_large")
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["Retry-After"] == "1"
    assert response.headers["Version"] == "1.3.0"
    title = http.HTTPStatus(413).phrase
    assert response.json() == {"status": 413, "title": title, "detail": "Too big."}
    assert int(response.headers["content-length"]) == len(response.content)


async def test_inner_middleware_errors_elsewhere_are_untouched() -> None:
    response = await _call("POST", "/v1.0/too_large")
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/json"
    assert response.json()["NeutronError"]["message"] == "Too big."
