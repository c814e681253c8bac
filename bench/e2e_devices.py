"""End-to-end benchmark: N devices created concurrently through the REST API (noop drivers),
timed from POST to ACTIVE, beside the floor of this machine for the same path.

    python -m bench.e2e_devices [--devices 500] [--concurrency 50] [--gets 2000] [--warmup 100]

It runs its own suite (database and vhost `servicevm_bench`, ports 29890-29893; override with
SERVICEVM_BENCH_DB_NAME, SERVICEVM_BENCH_AMQP_URL and SERVICEVM_BENCH_PORT_BASE so that two
benchmarks on one machine do not collide). ACTIVE is timed by the `device.active`
notification, which mgmt emits once lifecycle has recorded it. Besides throughput, it charges
each device the CPU time the four service processes spent (from /proc), which a busy
machine does not distort the way it does wall-clock figures. The suite and the floor each
run ``--warmup`` operations first, unmeasured: the figures are the steady state's, not a
fresh process's. Figures are printed, never asserted: targets belong in the issue note.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import counts, cpu
from bench.floor import run_floor
from bench.profiling import Profiler, print_top
from bench.rest import HEADERS, PostOne, Run, time_until_notified
from bench.stats import percentile
from shared.config import Settings
from shared.devstack import Suite, fresh_environment, isolated_settings
from shared.preflight import preflight


def bench_env(db_name: str, port_base: int) -> dict[str, str]:
    """A benchmark suite's environment: its own database and vhost, four ports from
    ``port_base`` (SERVICEVM_BENCH_AMQP_URL overrides the vhost's URL)."""
    return {
        "SERVICEVM_DB_NAME": db_name,
        "SERVICEVM_AMQP_URL": os.environ.get(
            "SERVICEVM_BENCH_AMQP_URL", f"amqp://guest:guest@127.0.0.1:5672/{db_name}"
        ),
        "SERVICEVM_API_PORT": str(port_base),
        "SERVICEVM_SCHEDULER_PORT": str(port_base + 1),
        "SERVICEVM_LIFECYCLE_PORT": str(port_base + 2),
        "SERVICEVM_MGMT_PORT": str(port_base + 3),
        "SERVICEVM_LOG_LEVEL": "WARNING",
        # Throughput of one project's writes is what is measured: no per-project write limit.
        "SERVICEVM_WRITE_RATE_LIMIT": "0",
    }


_DB_NAME = os.environ.get("SERVICEVM_BENCH_DB_NAME", "servicevm_bench")
_PORT_BASE = int(os.environ.get("SERVICEVM_BENCH_PORT_BASE", "29890"))
BENCH_ENV = bench_env(_DB_NAME, _PORT_BASE)

# The services' CPU while idle (pollers, timers) is measured this long before the run.
IDLE_SECONDS = 3.0
# Devices created (and the floor's operations run) before the measured run, not counted: a
# fresh process prepares each statement once per pooled connection, fills its caches and
# grows its pool in its first few hundred requests (≈ 1.3 ms of CPU per device over the
# first 300, measured), a cost of starting, not of the path. The benchmark measures the
# steady state an operator's running suite is in.
WARMUP = 100


async def create_devices(
    api_url: str | list[str], amqp_url: str, count: int, concurrency: int
) -> Run:
    async def setup(client: httpx.AsyncClient) -> PostOne:
        template = await client.post(
            "/v1.0/device_templates",
            json={
                "device_template": {"name": "bench", "device_driver": "noop", "mgmt_driver": "noop"}
            },
        )
        # The devices are posted at once: a device whose command reaches lifecycle before
        # its template's (another replica, a requeue) waits for it (shared/messaging/not_yet.py).
        template_id = template.json()["device_template"]["id"]

        async def post(client: httpx.AsyncClient) -> str:
            response = await client.post(
                "/v1.0/devices", json={"device": {"template_id": template_id}}
            )
            response.raise_for_status()
            return str(response.json()["device"]["id"])

        return post

    return await time_until_notified(
        api_url,
        amqp_url,
        routing_key="device.active",
        id_field="device_id",
        count=count,
        concurrency=concurrency,
        setup=setup,
    )


def get_latencies(api_url: str, device_ids: list[str], requests: int) -> list[float]:
    """Sequential GETs on an idle suite, one keep-alive connection."""
    latencies: list[float] = []
    with httpx.Client(base_url=api_url, headers=HEADERS) as client:
        for i in range(requests):
            started = time.perf_counter()
            response = client.get(f"/v1.0/devices/{device_ids[i % len(device_ids)]}")
            latencies.append(time.perf_counter() - started)
            response.raise_for_status()
    return latencies


def device_ids(api_url: str) -> list[str]:
    with httpx.Client(base_url=api_url, headers=HEADERS) as client:
        return [
            d["id"]
            for d in client.get("/v1.0/devices", params={"fields": "id", "limit": 1000}).json()[
                "devices"
            ]
        ]


@dataclass
class Work:
    """Transactions and handler runs during the run (bench.counts)."""

    transactions: int
    handled: dict[str, int]


def report(
    suite_run: Run,
    floor_run: Run,
    gets: list[float],
    suite_cpu: dict[str, float],
    floor_cpu: float,
    idle_cpu: float,
    run_seconds: float,
    work: Work,
) -> None:
    ms = 1000.0

    def row(name: str, run: Run) -> str:
        return (
            f"{name:<34}{run.count:>7}{run.rate:>12.1f}"
            f"{percentile(run.latencies, 0.5) * ms:>11.1f}{percentile(run.latencies, 0.99) * ms:>11.1f}"
        )

    print()
    print(f"{'path':<34}{'n':>7}{'per s':>12}{'p50 ms':>11}{'p99 ms':>11}")
    print(row("servicevm POST -> ACTIVE", suite_run))
    print(row("floor (pg commit + 4 amqp hops)", floor_run))
    print(
        f"\nthroughput ratio servicevm / floor: {suite_run.rate / floor_run.rate:.2f}  (target >= 0.50)"
    )
    print(
        f"GET /v1.0/devices/{{id}} x{len(gets)} idle: p50 {percentile(gets, 0.5) * ms:.2f} ms,"
        f" p99 {percentile(gets, 0.99) * ms:.2f} ms  (target p99 < 10 ms)"
    )
    per_device = {name: seconds * ms / suite_run.count for name, seconds in suite_cpu.items()}
    total = sum(per_device.values())
    floor_per_op = floor_cpu * ms / floor_run.count
    print(
        f"CPU per device, services' processes: {total:.1f} ms"
        f"  ({', '.join(f'{name} {value:.1f}' for name, value in per_device.items())})"
    )
    idle_share = idle_cpu * run_seconds * ms / suite_run.count
    print(
        f"  of which the services' idle work (timers, pollers: {idle_cpu * ms:.1f} ms per second"
        f" when idle) over the run: {idle_share:.1f} ms"
    )
    print(
        f"per device: {work.transactions / suite_run.count:.1f} transactions,"
        f" {sum(work.handled.values()) / suite_run.count:.1f} handler runs"
        f"  ({', '.join(f'{name} {n / suite_run.count:.1f}' for name, n in work.handled.items())})"
    )
    print(
        f"CPU per operation, floor (one process): {floor_per_op:.1f} ms"
        f"  -> servicevm / floor CPU: {total / floor_per_op:.1f}x"
    )


@dataclass
class DeviceFigures:
    suite_run: Run
    floor_run: Run
    gets: list[float]
    suite_cpu: dict[str, float]  # by service, its replicas summed
    # By process: "lifecycle" is replica 0's, "lifecycle#1" the second's.
    process_cpu: dict[str, float]
    floor_cpu: float
    idle_cpu: float
    run_seconds: float
    work: Work
    log_dir: Path
    profiles: dict[str, Path]

    def cpu_per_device_ms(self) -> float:
        return sum(self.suite_cpu.values()) * 1000.0 / self.suite_run.count

    def floor_cpu_per_op_ms(self) -> float:
        return self.floor_cpu * 1000.0 / self.floor_run.count

    def other_replicas_cpu_ms(self) -> dict[str, float]:
        """CPU per device of the processes beyond replica 0's. Each queue has one active
        consumer (replica 0's, started first), so what they spend is the second api's share
        of the HTTP requests and the standby processes' timers and pollers: a cost per
        second of the run, not per device."""
        return {
            name: seconds * 1000.0 / self.suite_run.count
            for name, seconds in self.process_cpu.items()
            if "#" in name
        }


def replica_env(index: int) -> dict[str, str]:
    """The bench's environment for replica ``index`` (0: the first): same database and
    vhost, ports of its own."""
    if index == 0:
        return dict(BENCH_ENV)
    base = _PORT_BASE + 4 * index
    names = ("API", "SCHEDULER", "LIFECYCLE", "MGMT")
    return {**BENCH_ENV, **{f"SERVICEVM_{n}_PORT": str(base + i) for i, n in enumerate(names)}}


def _by_service(values: dict[str, float]) -> dict[str, float]:
    summed: dict[str, float] = {}
    for key, value in values.items():
        service = key.split("#")[0]
        summed[service] = summed.get(service, 0.0) + value
    return summed


def measure(
    devices: int,
    concurrency: int,
    gets: int,
    *,
    replicas: int = 1,
    profile: Path | None = None,
    warmup: int = WARMUP,
) -> DeviceFigures:
    """Start the suite (``replicas`` processes of every service), create ``warmup`` devices
    unmeasured, then the measured ones; then run the floor the same way (its own warm-up,
    then the same count and concurrency)."""
    settings: Settings = isolated_settings(BENCH_ENV)
    preflight(settings)
    fresh_environment(settings)
    log_dir = Path(tempfile.mkdtemp(prefix="servicevm-bench-"))
    suites = [
        Suite(isolated_settings(replica_env(i)), env=replica_env(i), log_dir=log_dir / f"r{i}")
        for i in range(replicas)
    ]
    profiler: Profiler | None = None
    try:
        for suite in suites:
            suite.start()
        api_urls = [suite.url("api") for suite in suites]
        if warmup:
            asyncio.run(create_devices(api_urls, settings.amqp_url, warmup, concurrency))
        pids: dict[str, int] = {}
        urls: dict[str, str] = {}
        for i, suite in enumerate(suites):
            for name, process in suite.processes.items():
                key = name if i == 0 else f"{name}#{i}"
                pids[key], urls[key] = process.pid, suite.url(name)
        profiler = Profiler(profile, pids) if profile else None
        idle = cpu.snapshot(pids)
        time.sleep(IDLE_SECONDS)
        cpu_before = cpu.snapshot(pids)
        idle_cpu = sum(cpu.spent(idle, cpu_before).values()) / IDLE_SECONDS
        admin_dsn = settings.db_admin_url
        handled_before = counts.handled(urls)
        xacts_before = counts.transactions(admin_dsn, settings.db_name)
        run_began = time.perf_counter()
        try:
            suite_run = asyncio.run(
                create_devices(api_urls, settings.amqp_url, devices, concurrency)
            )
            process_cpu = cpu.spent(cpu_before, cpu.snapshot(pids))
            run_seconds = time.perf_counter() - run_began
        finally:
            if profiler is not None:
                profiler.stop()
        time.sleep(counts.STATS_DELAY)
        handled = {key: after - handled_before[key] for key, after in counts.handled(urls).items()}
        work = Work(
            counts.transactions(admin_dsn, settings.db_name) - xacts_before,
            {k: int(v) for k, v in _by_service({k: float(n) for k, n in handled.items()}).items()},
        )
        time.sleep(1.0)  # let the projections settle: the GETs are measured idle
        latencies = get_latencies(api_urls[0], device_ids(api_urls[0]), gets)
    finally:
        for suite in suites:
            suite.stop()
    floor_dsn = settings.db_admin_url.rsplit("/", 1)[0] + f"/{settings.db_name}"
    if warmup:
        asyncio.run(
            run_floor(
                dsn=floor_dsn, amqp_url=settings.amqp_url, count=warmup, concurrency=concurrency
            )
        )
    floor_began = time.process_time()
    floor = asyncio.run(
        run_floor(dsn=floor_dsn, amqp_url=settings.amqp_url, count=devices, concurrency=concurrency)
    )
    return DeviceFigures(
        suite_run=suite_run,
        floor_run=Run(floor.count, floor.seconds, floor.latencies),
        gets=latencies,
        suite_cpu=_by_service(process_cpu),
        process_cpu=process_cpu,
        floor_cpu=time.process_time() - floor_began,
        idle_cpu=idle_cpu,
        run_seconds=run_seconds,
        work=work,
        log_dir=log_dir,
        profiles=profiler.files if profiler is not None else {},
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--gets", type=int, default=2000)
    parser.add_argument("--replicas", type=int, default=1, help="processes of every service")
    parser.add_argument(
        "--warmup",
        type=int,
        default=WARMUP,
        help="devices created (and floor operations run) before the measured run, not counted",
    )
    parser.add_argument(
        "--profile", type=Path, default=None, help="py-spy profiles of the services into DIR"
    )
    args = parser.parse_args()
    figures = measure(
        args.devices,
        args.concurrency,
        args.gets,
        replicas=args.replicas,
        profile=args.profile,
        warmup=args.warmup,
    )
    report(
        figures.suite_run,
        figures.floor_run,
        figures.gets,
        figures.suite_cpu,
        figures.floor_cpu,
        figures.idle_cpu,
        figures.run_seconds,
        figures.work,
    )
    others = figures.other_replicas_cpu_ms()
    if others:
        print(
            f"CPU per device of the processes beyond replica 0's: {sum(others.values()):.1f} ms"
            f"  ({', '.join(f'{name} {value:.1f}' for name, value in others.items())})"
        )
    if figures.profiles:
        print_top(figures.profiles)
    print(f"(service logs: {figures.log_dir})")


if __name__ == "__main__":
    main()
