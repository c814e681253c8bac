"""Notification delivery benchmark: HTTP subscriptions (/v1.0/subscriptions) to a fast local
receiver (``bench.receiver``, its own process), while devices are created through the REST
API; each notification is POSTed by mgmt to every subscriber.

    python -m bench.notifications [--subscribers 100] [--devices 50] [--concurrency 10]
                                  [--quiet-devices 5] [--profile DIR]

Prints deliveries per second (from the first state change to the last delivery) and the
latency each delivery added to its state change (the notification's ``timestamp`` to its
arrival at the receiver), p50 / p99, for the burst (a backlog builds up) and for devices
created one at a time afterwards (no backlog), beside a same-run floor: the same bodies POSTed to the
same receiver by a bare httpx client with mgmt's concurrency. Then a subscriber that was away
replays the run's notifications from the stream (servicevm.notifications.stream) by
timestamp, timed. Same database, vhost and port variables as ``bench.e2e_devices``; the
receiver listens on the port base + 9. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.e2e_devices import _PORT_BASE, BENCH_ENV
from bench.profiling import Profiler, print_top
from bench.rest import HEADERS
from bench.stats import percentile
from servicevm_cli.replay import Replay
from shared.devstack import Suite, fresh_environment, isolated_settings
from shared.preflight import preflight

ENV = {**BENCH_ENV, "SERVICEVM_ALLOW_PRIVATE_CALLBACKS": "true"}
RECEIVER_PORT = _PORT_BASE + 9
RECEIVER = f"http://127.0.0.1:{RECEIVER_PORT}"
Body = dict[str, Any]


@dataclass
class Delivery:
    path: str
    arrived: float
    notification: Body

    @property
    def latency(self) -> float:
        return self.arrived - datetime.fromisoformat(self.notification["timestamp"]).timestamp()


def start_receiver(log_dir: Path) -> subprocess.Popen[bytes]:
    with (log_dir / "receiver.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.receiver", "--port", str(RECEIVER_PORT)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{RECEIVER}/count", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the receiver did not start (see {log_dir / 'receiver.log'})")


def arrived() -> int:
    return int(httpx.get(f"{RECEIVER}/count", timeout=10).text)


def wait_for_arrivals(at_least: int, *, quiet: float = 2.0, timeout: float = 600) -> None:
    """Until ``at_least`` POSTs arrived and then nothing more for ``quiet`` seconds."""
    deadline = time.monotonic() + timeout
    last, last_change = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = arrived()
        if count != last:
            last, last_change = count, time.monotonic()
        elif count >= at_least and time.monotonic() - last_change >= quiet:
            return
        time.sleep(0.2)
    raise RuntimeError(f"{last} deliveries arrived, expected at least {at_least}")


def results() -> list[Delivery]:
    text = httpx.get(f"{RECEIVER}/results", timeout=120).text
    return [Delivery(**json.loads(line)) for line in text.splitlines() if line]


def subscribe(client: httpx.Client, subscribers: int) -> None:
    for i in range(subscribers):
        body = {"subscription": {"callback_uri": f"{RECEIVER}/subscriber/{i}"}}
        client.post("/v1.0/subscriptions", json=body).raise_for_status()
    # Subscriptions take effect once mgmt has recorded them: a template's notification
    # reaching every subscriber says they all have.
    client.post(
        "/v1.0/device_templates",
        json={"device_template": {"name": "bench", "device_driver": "noop", "mgmt_driver": "noop"}},
    ).raise_for_status()
    wait_for_arrivals(subscribers, quiet=0.5)


async def create_devices(api_url: str, template_id: str, count: int, concurrency: int) -> None:
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=api_url, headers=HEADERS, timeout=60) as client:

        async def one() -> None:
            async with limit:
                body = {"device": {"template_id": template_id}}
                (await client.post("/v1.0/devices", json=body)).raise_for_status()

        await asyncio.gather(*(one() for _ in range(count)))


async def floor(bodies: list[bytes], concurrency: int) -> float:
    """POSTs per second of a bare client sending the same bodies to the same receiver."""
    queue = list(enumerate(bodies))
    headers = {"Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=RECEIVER, timeout=30) as client:

        async def worker() -> None:
            while queue:
                i, body = queue.pop()
                (
                    await client.post(f"/floor/{i % 100}", content=body, headers=headers)
                ).raise_for_status()

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return len(bodies) / (time.perf_counter() - began)


def one_at_a_time(api_url: str, template_id: str, devices: int, subscribers: int) -> list[Delivery]:
    """Devices created one after the other, each once every delivery of the last arrived:
    the latency a delivery adds without a backlog ahead of it."""
    first = arrived()
    with httpx.Client(base_url=api_url, headers=HEADERS, timeout=60) as client:
        for _ in range(devices):
            mark = arrived()
            body = {"device": {"template_id": template_id}}
            client.post("/v1.0/devices", json=body).raise_for_status()
            wait_for_arrivals(mark + 2 * subscribers, quiet=0.5)
    return [d for d in results()[first:] if d.path.startswith("/subscriber/")]


def out_of_order(deliveries: list[Delivery]) -> int:
    """Deliveries that reached their subscriber before an earlier change of the same device."""
    seen: dict[tuple[str, str], datetime] = {}
    late = 0
    for delivery in sorted(deliveries, key=lambda d: d.arrived):
        key = (delivery.path, delivery.notification["resource_id"])
        at = datetime.fromisoformat(delivery.notification["timestamp"])
        late += key in seen and at < seen[key]
        seen[key] = max(at, seen.get(key, at))
    return late


def replay_seconds(amqp_url: str, since: datetime, expected: int) -> tuple[int, float]:
    got: list[Body] = []
    replay = Replay(
        amqp_url=amqp_url,
        start=since,
        accept=lambda body: body.get("tenant_id") == HEADERS["X-Project-Id"],
        emit=lambda _offset, body: got.append(body),
        idle_seconds=5.0,
    )
    began = time.perf_counter()
    asyncio.run(replay.run(count=expected))
    return len(got), time.perf_counter() - began


def report(
    deliveries: list[Delivery],
    unloaded: list[Delivery],
    subscribers: int,
    floor_rate: float,
    replayed: tuple[int, float],
) -> None:
    ms = 1000.0
    first_change = min(datetime.fromisoformat(d.notification["timestamp"]) for d in deliveries)
    window = max(d.arrived for d in deliveries) - first_change.timestamp()
    rate = len(deliveries) / window
    latencies = [d.latency for d in deliveries]
    notifications = len({d.notification["id"] for d in deliveries})
    copies: dict[tuple[str, str], int] = defaultdict(int)
    for d in deliveries:
        copies[(d.path, d.notification["id"])] += 1
    duplicates = sum(n - 1 for n in copies.values())
    print()
    print(
        f"{notifications} notifications x {subscribers} subscribers: {len(deliveries)} deliveries"
    )
    print(f"{'path':<40}{'per s':>10}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    print(
        f"{'state change -> HTTP delivery':<40}{rate:>10.1f}"
        f"{percentile(latencies, 0.5) * ms:>10.1f}{percentile(latencies, 0.99) * ms:>10.1f}"
        f"{max(latencies) * ms:>10.1f}"
    )
    quiet = [d.latency for d in unloaded]
    print(
        f"{'the same, one device at a time':<40}{'':>10}"
        f"{percentile(quiet, 0.5) * ms:>10.1f}{percentile(quiet, 0.99) * ms:>10.1f}"
        f"{max(quiet, default=float('nan')) * ms:>10.1f}"
    )
    print(f"{'floor: bare httpx POSTs, same receiver':<40}{floor_rate:>10.1f}")
    print(f"\ndelivery rate / floor: {rate / floor_rate:.2f}")
    print(
        f"duplicates: {duplicates}, out of order per subscriber and device: {out_of_order(deliveries)}"
    )
    count, seconds = replayed
    print(f"stream replay by timestamp of the run's notifications: {count} in {seconds:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=10, help="device POSTs at once")
    parser.add_argument(
        "--quiet-devices", type=int, default=5, help="then created one at a time, for latency"
    )
    parser.add_argument(
        "--profile", type=Path, default=None, help="py-spy profile of mgmt in the burst, into DIR"
    )
    args = parser.parse_args()

    settings = isolated_settings(ENV)
    preflight(settings)
    fresh_environment(settings)
    log_dir = Path(tempfile.mkdtemp(prefix="servicevm-bench-notifications-"))
    suite = Suite(settings, env=ENV, log_dir=log_dir)
    receiver = start_receiver(log_dir)
    try:
        suite.start()
        api_url = suite.url("api")
        with httpx.Client(base_url=api_url, headers=HEADERS, timeout=60) as client:
            subscribe(client, args.subscribers)
            template = client.get("/v1.0/device_templates").json()["device_templates"][0]
        warmed = arrived()
        since = datetime.now(UTC)
        pids = {"mgmt": suite.processes["mgmt"].pid}
        profiler = Profiler(args.profile, pids) if args.profile else None
        try:
            asyncio.run(create_devices(api_url, template["id"], args.devices, args.concurrency))
            # Each device: pending_create and active, to every subscriber.
            wait_for_arrivals(warmed + 2 * args.devices * args.subscribers)
        finally:
            if profiler is not None:
                profiler.stop()
        deliveries = [d for d in results()[warmed:] if d.path.startswith("/subscriber/")]
        unloaded = one_at_a_time(api_url, template["id"], args.quiet_devices, args.subscribers)
        bodies = [json.dumps(d.notification).encode() for d in deliveries]
        floor_rate = asyncio.run(floor(bodies, settings.delivery_concurrency))
        notifications = len({d.notification["id"] for d in deliveries})
        replayed = replay_seconds(settings.amqp_url, since, notifications)
    finally:
        suite.stop()
        receiver.terminate()
        try:
            receiver.wait(timeout=10)
        except subprocess.TimeoutExpired:
            receiver.kill()
            receiver.wait()
    report(deliveries, unloaded, args.subscribers, floor_rate, replayed)
    if profiler is not None:
        print_top(profiler.files)
    print(f"(service logs: {log_dir})")


if __name__ == "__main__":
    main()
