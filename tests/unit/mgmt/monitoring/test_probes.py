"""The probes: bounded by their timeout, a refusal, a wrong status or a hang is a failure."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from servicevm_mgmt.monitoring.probes import run_probe
from servicevm_mgmt.monitoring.store import Probe


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    line = await reader.readline()
    path = line.split()[1]
    if path == b"/hang":
        await asyncio.sleep(5)
    status = b"503 Unavailable" if path == b"/down" else b"200 OK"
    writer.write(b"HTTP/1.0 " + status + b"\r\n\r\n")
    await writer.drain()
    writer.close()


@pytest.fixture
async def address() -> AsyncIterator[str]:
    server = await asyncio.start_server(_serve, "127.0.0.1", 0)
    async with server:
        yield f"127.0.0.1:{server.sockets[0].getsockname()[1]}"


def probe(monitor: str, address: str | None, **spec: Any) -> Probe:
    full = {"timeout": 0.5, "path": "/health", "expected_status": 200, **spec}
    return Probe(uuid.uuid4(), monitor, "noop", address, full, {})


def closed_address() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"


async def test_ping_and_http_pass_against_an_answering_appliance(address: str) -> None:
    async with httpx.AsyncClient() as client:
        assert (await run_probe(probe("ping", address), client)).ok
        assert (await run_probe(probe("http", address), client)).ok
        assert (await run_probe(probe("mgmt", address), client)).ok  # noop driver: "ok"


async def test_a_refused_connection_a_wrong_status_and_a_hang_fail(address: str) -> None:
    async with httpx.AsyncClient() as client:
        refused = await run_probe(probe("ping", closed_address()), client)
        assert not refused.ok and "TCP connect" in (refused.error or "")
        down = await run_probe(probe("http", address, path="/down"), client)
        assert not down.ok and "answered 503" in (down.error or "")
        hung = await run_probe(probe("http", address, path="/hang"), client)
        assert not hung.ok and hung.error == "no answer within 0.5s"
        assert hung.latency_seconds < 2
        nowhere = await run_probe(probe("http", None), client)
        assert not nowhere.ok and "no management address" in (nowhere.error or "")
