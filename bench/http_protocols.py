"""HTTP protocol benchmark: the server CPU one request costs with uvicorn's h11 protocol, its
httptools protocol, and the api's (shared.http_server: httptools, header names spelled as
the app spelled them), each serving the same small ASGI app in a process of its own.

    python -m bench.http_protocols [--requests 5000] [--trials 3]

Sequential keep-alive GETs from one client; the server process's CPU (from /proc) divided
by the requests, trials interleaved so the machine's changing speed touches each alike.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import http.client
import subprocess
import sys
import time
from typing import Any

import uvicorn

from bench.cpu import cpu_seconds
from bench.stats import percentile
from shared.http_server import CaseKeepingHttpToolsProtocol

PROTOCOLS = ("h11", "httptools", "case-keeping httptools")
HEADERS = [
    (b"Content-Type", b"application/json"),
    (b"Location", b"http://api/vnflcm/v1/vnf_instances/1"),
    (b"ETag", b'"1"'),
    (b"Version", b"1.3.0"),
]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A created resource's answer, with the headers an ETSI response carries."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 201, "headers": HEADERS})
    await send({"type": "http.response.body", "body": b'{"id": "1"}'})


def serve(protocol: str, port: int) -> None:
    http: Any = CaseKeepingHttpToolsProtocol if protocol == PROTOCOLS[2] else protocol
    uvicorn.run(app, host="127.0.0.1", port=port, http=http, log_level="warning")


def measure(protocol: str, port: int, requests: int) -> tuple[float, list[str]]:
    """Server CPU µs per request, and the header names as they came on the wire."""
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.http_protocols", "--serve", protocol, "--port", str(port)]
    )
    try:
        connection = _connect(port)
        for _ in range(200):  # warm up
            _get(connection)
        began = cpu_seconds(server.pid)
        for _ in range(requests):
            names = _get(connection)
        spent = cpu_seconds(server.pid) - began
        connection.close()
        return spent / requests * 1e6, names
    finally:
        server.kill()
        server.wait()


def _connect(port: int) -> http.client.HTTPConnection:
    deadline = time.monotonic() + 20
    while True:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            _get(connection)
            return connection
        except OSError:
            connection.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _get(connection: http.client.HTTPConnection) -> list[str]:
    connection.request("GET", "/")
    response = connection.getresponse()
    response.read()
    return [name for name, _ in response.getheaders()]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--port", type=int, default=26100)
    parser.add_argument("--serve", choices=PROTOCOLS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    costs: dict[str, list[float]] = {protocol: [] for protocol in PROTOCOLS}
    names: dict[str, list[str]] = {}
    for _ in range(args.trials):
        for index, protocol in enumerate(PROTOCOLS):
            cost, names[protocol] = measure(protocol, args.port + index, args.requests)
            costs[protocol].append(cost)
    base = percentile(costs["h11"], 0.5)
    print(f"\n{'protocol':<26}{'server CPU µs/request (median)':>32}{'/ h11':>8}  header names")
    for protocol in PROTOCOLS:
        median = percentile(costs[protocol], 0.5)
        print(f"{protocol:<26}{median:>32.0f}{median / base:>8.2f}  {', '.join(names[protocol])}")


if __name__ == "__main__":
    main()
