"""Probe benchmark: one Celery worker (and beat) of the monitoring engine probing N devices'
``http`` monitors, each device a path on one local asyncio HTTP server process.

    python -m bench.probes [--devices 1000 10000] [--interval 10] [--rounds 3] [--profile DIR]

The whole path runs as in production: beat emits rounds, a round claims the due rows of
``mgmt.monitored_devices`` (in the bench database) and fans them out as batch tasks over
RabbitMQ, the worker probes and writes the results. Printed per N: probes per second (the
endpoint server's hits in the measured window), the p50/p99 lag of a probe behind its
schedule (per device, the gap between two probes beyond the interval), the worker's own
round-lag p99 (``servicevm_health_round_lag_seconds``) and the worker's CPU per probe.
Target: 10,000 devices every 10 s on this 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

import asyncpg
import httpx

from bench import cpu
from bench.e2e_devices import BENCH_ENV
from bench.profiling import Profiler, print_top
from bench.stats import percentile
from servicevm_mgmt.monitoring.engine import commands
from shared.config import Settings
from shared.contracts.monitoring import Monitor
from shared.devstack import fresh_environment, isolated_settings
from shared.preflight import preflight

METRICS_PORT = int(BENCH_ENV["SERVICEVM_API_PORT"]) + 9


# --- the endpoints: one process, one port, a path per device -------------------------------
class Hits:
    def __init__(self) -> None:
        self.at: dict[str, list[float]] = defaultdict(list)

    async def answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await reader.readline()
            parts = line.split()
            path = parts[1].decode() if len(parts) > 1 else "/"
            if path == "/hits":
                body = json.dumps(self.at).encode()
                self.at = defaultdict(list)
            else:
                self.at[path].append(time.time())
                body = b""
            head = f"HTTP/1.0 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            writer.write(head + body)
            await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()


async def serve(port: int) -> None:
    hits = Hits()
    server = await asyncio.start_server(hits.answer, "127.0.0.1", port, backlog=8192)
    async with server:
        await server.serve_forever()


# --- seeding and measuring -----------------------------------------------------------------
async def seed(settings: Settings, devices: int, port: int, interval: float) -> float:
    """N devices with one http monitor each, first due spread over one interval (as devices
    registered over time would be); the time (epoch) the first is due."""
    conn = await asyncpg.connect(settings.database_url("mgmt", driver="postgresql"))
    try:
        await conn.execute("TRUNCATE mgmt.monitored_devices")
        start = float(await conn.fetchval("SELECT extract(epoch FROM now())")) + 5
        rows = []
        for n in range(devices):
            spec = Monitor(type="http", interval=interval, timeout=5, threshold=3, path=f"/d/{n}")
            due = start + interval * n / devices
            rows.append(
                (
                    uuid.uuid4(),
                    "http",
                    "bench",
                    "noop",
                    f"127.0.0.1:{port}",
                    spec.model_dump_json(),
                    due,
                )
            )
        await conn.executemany(
            "INSERT INTO mgmt.monitored_devices (device_id, monitor, tenant_id, mgmt_driver,"
            " mgmt_address, spec, next_probe_at) VALUES ($1, $2, $3, $4, $5, $6::jsonb,"
            " to_timestamp($7))",
            rows,
        )
    finally:
        await conn.close()
    return start


def lags(hits: dict[str, list[float]], start: float, devices: int, interval: float) -> list[float]:
    """How late each probe came after its device's schedule (due at ``start`` + its offset,
    then every interval; a row is never claimed before it is due)."""
    out: list[float] = []
    for path, seen in hits.items():
        first_due = start + interval * int(path.rsplit("/", 1)[1]) / devices
        out.extend((at - first_due) % interval for at in seen)
    return out


def _p99_le(buckets: list[tuple[float, float]]) -> float:
    """The upper bound of the histogram bucket holding the 99th percentile."""
    total = buckets[-1][1] if buckets else 0.0
    return next((le for le, count in buckets if total and count >= 0.99 * total), float("nan"))


def worker_metrics() -> dict[str, float]:
    """The worker's round-lag and probe-latency p99 (bucket bounds, from its histograms)."""
    text = httpx.get(f"http://127.0.0.1:{METRICS_PORT}/metrics", timeout=5).text
    lag: list[tuple[float, float]] = []
    latency: list[tuple[float, float]] = []
    for line in text.splitlines():
        for prefix, into in (
            ("servicevm_health_round_lag_seconds_bucket", lag),
            ("servicevm_health_probe_latency_seconds_bucket", latency),
        ):
            if line.startswith(prefix):
                bound = line.split('le="')[1].split('"')[0]
                into.append((float(bound), float(line.rsplit(" ", 1)[1])))
    return {"round_lag_p99_le": _p99_le(lag), "latency_p99_le": _p99_le(latency)}


def _wait_for(url: str, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            httpx.get(url, timeout=5)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def run(
    settings: Settings, devices: int, interval: float, rounds: int, profile: Path | None
) -> str:
    port = int(BENCH_ENV["SERVICEVM_API_PORT"]) + 8
    log_dir = Path(tempfile.mkdtemp(prefix="servicevm-probes-"))
    server = subprocess.Popen([sys.executable, "-m", "bench.probes", "--serve", str(port)])
    env = {
        **os.environ,
        **BENCH_ENV,
        "SERVICEVM_MONITOR_METRICS_PORT": str(METRICS_PORT),
        "SERVICEVM_MONITOR_ROUND_SECONDS": "1",
    }
    processes: list[subprocess.Popen[bytes]] = []
    try:
        _wait_for(f"http://127.0.0.1:{port}/hits")
        start = asyncio.run(seed(settings, devices, port, interval))
        for role, argv in commands(log_dir).items():
            with (log_dir / f"celery-{role}.log").open("ab") as log:
                processes.append(subprocess.Popen(argv, env=env, stdout=log, stderr=log))
        worker = processes[0].pid
        time.sleep(max(0.0, start - time.time()) + interval)  # warm up: every device once
        httpx.get(f"http://127.0.0.1:{port}/hits", timeout=30)  # forget the warm-up
        profiler = Profiler(profile / f"n{devices}", {"worker": worker}) if profile else None
        pids = {"worker": worker, "server": server.pid}
        before, began = cpu.snapshot(pids), time.time()
        time.sleep(interval * rounds)
        spent = cpu.spent(before, cpu.snapshot(pids))
        window = time.time() - began
        hits = httpx.get(f"http://127.0.0.1:{port}/hits", timeout=30).json()
        if profiler is not None:
            profiler.stop()
        worker_side = worker_metrics()
    finally:
        for process in [*processes, server]:
            process.send_signal(signal.SIGTERM)
        for process in [*processes, server]:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    count = sum(len(seen) for seen in hits.values())
    late = lags(hits, start, devices, interval)
    if profiler is not None:
        print_top(profiler.files)
    return (
        f"{devices:>8}{interval:>9.0f}{count / window:>10.0f}"
        f"{count / (devices * window / interval):>9.2f}"
        f"{percentile(late, 0.5):>9.2f}{percentile(late, 0.99):>9.2f}"
        f"{worker_side['round_lag_p99_le']:>11.2f}{worker_side['latency_p99_le']:>12.3f}"
        f"{spent['worker'] / max(count, 1) * 1e3:>10.3f}{spent['worker'] / window:>9.2f}"
        f"{spent['server'] / max(count, 1) * 1e3:>10.3f}"
        f"   (logs: {log_dir})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", type=Path, help="record the worker with py-spy into DIR")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # the endpoint process
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve))
        return
    settings: Settings = isolated_settings(BENCH_ENV)
    preflight(settings)
    fresh_environment(settings)
    rows = [run(settings, n, args.interval, args.rounds, args.profile) for n in args.devices]
    print()
    print(
        f"{'devices':>8}{'every s':>9}{'probes/s':>10}{'kept':>9}{'lag p50':>9}"
        f"{'lag p99':>9}{'round p99≤':>11}{'probe p99≤':>12}{'worker ms':>10}{'cores':>9}"
        f"{'server ms':>10}"
    )
    for row in rows:
        print(row)


if __name__ == "__main__":
    main()
