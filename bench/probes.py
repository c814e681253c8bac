"""Probe benchmark: one process probing N local HTTP endpoints the way a monitoring worker
does (``run_probe`` with bounded concurrency, one shared HTTP client), round after round.

    python -m bench.probes [--devices 1000] [--interval 10] [--rounds 3] [--concurrency 500]

Prints probes per second and the p50/p99 time a round took to probe every device (its lag
behind the schedule is that minus nothing: a round starts on time unless the previous one
overran, which is reported too). It measures the probe path alone: no Celery hop and no
database writes (those are one statement per flush, measured by the e2e tests).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid

import httpx

from servicevm_mgmt.monitoring.probes import run_probe
from servicevm_mgmt.monitoring.store import Probe


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readline()
    writer.write(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")
    await writer.drain()
    writer.close()


async def main(devices: int, interval: float, rounds: int, concurrency: int) -> None:
    server = await asyncio.start_server(_answer, "127.0.0.1", 0, backlog=4096)
    port = server.sockets[0].getsockname()[1]
    spec = {"type": "http", "path": "/health", "expected_status": 200, "timeout": 5.0}
    probes = [
        Probe(uuid.uuid4(), "http", "noop", f"127.0.0.1:{port}", spec, {}) for _ in range(devices)
    ]
    limit = asyncio.Semaphore(concurrency)
    took: list[float] = []
    failed = 0
    async with server, httpx.AsyncClient(limits=httpx.Limits(max_connections=None)) as client:

        async def one(probe: Probe) -> bool:
            async with limit:
                return (await run_probe(probe, client)).ok

        start = time.monotonic()
        for n in range(rounds):
            scheduled = start + n * interval
            await asyncio.sleep(max(0.0, scheduled - time.monotonic()))
            began = time.monotonic()
            results = await asyncio.gather(*(one(p) for p in probes))
            failed += results.count(False)
            took.append(time.monotonic() - began)
    total = devices * rounds
    busy = sum(took)
    p99 = statistics.quantiles(took, n=100)[98] if len(took) > 1 else took[0]
    print(f"devices={devices} interval={interval}s rounds={rounds} concurrency={concurrency}")
    print(f"probes/s while probing: {total / busy:,.0f}   failed: {failed}")
    print(f"round duration p50={statistics.median(took):.2f}s p99={p99:.2f}s")
    print(f"keeps the interval: {max(took) <= interval}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=500)
    args = parser.parse_args()
    asyncio.run(main(args.devices, args.interval, args.rounds, args.concurrency))
