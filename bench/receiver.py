"""A fast HTTP subscriber for benchmarks, in a process of its own: a bare ASGI app under
uvicorn that answers every POST 204 at once and remembers when it arrived. It parses
nothing while the benchmark runs (bodies are kept as bytes), so what is measured is the
sender, not this receiver.

    python -m bench.receiver --port 8999

``GET /count`` answers how many POSTs arrived; ``GET /results`` all of them as JSON lines
``{"path", "arrived" (epoch seconds), "notification" (the body)}``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# (path, arrival time, body) of each POST.
ARRIVALS: list[tuple[str, float, bytes]] = []


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    if scope["method"] == "POST":
        body = await _body(receive)
        ARRIVALS.append((scope["path"], time.time(), body))
        await _answer(send, 204, b"")
    elif scope["path"] == "/count":
        await _answer(send, 200, str(len(ARRIVALS)).encode())
    elif scope["path"] == "/results":
        await _answer(send, 200, _results())
    else:
        await _answer(send, 404, b"")


def _results() -> bytes:
    return b"\n".join(
        json.dumps({"path": path, "arrived": arrived, "notification": json.loads(body)}).encode()
        for path, arrived, body in ARRIVALS
    )


async def _body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _answer(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
