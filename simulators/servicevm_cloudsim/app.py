"""Builds the FastAPI app: routes, error bodies in each service's own shape, faults."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from servicevm_cloudsim.model import CloudError
from servicevm_cloudsim.routes import compute, control, identity, image, network, orchestration
from servicevm_cloudsim.state import RequestRecord, SimState

NOVA_FAULTS = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "itemNotFound",
    409: "conflict",
    413: "overLimit",
}
TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
}


def error_body(path: str, status: int, message: str) -> dict[str, Any]:
    """The error JSON the real service at this path answers with."""
    title = TITLES.get(status, "Internal Server Error" if status >= 500 else "Error")
    if path.startswith("/compute"):
        return {NOVA_FAULTS.get(status, "computeFault"): {"message": message, "code": status}}
    if path.startswith("/network"):
        return {"NeutronError": {"type": title.replace(" ", ""), "message": message, "detail": ""}}
    if path.startswith("/orchestration"):
        error = {"message": message, "type": title.replace(" ", ""), "traceback": None}
        return {"explanation": message, "code": status, "error": error, "title": title}
    return {"error": {"code": status, "message": message, "title": title}}


def build_app(state: SimState) -> FastAPI:
    app = FastAPI(title="servicevm cloud simulator", openapi_url=None, docs_url=None)
    app.state.sim = state
    for module in (identity, compute, network, image, orchestration, control):
        app.include_router(module.router)

    @app.exception_handler(CloudError)
    async def cloud_error(request: Request, exc: CloudError) -> Response:
        return JSONResponse(error_body(request.url.path, exc.status, exc.message), exc.status)

    @app.middleware("http")
    async def faults_and_log(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await _inject_or_call(state, request, call_next)
        state.requests.append(RequestRecord(request.method, request.url.path, response.status_code))
        return response

    return app


async def _inject_or_call(
    state: SimState, request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    path = request.url.path
    fault = None if path.startswith("/_sim") else state.cloud.faults.take_http(request.method, path)
    if fault is None:
        return await call_next(request)
    done = await call_next(request) if fault.after else None
    if fault.delay > 0:
        await asyncio.sleep(fault.delay)
    if fault.status is not None:
        message = f"Simulated fault: {fault.status} for {request.method} {path}"
        return JSONResponse(error_body(path, fault.status, message), fault.status)
    return done if done is not None else await call_next(request)
