"""VNF benchmark: N VNFs of the ``simple`` sample package (noop drivers, 2 VNFCs each)
instantiated concurrently through /vnflcm/v1, each timed from POST instantiate to its op occ
COMPLETED; beside it, in the same run, the same number of devices as those VNFs have VNFCs
created through /v1.0/devices (POST -> ACTIVE).

    python -m bench.vnf_instantiate [--vnfs 200] [--concurrency 50] [--warmup 100]

It runs its own suite (database and vhost ``servicevm_bench_vnf``, ports 29990-29993; override
with SERVICEVM_BENCH_DB_NAME, SERVICEVM_BENCH_AMQP_URL and SERVICEVM_BENCH_PORT_BASE).
COMPLETED is timed by lifecycle's ``vnf_lcm_op_occ.changed`` event. Before either phase,
``--warmup`` devices and half as many VNFs run unmeasured (as in bench.e2e_devices: the
steady state is measured, not a fresh process's first statements). Figures are printed,
never asserted: the VNF path should cost no more than its devices do.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import aio_pika
import httpx

from bench import counts, cpu
from bench.e2e_devices import WARMUP, bench_env, create_devices
from bench.profiling import Profiler, print_top
from bench.rest import HEADERS, Run
from bench.stats import percentile
from shared.devstack import Suite, fresh_environment, isolated_settings
from shared.messaging.topology import EVENTS
from shared.preflight import preflight
from shared.vnfd.build import sample_package

# SERVICEVM_BENCH_DB_NAME, SERVICEVM_BENCH_AMQP_URL and SERVICEVM_BENCH_PORT_BASE keep two
# benchmarks on one machine apart, as for bench.e2e_devices.
_DB_NAME = os.environ.get("SERVICEVM_BENCH_DB_NAME", "servicevm_bench_vnf")
_PORT_BASE = int(os.environ.get("SERVICEVM_BENCH_PORT_BASE", "29990"))
BENCH_ENV = bench_env(_DB_NAME, _PORT_BASE)
PACKAGES = "/vnfpkgm/v1/vnf_packages"
INSTANCES = "/vnflcm/v1/vnf_instances"


def onboard(api_url: str) -> str:
    """The simple sample onboarded on noop drivers; its vnfdId."""
    with httpx.Client(base_url=api_url, headers=HEADERS, timeout=60) as client:
        user_data = {"device_driver": "noop", "mgmt_driver": "noop"}
        package = client.post(PACKAGES, json={"userDefinedData": user_data}).json()
        client.put(
            f"{PACKAGES}/{package['id']}/package_content",
            content=sample_package("simple"),
            headers={"Content-Type": "application/zip"},
        ).raise_for_status()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            shown = client.get(f"{PACKAGES}/{package['id']}").json()
            if shown["onboardingState"] == "ONBOARDED":
                return str(shown["vnfdId"])
            time.sleep(0.2)
    raise RuntimeError(f"package not onboarded: {shown}")


async def instantiate_vnfs(
    api_url: str, amqp_url: str, vnfd_id: str, count: int, concurrency: int
) -> Run:
    completed_at: dict[str, float] = {}
    all_done = asyncio.Event()
    connection = await aio_pika.connect_robust(amqp_url)
    async with (
        connection,
        httpx.AsyncClient(base_url=api_url, headers=HEADERS, timeout=60) as client,
    ):
        channel = await connection.channel()
        exchange = await channel.declare_exchange(EVENTS, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(exchange, routing_key="vnf_lcm_op_occ.changed")

        async def on_event(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            async with message.process():
                op = json.loads(message.body)["payload"]["op_occ"]
                if op["operation_state"] == "COMPLETED" and op["operation"] == "INSTANTIATE":
                    completed_at.setdefault(op["id"], time.perf_counter())
                    if len(completed_at) >= count:
                        all_done.set()

        await queue.consume(on_event)
        limit = asyncio.Semaphore(concurrency)
        vnf_ids = await asyncio.gather(*(create(client, vnfd_id, limit) for _ in range(count)))
        posted_at: dict[str, float] = {}

        async def instantiate(vnf_id: str) -> None:
            async with limit:
                started = time.perf_counter()
                response = await client.post(
                    f"{INSTANCES}/{vnf_id}/instantiate", json={"flavourId": "simple"}
                )
                response.raise_for_status()
                posted_at[response.headers["Location"].rsplit("/", 1)[1]] = started

        began = time.perf_counter()
        await asyncio.gather(*(instantiate(vnf_id) for vnf_id in vnf_ids))
        await asyncio.wait_for(all_done.wait(), timeout=900)
        elapsed = max(completed_at.values()) - began
    return Run(count, elapsed, [completed_at[i] - posted_at[i] for i in posted_at])


async def create(client: httpx.AsyncClient, vnfd_id: str, limit: asyncio.Semaphore) -> str:
    async with limit:
        response = await client.post(INSTANCES, json={"vnfdId": vnfd_id})
        response.raise_for_status()
        return str(response.json()["id"])


def report(vnfs: Run, devices: Run) -> None:
    ms = 1000.0

    def row(name: str, run: Run) -> str:
        return (
            f"{name:<40}{run.count:>7}{run.rate:>10.1f}"
            f"{percentile(run.latencies, 0.5) * ms:>11.1f}{percentile(run.latencies, 0.99) * ms:>11.1f}"
        )

    print()
    print(f"{'path':<40}{'n':>7}{'per s':>10}{'p50 ms':>11}{'p99 ms':>11}")
    print(row("VNF instantiate POST -> COMPLETED", vnfs))
    print(row("device POST -> ACTIVE (same run)", devices))
    vnfc_rate = vnfs.rate * 2  # the simple flavour's default level: VDU1 + VDU2
    print(
        f"\nVNFCs per second through /vnflcm: {vnfc_rate:.1f}; devices per second through "
        f"/v1.0: {devices.rate:.1f}; ratio {vnfc_rate / devices.rate:.2f} (target >= 1.0)"
    )


def report_cpu(
    device_cpu: dict[str, float], devices: int, vnf_cpu: dict[str, float], vnfs: int
) -> None:
    """CPU ms per device and per VNFC, by service: unlike rates, not skewed by whatever
    else the machine runs. A VNFC costs its device plus its share of the op occ."""
    vnfcs = vnfs * 2
    print(f"\n{'CPU ms':<12}{'per device':>12}{'per VNFC':>12}")
    for name in device_cpu:
        print(
            f"{name:<12}{device_cpu[name] * 1000 / devices:>12.1f}{vnf_cpu[name] * 1000 / vnfcs:>12.1f}"
        )
    per_device = sum(device_cpu.values()) * 1000 / devices
    per_vnfc = sum(vnf_cpu.values()) * 1000 / vnfcs
    print(
        f"{'total':<12}{per_device:>12.1f}{per_vnfc:>12.1f}  (VNFC / device {per_vnfc / per_device:.2f})"
    )


@dataclass(frozen=True)
class Work:
    """Transactions in the database and messages handled by service and type, so far."""

    transactions: int
    handled: dict[tuple[str, str], int]

    @classmethod
    def now(cls, urls: Mapping[str, str], admin_dsn: str, db_name: str) -> Work:
        time.sleep(counts.STATS_DELAY)  # pg_stat_database lags up to a second
        return cls(counts.transactions(admin_dsn, db_name), counts.handled_by_type(urls))

    def __sub__(self, before: Work) -> Work:
        return Work(
            self.transactions - before.transactions,
            counts.difference(before.handled, self.handled),
        )


def report_work(devices: Work, device_count: int, vnfs: Work, vnf_count: int) -> None:
    """Where a VNFC's cost beyond its device's comes from: transactions and handler runs,
    per device and per VNFC, by service and message type (these do not move with load)."""
    vnfcs = vnf_count * 2
    print(f"\n{'work':<52}{'per device':>12}{'per VNFC':>12}")
    print(
        f"{'transactions':<52}{devices.transactions / device_count:>12.2f}"
        f"{vnfs.transactions / vnfcs:>12.2f}"
    )
    for key in sorted(set(devices.handled) | set(vnfs.handled)):
        name = f"{key[0]}: {key[1]}"
        print(
            f"{name:<52}{devices.handled.get(key, 0) / device_count:>12.2f}"
            f"{vnfs.handled.get(key, 0) / vnfcs:>12.2f}"
        )
    print(
        f"{'handler runs, all':<52}{sum(devices.handled.values()) / device_count:>12.2f}"
        f"{sum(vnfs.handled.values()) / vnfcs:>12.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--vnfs", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--warmup",
        type=int,
        default=WARMUP,
        help="devices (and half as many VNFs) run before the measured phases, not counted",
    )
    parser.add_argument(
        "--profile", type=Path, default=None, help="py-spy profiles of the VNF phase into DIR"
    )
    args = parser.parse_args()
    settings = isolated_settings(BENCH_ENV)
    preflight(settings)
    fresh_environment(settings)
    log_dir = Path(tempfile.mkdtemp(prefix="servicevm-bench-vnf-"))
    suite = Suite(settings, env=BENCH_ENV, log_dir=log_dir)
    try:
        suite.start()
        api_url = suite.url("api")
        vnfd_id = onboard(api_url)
        if args.warmup >= 2:
            asyncio.run(create_devices(api_url, settings.amqp_url, args.warmup, args.concurrency))
            asyncio.run(
                instantiate_vnfs(
                    api_url, settings.amqp_url, vnfd_id, args.warmup // 2, args.concurrency
                )
            )
        pids: dict[str, int] = {name: p.pid for name, p in suite.processes.items()}
        # Devices first: their device.active notifications are then all of this phase's.
        urls: dict[str, str] = {name: suite.url(name) for name in suite.processes}
        admin_dsn = settings.db_admin_url
        work_before = Work.now(urls, admin_dsn, settings.db_name)
        before = cpu.snapshot(pids)
        devices = asyncio.run(
            create_devices(api_url, settings.amqp_url, args.vnfs * 2, args.concurrency)
        )
        between = cpu.snapshot(pids)
        work_between = Work.now(urls, admin_dsn, settings.db_name)
        vnfs_began = cpu.snapshot(pids)  # the idle second Work.now waits is in neither phase
        # Profiled (py-spy) during the VNF phase only: what a VNF costs beyond its devices.
        profiler = Profiler(args.profile, pids) if args.profile else None
        try:
            vnfs = asyncio.run(
                instantiate_vnfs(api_url, settings.amqp_url, vnfd_id, args.vnfs, args.concurrency)
            )
        finally:
            if profiler is not None:
                profiler.stop()
        after = cpu.snapshot(pids)
        work_after = Work.now(urls, admin_dsn, settings.db_name)
    finally:
        suite.stop()
    report(vnfs, devices)
    report_cpu(cpu.spent(before, between), devices.count, cpu.spent(vnfs_began, after), vnfs.count)
    report_work(work_between - work_before, devices.count, work_after - work_between, vnfs.count)
    if profiler is not None:
        print_top(profiler.files)
    print(f"(service logs: {log_dir})")


if __name__ == "__main__":
    main()
