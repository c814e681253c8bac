"""The probes themselves: each bounded by its monitor's timeout, never raising."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

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
        await asyncio.wait_for(_PROBES[probe.monitor](probe, client), timeout)
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


async def _ping(probe: Probe, client: httpx.AsyncClient) -> None:
    host, port = _host_port(probe)
    port = probe.spec.get("port") or port
    if port is None:
        raise ProbeFailed("no port to connect to: give the ping monitor a port")
    try:
        _, writer = await asyncio.open_connection(host, port)
    except OSError as exc:
        raise ProbeFailed(f"TCP connect to {host}:{port} failed: {exc.strerror or exc}") from None
    writer.close()


async def _http(probe: Probe, client: httpx.AsyncClient) -> None:
    """A bare HTTP/1.0 GET on a fresh connection: a probe is one status line, and a full
    client costs tens of times more CPU per request than the probe is worth at scale."""
    host, port = _host_port(probe)
    path = probe.spec["path"]
    url = f"http://{host}:{port or 80}{path}"
    try:
        reader, writer = await asyncio.open_connection(host, port or 80)
    except OSError as exc:
        raise ProbeFailed(f"GET {url} failed: {exc.strerror or exc}") from None
    try:
        writer.write(f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
        await writer.drain()
        status_line = await reader.readline()
    except OSError as exc:
        raise ProbeFailed(f"GET {url} failed: {exc.strerror or exc}") from None
    finally:
        writer.close()
    parts = status_line.split()
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
        raise ProbeFailed(f"GET {url} answered no HTTP status line")
    if int(parts[1]) != probe.spec["expected_status"]:
        raise ProbeFailed(f"GET {url} answered {int(parts[1])}")


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
