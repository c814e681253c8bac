"""/healthz, /readyz and /metrics, plus request id and metrics middleware, for every service."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import aio_pika
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.observability.context import correlation_scope, new_request_id
from shared.observability.metrics import HTTP_REQUESTS, HTTP_SECONDS

REQUEST_ID_HEADER = "X-Openstack-Request-Id"
GaugeRefresher = Callable[[], Awaitable[None]]


def ops_router(
    *, engine: AsyncEngine, amqp_url: str, refresh_gauges: GaugeRefresher | None = None
) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        checks = {
            "database": await _check_database(engine),
            "broker": await _check_broker(amqp_url),
        }
        ready = all(result == "ok" for result in checks.values())
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    @router.get("/metrics")
    async def metrics() -> Response:
        if refresh_gauges is not None:
            await refresh_gauges()
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


async def _check_database(engine: AsyncEngine) -> str:
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        return f"unreachable: {exc.__class__.__name__}: {exc}"
    return "ok"


async def _check_broker(amqp_url: str) -> str:
    try:
        connection = await aio_pika.connect(amqp_url, timeout=3)
        await connection.close()
    except Exception as exc:
        return f"unreachable: {exc.__class__.__name__}: {exc}"
    return "ok"


def install_request_middleware(app: FastAPI, service: str) -> None:
    """Give every request an id (logged, returned, carried by messages) and measure it."""

    @app.middleware("http")
    async def request_context(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request_id = new_request_id()
        request.state.request_id = request_id
        started = time.perf_counter()
        with correlation_scope(request_id):
            response = await call_next(request)
        route = request.scope.get("route")
        route_path = getattr(route, "path", "unmatched")
        HTTP_REQUESTS.labels(service, request.method, route_path, str(response.status_code)).inc()
        HTTP_SECONDS.labels(service, request.method, route_path).observe(
            time.perf_counter() - started
        )
        response.headers[REQUEST_ID_HEADER] = request_id
        return response
