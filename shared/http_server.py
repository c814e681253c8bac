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
header block in one ``transport.write`` while handling ``http.response.start`` (the only
other write that can pass meanwhile, a 100 Continue, has no header to re-spell).

httptools puts no bound on a request's line and headers (a 2 MB header was served); h11
refuses a head that arrives in pieces beyond 16 KiB (one that arrives in one read, as on a
local network, it takes whole). This protocol bounds the whole head at 64 KiB, above what
clients send (the fuzzing test's longest request head is between 16 and 64 KiB), and
answers a bigger one 400, as a malformed request.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

# The bound on a request's line and headers (see the module's docstring).
MAX_HEAD_BYTES = 64 * 1024


class RequestHeadTooLarge(ValueError):
    """Raised from the parser's callbacks: uvicorn answers it 400 and closes."""


class CaseKeepingHttpToolsProtocol(HttpToolsProtocol):
    _head_bytes = 0

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = 0

    def on_url(self, url: bytes) -> None:
        self._count_head(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_head(len(name) + len(value) + 4)  # ": " and CRLF
        super().on_header(name, value)

    def _count_head(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > MAX_HEAD_BYTES:
            raise RequestHeadTooLarge(f"request line and headers over {MAX_HEAD_BYTES} bytes")

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
        # The same object, with this module's ``send`` (a class of the same layout that
        # adds no state): no wrapper holding the cycle, so no reference cycle per request.
        cycle.__class__ = _CaseKeepingCycle
        super()._start_asgi_task(cycle, app)


class _CaseKeepingCycle(RequestResponseCycle):
    async def send(self, message: Any) -> None:
        if message["type"] != "http.response.start" or self.response_started:
            await super().send(message)
            return
        # ASGI allows any iterable of headers: read once here, handed on as a list.
        headers = list(message.get("headers", []))
        spelled = {bytes(name).lower(): bytes(name) for name, _ in headers}
        transport = self.transport
        self.transport = _Respelling(transport, spelled)  # type: ignore[assignment]
        started: Any = {**message, "headers": headers}
        try:
            await super().send(started)
        finally:
            self.transport = transport


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
