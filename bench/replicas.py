"""Replicas benchmark: device creation through the REST API (noop drivers, POST -> ACTIVE)
with one process per service, then with N processes per service (``make run``'s supervisor,
SERVICEVM_REPLICAS), in the same run.

    python -m bench.replicas [--devices 200] [--concurrency 20] [--replicas 2]

Each suite runs on a fresh database and vhost (the benchmark's own: SERVICEVM_BENCH_*), and
clients talk to the first api process. Every service queue has a single active consumer, so
extra replicas stand by on the bus: the figure shows what they cost (their idle work, the
leases) rather than a gain; the api's HTTP side is what scales with its replicas. Figures are
printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from bench.e2e_devices import BENCH_ENV, WARMUP, create_devices
from bench.rest import Run
from bench.stats import percentile
from shared.devstack import fresh_environment, isolated_settings
from shared.preflight import preflight
from shared.supervisor import Supervisor


def run_with(replicas: int, devices: int, concurrency: int) -> Run:
    env = {**BENCH_ENV, "SERVICEVM_REPLICAS": str(replicas)}
    settings = isolated_settings(env)
    fresh_environment(settings)
    log_dir = Path(tempfile.mkdtemp(prefix=f"servicevm-bench-replicas-{replicas}-"))
    suite = Supervisor(settings, env=env, log_dir=log_dir)
    try:
        suite.start()
        # Unmeasured, as in bench.e2e_devices: the steady state is compared, not the start.
        asyncio.run(create_devices(suite.url("api"), settings.amqp_url, WARMUP, concurrency))
        return asyncio.run(
            create_devices(suite.url("api"), settings.amqp_url, devices, concurrency)
        )
    finally:
        suite.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--replicas", type=int, default=2)
    args = parser.parse_args()
    preflight(isolated_settings(BENCH_ENV))
    runs = {n: run_with(n, args.devices, args.concurrency) for n in (1, args.replicas)}
    print(f"\n{'processes per service':<24}{'n':>6}{'per s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for n, run in runs.items():
        print(
            f"{n:<24}{run.count:>6}{run.rate:>10.1f}"
            f"{percentile(run.latencies, 0.5) * 1000:>10.1f}"
            f"{percentile(run.latencies, 0.99) * 1000:>10.1f}"
        )
    ratio = runs[args.replicas].rate / runs[1].rate
    print(f"\nthroughput {args.replicas} replicas / 1: {ratio:.2f}")


if __name__ == "__main__":
    main()
