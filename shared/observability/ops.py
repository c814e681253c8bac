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
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.observability.context import correlation_scope, new_request_id
from shared.observability.metrics import HTTP_REQUESTS, HTTP_SECONDS

REQUEST_ID_HEADER = "X-Openstack-Request-Id"
GaugeRefresher = Callable[[], Awaitable[None]]


def ops_router(
    *,
    engine: AsyncEngine,
    amqp_url: str,
    refresh_gauges: GaugeRefresher | None = None,
    broker_required: bool = True,
) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        checks = {
            "consumer": _check_consumer(request),
            "database": await _check_database(engine),
            "broker": await _check_broker(amqp_url),
        }
        # Without broker_required, the broker and the consumer are reported but not required.
        required = checks if broker_required else {"database": checks["database"]}
        ready = all(result == "ok" for result in required.values())
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    @router.get("/metrics")
    async def metrics() -> Response:
        if refresh_gauges is not None:
            await refresh_gauges()
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def _check_consumer(request: Request) -> str:
    consumer = getattr(request.app.state, "consumer", None)
    if consumer is None or not consumer.consuming:
        return "not consuming"
    return "ok"


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


class RequestContextMiddleware:
    """Give every request an id (logged, returned, carried by messages) and measure it.

    Plain ASGI rather than BaseHTTPMiddleware, which costs a task group per request.
    """

    def __init__(self, app: ASGIApp, service: str) -> None:
        self._app = app
        self._service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request_id = new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (REQUEST_ID_HEADER.lower().encode(), request_id.encode()),
                ]
            await send(message)

        with correlation_scope(request_id):
            try:
                await self._app(scope, receive, send_with_id)
            finally:
                route = getattr(scope.get("route"), "path", "unmatched")
                method = scope["method"]
                HTTP_REQUESTS.labels(self._service, method, route, str(status)).inc()
                HTTP_SECONDS.labels(self._service, method, route).observe(
                    time.perf_counter() - started
                )


def install_request_middleware(app: FastAPI, service: str) -> None:
    app.add_middleware(RequestContextMiddleware, service=service)
