"""uvicorn's httptools protocol, writing response header names as the app spelled them.

The ETSI interfaces send header names in their canonical case (``Location``, ``ETag``,
``Version``: some NFVO tools read them case-sensitively). uvicorn's h11 protocol keeps the
app's spelling but parses and writes in Python; its httptools protocol parses in C and
costs half the server CPU per request, but lowercases every name it writes
(``bench.http_protocols``: h11 336-387 µs, httptools 157-166 µs, this protocol 178-200 µs
for a small response). This protocol is uvicorn's httptools one whose header block is
re-spelled, line by line, as the app's ``http.response.start`` message spelled each name.

It relies on two details of uvicorn's httptools protocol (checked against the version
pinned in pyproject.toml; the e2e test of header names on the wire fails if they change):
each request's cycle is started by ``_start_asgi_task``, and the cycle writes its whole
header block in one ``transport.write`` while handling ``http.response.start``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

Send = Callable[[Any], Awaitable[None]]


class CaseKeepingHttpToolsProtocol(HttpToolsProtocol):
    def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
        # run_asgi hands the app ``cycle.send``: the instance attribute shadows the method.
        cycle.send = _keeping_case(cycle)  # type: ignore[method-assign,assignment]
        super()._start_asgi_task(cycle, app)


def _keeping_case(cycle: RequestResponseCycle) -> Send:
    send: Send = RequestResponseCycle.send.__get__(cycle)

    async def send_keeping_case(message: Any) -> None:
        if message["type"] != "http.response.start" or cycle.response_started:
            await send(message)
            return
        # ASGI allows any iterable of headers: read once here, handed on as a list.
        headers = list(message.get("headers", []))
        message = {**message, "headers": headers}
        spelled = {name.lower(): name for name, _ in headers}
        transport = cycle.transport
        cycle.transport = _Respelling(transport, spelled)  # type: ignore[assignment]
        try:
            await send(message)
        finally:
            cycle.transport = transport

    return send_keeping_case


class _Respelling:
    """The transport, for the one write of a response's status line and header block."""

    def __init__(self, transport: asyncio.Transport, spelled: dict[bytes, bytes]) -> None:
        self._transport = transport
        self._spelled = spelled

    def write(self, data: bytes) -> None:
        self._transport.write(respell(data, self._spelled))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def respell(head: bytes, spelled: dict[bytes, bytes]) -> bytes:
    """``head`` (the status line, ``name: value`` lines, a blank line) with each name the
    app sent spelled as it sent it; names it did not send (uvicorn's own) stay as they are."""
    lines = head.split(b"\r\n")
    for index in range(1, len(lines)):
        name, colon, rest = lines[index].partition(b":")
        if colon and name in spelled:
            lines[index] = spelled[name] + colon + rest
    return b"\r\n".join(lines)
