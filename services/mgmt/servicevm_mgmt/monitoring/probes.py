"""The probes themselves: each bounded by its monitor's timeout, never raising."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from servicevm_mgmt.drivers import get_mgmt_driver
from servicevm_mgmt.drivers.base import ManagedDevice
from servicevm_mgmt.monitoring.states import ProbeResult
from servicevm_mgmt.monitoring.store import Probe


class ProbeFailed(Exception):
    """The probe ran and the device failed it; the message says how."""


async def run_probe(probe: Probe, client: httpx.AsyncClient) -> ProbeResult:
    """Run one probe within its timeout; a hang, a refusal or any error is a failure."""
    started = time.monotonic()
    timeout = float(probe.spec["timeout"])
    try:
        async with asyncio.timeout(timeout):  # no extra task per probe, unlike wait_for
            await _PROBES[probe.monitor](probe, client)
    except TimeoutError:
        return ProbeResult(False, time.monotonic() - started, f"no answer within {timeout}s")
    except Exception as exc:  # a probe never takes its batch down
        return ProbeResult(False, time.monotonic() - started, str(exc) or type(exc).__name__)
    return ProbeResult(True, time.monotonic() - started)


def _host_port(probe: Probe) -> tuple[str, int | None]:
    if not probe.mgmt_address:
        raise ProbeFailed("the device has no management address")
    host, _, port = probe.mgmt_address.rpartition(":")
    if not host:
        return probe.mgmt_address, None
    return host, int(port) if port.isdigit() else None


async def _connect(host: str, port: int) -> socket.socket:
    """A connected non-blocking socket. Bare sockets on the loop, not streams: a probe's
    transport, protocol, reader and writer cost more CPU than the probe itself."""
    loop = asyncio.get_running_loop()
    target: tuple[Any, ...]
    try:
        address = ipaddress.ip_address(host.strip("[]"))
        family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
        target = (str(address), port)
    except ValueError:  # a name: resolved (in the loop's executor)
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family, target = infos[0][0], tuple(infos[0][4])
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        await loop.sock_connect(sock, target)
    except BaseException:
        sock.close()
        raise
    return sock


async def _ping(probe: Probe, client: httpx.AsyncClient) -> None:
    host, port = _host_port(probe)
    port = probe.spec.get("port") or port
    if port is None:
        raise ProbeFailed("no port to connect to: give the ping monitor a port")
    try:
        sock = await _connect(host, port)
    except OSError as exc:
        raise ProbeFailed(f"TCP connect to {host}:{port} failed: {exc.strerror or exc}") from None
    sock.close()


async def _http(probe: Probe, client: httpx.AsyncClient) -> None:
    """A bare HTTP/1.0 GET on a fresh connection: a probe is one status line, and a full
    client costs tens of times more CPU per request than the probe is worth at scale."""
    host, port = _host_port(probe)
    path = probe.spec["path"]
    url = f"http://{host}:{port or 80}{path}"
    loop = asyncio.get_running_loop()
    try:
        sock = await _connect(host, port or 80)
    except OSError as exc:
        raise ProbeFailed(f"GET {url} failed: {exc.strerror or exc}") from None
    try:
        await loop.sock_sendall(sock, f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
        status_line = await _status_line(loop, sock)
    except OSError as exc:
        raise ProbeFailed(f"GET {url} failed: {exc.strerror or exc}") from None
    finally:
        sock.close()
    parts = status_line.split()
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
        raise ProbeFailed(f"GET {url} answered no HTTP status line")
    if int(parts[1]) != probe.spec["expected_status"]:
        raise ProbeFailed(f"GET {url} answered {int(parts[1])}")


async def _status_line(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> bytes:
    """The answer's first line (at most 4 KiB of it), however the bytes arrive."""
    received = b""
    while b"\n" not in received and len(received) < 4096:
        chunk = await loop.sock_recv(sock, 4096)
        if not chunk:
            break
        received += chunk
    return received.split(b"\n", 1)[0]


async def _mgmt(probe: Probe, client: httpx.AsyncClient) -> None:
    device = ManagedDevice(
        device_id=probe.device_id,
        tenant_id="",
        mgmt_address=probe.mgmt_address,
        parameters=probe.parameters,
        configuration={},
    )
    health = await get_mgmt_driver(probe.mgmt_driver).health(device)
    if health != "ok":
        raise ProbeFailed(f"management driver says {health!r}")


_PROBES: dict[str, Callable[[Probe, httpx.AsyncClient], Awaitable[None]]] = {
    "ping": _ping,
    "http": _http,
    "mgmt": _mgmt,
}
