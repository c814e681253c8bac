"""End-to-end benchmark: N devices created concurrently through the REST API (noop drivers),
timed from POST to ACTIVE, beside the floor of this machine for the same path.

    python -m bench.e2e_devices [--devices 500] [--concurrency 50] [--gets 2000]

It runs its own suite (database and vhost `servicevm_bench`, ports 29890-29893). ACTIVE is
timed by the `device.active` notification, which mgmt emits once lifecycle has recorded it.
Figures are printed, never asserted: targets belong in the issue note.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import httpx

from bench.floor import run_floor
from bench.rest import HEADERS, PostOne, Run, time_until_notified
from bench.stats import percentile
from shared.config import Settings
from shared.devstack import Suite, fresh_environment, isolated_settings
from shared.preflight import preflight

BENCH_ENV = {
    "SERVICEVM_DB_NAME": "servicevm_bench",
    "SERVICEVM_AMQP_URL": "amqp://guest:guest@127.0.0.1:5672/servicevm_bench",
    "SERVICEVM_API_PORT": "29890",
    "SERVICEVM_SCHEDULER_PORT": "29891",
    "SERVICEVM_LIFECYCLE_PORT": "29892",
    "SERVICEVM_MGMT_PORT": "29893",
    "SERVICEVM_LOG_LEVEL": "WARNING",
    # Throughput of one project's writes is what is measured: no per-project write limit.
    "SERVICEVM_WRITE_RATE_LIMIT": "0",
}


async def create_devices(api_url: str, amqp_url: str, count: int, concurrency: int) -> Run:
    async def setup(client: httpx.AsyncClient) -> PostOne:
        template = await client.post(
            "/v1.0/device_templates",
            json={
                "device_template": {"name": "bench", "device_driver": "noop", "mgmt_driver": "noop"}
            },
        )
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


def report(suite_run: Run, floor_run: Run, gets: list[float]) -> None:
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--gets", type=int, default=2000)
    args = parser.parse_args()

    settings: Settings = isolated_settings(BENCH_ENV)
    preflight(settings)
    fresh_environment(settings)
    log_dir = Path(tempfile.mkdtemp(prefix="servicevm-bench-"))
    suite = Suite(settings, env=BENCH_ENV, log_dir=log_dir)
    try:
        suite.start()
        api_url = suite.url("api")
        suite_run = asyncio.run(
            create_devices(api_url, settings.amqp_url, args.devices, args.concurrency)
        )
        time.sleep(1.0)  # let the projections settle: the GETs are measured idle
        gets = get_latencies(api_url, device_ids(api_url), args.gets)
    finally:
        suite.stop()
    floor = asyncio.run(
        run_floor(
            dsn=settings.db_admin_url.rsplit("/", 1)[0] + f"/{settings.db_name}",
            amqp_url=settings.amqp_url,
            count=args.devices,
            concurrency=args.concurrency,
        )
    )
    report(suite_run, Run(floor.count, floor.seconds, floor.latencies), gets)
    print(f"(service logs: {log_dir})")


if __name__ == "__main__":
    main()
