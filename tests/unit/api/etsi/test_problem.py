"""ProblemDetails on /vnflcm and /vnfpkgm, the api's own error form everywhere else."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from servicevm_api.etsi.problem import (
    PROBLEM_JSON,
    ProblemError,
    conflict,
    install_problem_handlers,
    is_etsi_path,
    not_found,
)


class Item(BaseModel):
    name: str


def _neutron(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"NeutronError": {"type": "E", "message": message, "detail": ""}}
    return JSONResponse(body, status_code=status, headers=headers)


def _app() -> FastAPI:
    """An app with Neutron-style handlers, as the api installs them, then ours."""
    app = FastAPI()

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_r: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _neutron(exc.status_code, str(exc.detail), dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def invalid(_r: Request, exc: RequestValidationError) -> JSONResponse:
        return _neutron(400, "Invalid input for name.")

    @app.exception_handler(Exception)
    async def unexpected(_r: Request, exc: Exception) -> JSONResponse:
        return _neutron(500, "Request Failed: internal server error.")

    @app.get("/v1.0/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        raise StarletteHTTPException(404, f"Thing {thing_id} could not be found.")

    @app.get("/vnflcm/v1/vnf_instances/{instance_id}")
    async def instance(instance_id: str) -> dict[str, str]:
        if instance_id == "busy":
            raise conflict("VNF instance busy is INSTANTIATED.")
        raise not_found(f"VNF instance {instance_id} does not exist.")

    @app.post("/vnflcm/v1/vnf_instances")
    async def create(item: Item) -> dict[str, str]:
        return {"name": item.name}

    @app.get("/vnfpkgm/v1/boom")
    async def boom() -> None:
        raise RuntimeError("kaput")

    @app.get("/v1.0/boom")
    async def boom_v1() -> None:
        raise RuntimeError("kaput")

    install_problem_handlers(app)
    return app


APP = _app()


async def _call(method: str, path: str, **kwargs: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=APP, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.request(method, path, **kwargs)


async def test_problem_errors_render_problem_details() -> None:
    response = await _call("GET", "/vnflcm/v1/vnf_instances/nope")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json() == {
        "status": 404,
        "title": "Not Found",
        "detail": "VNF instance nope does not exist.",
    }
    assert (await _call("GET", "/vnflcm/v1/vnf_instances/busy")).json()["status"] == 409


async def test_unknown_etsi_paths_are_problem_details() -> None:
    response = await _call("GET", "/vnfpkgm/v1/nothing_here")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["title"] == "Not Found"


async def test_unsupported_methods_are_405_problem_details_with_allow() -> None:
    response = await _call("PUT", "/vnflcm/v1/vnf_instances")
    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["allow"] == "POST"
    assert response.json()["title"] == "Method Not Allowed"


async def test_invalid_bodies_are_400_problem_details_with_the_apis_message() -> None:
    response = await _call("POST", "/vnflcm/v1/vnf_instances", json={"name": 5})
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json() == {
        "status": 400,
        "title": "Bad Request",
        "detail": "Invalid input for name.",
    }


async def test_unexpected_errors_on_etsi_paths_are_500_problem_details() -> None:
    response = await _call("GET", "/vnfpkgm/v1/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["detail"] == "Request Failed: internal server error."


async def test_other_paths_keep_their_error_form() -> None:
    response = await _call("GET", "/v1.0/things/x")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json()["NeutronError"]["message"] == "Thing x could not be found."
    assert "NeutronError" in (await _call("GET", "/v1.0/boom")).json()


def test_problem_errors_keep_type_instance_and_headers() -> None:
    error = ProblemError(
        412, "ETag mismatch", type="about:blank", instance="/x", headers={"ETag": '"1"'}
    )
    assert error.problem.title == "Precondition Failed"
    assert error.problem.model_dump(exclude_none=True) == {
        "type": "about:blank",
        "title": "Precondition Failed",
        "status": 412,
        "detail": "ETag mismatch",
        "instance": "/x",
    }
    assert error.headers == {"ETag": '"1"'}


@pytest.mark.parametrize(
    ("path", "etsi"),
    [
        ("/vnflcm", True),
        ("/vnflcm/v1/vnf_instances", True),
        ("/vnfpkgm/v1/vnf_packages", True),
        ("/vnflcmx/v1", False),
        ("/v1.0/devices", False),
    ],
)
def test_only_the_etsi_prefixes_are_etsi_paths(path: str, etsi: bool) -> None:
    assert is_etsi_path(path) is etsi
