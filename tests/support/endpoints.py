"""HTTP endpoints for probe tests, in a process of their own (the test's own threads would
compete with it): ``/slow`` answers after 10 s, any other path at once; ``/hits`` tells when
each path was asked for (monotonic seconds of this machine).

Run: ``python -m tests.support.endpoints PORT``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

HITS: dict[str, list[float]] = {}


async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    request = await reader.readline()
    parts = request.decode(errors="replace").split()
    path = parts[1] if len(parts) > 1 else "/"
    body = b""
    if path == "/hits":
        body = json.dumps(HITS).encode()
    else:
        HITS.setdefault(path, []).append(time.monotonic())
        if path == "/slow":
            await asyncio.sleep(10)
    head = f"HTTP/1.0 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    try:
        writer.write(head + body)
        await writer.drain()
    except ConnectionError:
        pass
    writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(serve, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
