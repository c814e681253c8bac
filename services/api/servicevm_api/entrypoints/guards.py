"""ASGI guards in front of the routes: a bound on body size (413) and on request time (504)."""

from __future__ import annotations

import asyncio
import json
import logging
import re

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicevm_api.entrypoints.errors import error_body

log = logging.getLogger(__name__)


async def _send_error(send: Send, status: int, error_type: str, message: str) -> None:
    body = json.dumps(error_body(error_type, message)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# A VNF package's content (a CSAR zip) is far larger than any JSON body.
_PACKAGE_CONTENT = re.compile(r"^/vnfpkgm/v1/vnf_packages/[^/]+/package_content/?$")


class BodySizeLimit:
    """413 for a body over ``max_bytes`` (``max_package_bytes`` for a VNF package's
    content): announced by Content-Length, or counted as it streams."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_package_bytes: int | None = None) -> None:
        self._app = app
        self._default = max_bytes
        self._package = max_package_bytes or max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        package = _PACKAGE_CONTENT.match(scope.get("path", "")) is not None
        limit = self._package if package else self._default
        await _Limited(self._app, limit)(scope, receive, send)


class _Limited:
    """One request's limit."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self._app = app
        self._max = limit

    def _message(self) -> str:
        return f"Request body is larger than the limit of {self._max} bytes."

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    announced = int(value)
                except ValueError:
                    await _send_error(send, 400, "HTTPBadRequest", "Invalid Content-Length.")
                    return
                if announced > self._max:
                    await _send_error(send, 413, "HTTPRequestEntityTooLarge", self._message())
                    return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self._max:
                    # Raised inside the route's body read: the error handlers answer 413.
                    raise HTTPException(413, self._message())
            return message

        await self._app(scope, counting_receive, send)


class RejectNulInUrl:
    """400 for a NUL character in the path or query, which no resource or filter can hold."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw = scope.get("query_string", b"") + scope.get("raw_path", b"")
            if b"%00" in raw or b"\x00" in raw or "\x00" in scope.get("path", ""):
                message = "Invalid input: NUL characters are not allowed in the URL."
                await _send_error(send, 400, "HTTPBadRequest", message)
                return
        await self._app(scope, receive, send)


class RequestTimeout:
    """504 for a request not answered within ``seconds`` (its work is cancelled and rolled back)."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self._app = app
        self._seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._seconds <= 0:
            await self._app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        deadline = asyncio.timeout(self._seconds)
        try:
            async with deadline:
                await self._app(scope, receive, tracking_send)
        except TimeoutError:
            if not deadline.expired():
                raise
            log.warning("request timed out", extra={"path": scope.get("path")})
            if not started:
                await _send_error(
                    send,
                    504,
                    "HTTPGatewayTimeout",
                    f"The request was not completed within {self._seconds:g} seconds.",
                )
