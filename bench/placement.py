"""Placement benchmark: the scheduler placing service instances among 10,000 devices that
already hold 100,000 instances, and service instance create -> ACTIVE through the REST API.

    python -m bench.placement [--devices 10000] [--placed 100000] [--placements 2000]
                              [--concurrency 8] [--instances 500]

Part 1 seeds the scheduler's schema directly (devices half at 15 of 20 slots, half at 5)
and times the scheduler's own placement transaction (insert, choose, reserve, bind, outbox
rows), then create commands as the scheduler's process handles them (parsed, batched with
the creates that arrive together, inbox rows included), beside a floor measured in the same
run: the bare SQL of one placement (insert the instance, reserve one slot on one indexed
device, insert the binding) over asyncpg. All run on the event loop the scheduler's
process runs on (uvicorn picks uvloop).
Part 2 runs the whole suite and times POST /v1.0/service_instances -> the
`service_instance.active` notification (after 100 unmeasured ones), with the CPU each
service's process spent and the messages each handled, per instance. Figures are printed,
never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from uvicorn.loops.auto import auto_loop_factory

from bench import counts, cpu
from bench.cpu import PostgresCpu
from bench.e2e_devices import BENCH_ENV
from bench.profiling import Profiler, print_top
from bench.rest import PostOne, Run, time_until_notified
from bench.stats import percentile
from servicevm_scheduler.adapters.orm import outbox as scheduler_outbox
from servicevm_scheduler.adapters.scheduling import scheduling
from servicevm_scheduler.bootstrap import DEFINITION
from servicevm_scheduler.domain.model import ServiceInstance
from servicevm_scheduler.handlers import HANDLERS
from servicevm_scheduler.service_layer.placing import place_new
from shared.config import Settings
from shared.contracts import commands
from shared.contracts.envelope import Envelope
from shared.db.raw import OutboxSql
from shared.db.relay_wakeup import relay_here
from shared.devstack import Suite, fresh_environment, isolated_settings
from shared.messaging.dispatch import Dispatcher
from shared.preflight import preflight
from shared.runtime import batching_dispatcher, build_store

CAPACITY = 20

# --- part 1: the scheduler among many devices ---------------------------------------------


async def seed(dsn: str, devices: int, placed: int) -> uuid.UUID:
    """One template, ``devices`` ACTIVE devices on 500 hosts, ``placed`` instances bound:
    the first half of the devices at 15 slots used, the other half at 5 (for 100k on 10k)."""
    template_id, service_type_id = uuid.uuid4(), uuid.uuid4()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO scheduler.templates VALUES ($1, 'bench', $2::jsonb, $3::jsonb, $4)",
            template_id,
            json.dumps([{"id": str(service_type_id), "service_type": "firewall"}]),
            json.dumps({"slot_capacity": str(CAPACITY)}),
            CAPACITY,
        )
        await conn.execute(
            "INSERT INTO scheduler.service_types VALUES ($1, $2, 'firewall')",
            service_type_id,
            template_id,
        )
        await conn.execute(
            """INSERT INTO scheduler.devices
                 (id, tenant_id, template_id, status, slot_capacity, host, availability_zone,
                  revision, idle_since)
               SELECT gen_random_uuid(), 'bench', $1, 'ACTIVE', $2, 'host-' || (g % 500),
                      'az-' || (g % 3), 1, NULL
               FROM generate_series(1, $3) g""",
            template_id,
            CAPACITY,
            devices,
        )
        half = placed // 2
        await conn.execute(
            """WITH inst AS (
                 INSERT INTO scheduler.service_instances
                   (id, tenant_id, name, service_type_id, service_contexts, requested_devices,
                    kwargs, managed_by_user, status, revision)
                 SELECT gen_random_uuid(), 'tenant-' || (g % 100), '', $1, '[]', '[]', '{}',
                        false, 'ACTIVE', 2
                 FROM generate_series(1, $2) g
                 RETURNING id),
               numbered AS (SELECT id, row_number() OVER () - 1 AS n FROM inst),
               slots AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k
                         FROM scheduler.devices)
               INSERT INTO scheduler.bindings (service_instance_id, device_id, slots, position)
               SELECT numbered.id, slots.id, 1, 0
               FROM numbered JOIN slots ON slots.k = CASE
                 WHEN numbered.n < $3 THEN numbered.n % $4
                 ELSE numbered.n % ($4 / 2) END""",
            service_type_id,
            placed,
            half,
            devices,
        )
        await conn.execute(
            """UPDATE scheduler.devices d SET slots_used = b.used
               FROM (SELECT device_id, count(*) AS used FROM scheduler.bindings
                     GROUP BY device_id) b
               WHERE b.device_id = d.id"""
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return service_type_id


async def timed(count: int, concurrency: int, one: Callable[[int], Awaitable[None]]) -> Run:
    latencies: list[float] = []
    next_index = iter(range(count))

    async def worker() -> None:
        for index in next_index:
            started = time.perf_counter()
            await one(index)
            latencies.append(time.perf_counter() - started)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Run(count=count, seconds=time.perf_counter() - began, latencies=latencies)


async def scheduler_placements(
    settings: Settings, service_type_id: uuid.UUID, count: int, concurrency: int, ha_every: int
) -> Run:
    """The scheduler's placement transaction, as its handler runs it (minus the bus). Its
    commits wake the relay in memory, as in a scheduler process, where the relay runs (its
    publishing is not measured here, as the floor's rows are not published either)."""
    store = build_store(DEFINITION, settings)

    async def place_one(index: int) -> None:
        instance = ServiceInstance(
            id=uuid.uuid4(),
            tenant_id=f"tenant-{index % 100}",
            name="",
            service_type_id=service_type_id,
            service_table_id=None,
            mgmt_driver=None,
            mgmt_address=None,
            service_contexts=[],
            requested_devices=[],
            kwargs={"ha": True} if ha_every and index % ha_every == 0 else {},
            managed_by_user=False,
        )
        async with store.unit_of_work(f"bench-{index}") as uow:
            outcome = await place_new(scheduling(uow), instance)
            await uow.commit()
        if outcome is None or not outcome.instance.devices:
            raise RuntimeError(f"not placed: {outcome}")

    try:
        with relay_here(store.engine, "scheduler", lambda: None):
            return await timed(count, concurrency, place_one)
    finally:
        await store.engine.dispose()


async def handled_placements(
    settings: Settings, service_type_id: uuid.UUID, count: int, concurrency: int
) -> Run:
    """Create commands as the scheduler's process handles them, minus the bus: each
    message's body parsed as the consumer parses it, then the dispatcher the process runs
    (``shared.runtime``: creates that arrive together share a transaction, up to the
    consumer's prefetch), with its inbox and outbox rows. ``concurrency`` messages are in
    flight at once, as a consumer holding that many deliveries has."""
    store = build_store(DEFINITION, settings)
    dispatcher = batching_dispatcher(DEFINITION, Dispatcher(store, HANDLERS), settings)
    bodies = [
        Envelope.wrap(
            commands.CreateServiceInstance(
                id=uuid.uuid4(), tenant_id=f"tenant-{index % 100}", service_type_id=service_type_id
            ),
            correlation_id=f"bench-{index}",
            tenant_id=f"tenant-{index % 100}",
            producer="api",
        ).model_dump_json()
        for index in range(count)
    ]

    async def handle_one(index: int) -> None:
        await dispatcher(Envelope.model_validate_json(bodies[index]))

    try:
        with relay_here(store.engine, "scheduler", lambda: None):
            return await timed(count, concurrency, handle_one)
    finally:
        await store.engine.dispose()


# What a placement announces (service_instance.status_changed and .placed, and
# device.capacity_changed, with the device's ~16 instances): the bodies' sizes in bytes.
ANNOUNCED = (710, 710, 1190)


async def floor_placements(
    dsn: str, service_type_id: uuid.UUID, count: int, concurrency: int, *, outbox: bool = False
) -> Run:
    """The least SQL one placement needs, on the same tables and index: the same device
    order as the scheduler's pick (one template, fullest first, then by id), so the floor
    reads the placement index as the scheduler does rather than sorting every device.

    With ``outbox``, also the rows that announce it, written as a unit of work writes them
    (one statement): the outbox is a guarantee the scheduler keeps, the bare floor does not
    pay for it."""
    insert_outbox = OutboxSql.of(scheduler_outbox).insert
    bodies = [b"x" * size for size in ANNOUNCED]
    pool = await asyncpg.create_pool(dsn, min_size=concurrency, max_size=concurrency)
    assert pool is not None
    template_id = await pool.fetchval(
        "SELECT template_id FROM scheduler.service_types WHERE id = $1", service_type_id
    )

    async def place_one(index: int) -> None:
        async with pool.acquire() as conn, conn.transaction():
            instance_id = await conn.fetchval(
                """INSERT INTO scheduler.service_instances
                     (id, tenant_id, name, service_type_id, service_contexts, requested_devices,
                      kwargs, managed_by_user, status, revision)
                   VALUES (gen_random_uuid(), 'floor', '', $1, '[]', '[]', '{}', false,
                           'PENDING_CREATE', 1) RETURNING id""",
                service_type_id,
            )
            device_id = await conn.fetchval(
                """UPDATE scheduler.devices SET slots_used = slots_used + 1
                   WHERE id = (SELECT id FROM scheduler.devices
                               WHERE template_id = $1 AND status = 'ACTIVE'
                                 AND slot_capacity - slots_used >= 1
                               ORDER BY slot_capacity - slots_used, id LIMIT 1
                               FOR UPDATE SKIP LOCKED)
                   RETURNING id""",
                template_id,
            )
            await conn.execute(
                "INSERT INTO scheduler.bindings VALUES ($1, $2, 1, 0)", instance_id, device_id
            )
            if outbox:
                n = len(bodies)
                await conn.execute(
                    insert_outbox,
                    [uuid.uuid4() for _ in bodies],
                    ["events"] * n,
                    ["placed"] * n,
                    ["placed"] * n,
                    ["bench"] * n,
                    bodies,
                )

    try:
        return await timed(count, concurrency, place_one)
    finally:
        await pool.close()


# --- part 2: through the REST API ---------------------------------------------------------


async def create_instances(api_url: str, amqp_url: str, count: int, concurrency: int) -> Run:
    """Template + devices with room for all, then ``count`` instances, POST -> ACTIVE."""

    async def setup(client: httpx.AsyncClient) -> PostOne:
        service_type_id = await _template_with_devices(client, slots_needed=count)

        async def post(client: httpx.AsyncClient) -> str:
            response = await client.post(
                "/v1.0/service_instances",
                json={"service_instance": {"service_type_id": service_type_id}},
            )
            response.raise_for_status()
            return str(response.json()["service_instance"]["id"])

        return post

    return await time_until_notified(
        api_url,
        amqp_url,
        routing_key="service_instance.active",
        id_field="service_instance_id",
        count=count,
        concurrency=concurrency,
        setup=setup,
    )


async def _template_with_devices(client: httpx.AsyncClient, *, slots_needed: int) -> str:
    per_device = 50
    response = await client.post(
        "/v1.0/device_templates",
        json={
            "device_template": {
                "name": "bench",
                "service_types": ["firewall"],
                "device_driver": "noop",
                "mgmt_driver": "noop",
                "attributes": {"slot_capacity": str(per_device)},
            }
        },
    )
    template = response.json()["device_template"]
    devices = []
    for _ in range(-(-slots_needed // per_device)):
        created = await client.post(
            "/v1.0/devices", json={"device": {"template_id": template["id"]}}
        )
        devices.append(created.json()["device"]["id"])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        listed = await client.get(
            "/v1.0/devices", params={"template_id": template["id"], "status": "ACTIVE"}
        )
        if len(listed.json()["devices"]) == len(devices):
            return str(template["service_types"][0]["id"])
        await asyncio.sleep(0.2)
    raise RuntimeError("benchmark devices did not become ACTIVE")


# --- report -------------------------------------------------------------------------------


def row(name: str, run: Run, cpu: Cpu | None = None) -> str:
    """``cpu``: the CPU seconds of this process (the floor's and the scheduler's client
    side run here) and of PostgreSQL for the run."""
    ms = 1000.0

    def per_op(seconds: float | None) -> str:
        return f"{seconds / run.count * ms:>12.2f}" if seconds is not None else f"{'-':>12}"

    return (
        f"{name:<44}{run.count:>7}{run.rate:>11.1f}"
        f"{percentile(run.latencies, 0.5) * ms:>10.2f}{percentile(run.latencies, 0.99) * ms:>10.2f}"
        f"{per_op(cpu.client if cpu else None)}{per_op(cpu.postgres if cpu else None)}"
    )


@dataclass(frozen=True)
class Cpu:
    client: float  # this process's CPU seconds
    postgres: float | None  # the server's, when it is local and readable


def with_cpu(coroutine: Coroutine[Any, Any, Run], server: PostgresCpu | None) -> tuple[Run, Cpu]:
    """The run, and the CPU seconds this process and PostgreSQL spent on it. It runs on
    the event loop the scheduler's process runs on (uvicorn's choice: uvloop, which
    uvicorn[standard] installs), the floor's runs too."""
    began, server_began = time.process_time(), server.seconds() if server else None
    with asyncio.Runner(loop_factory=auto_loop_factory()) as runner:
        run = runner.run(coroutine)
    client = time.process_time() - began
    if server is None or server_began is None:
        return run, Cpu(client, None)
    return run, Cpu(client, server.seconds() - server_began)


async def postgres_of(dsn: str) -> PostgresCpu | None:
    conn = await asyncpg.connect(dsn)
    try:
        return PostgresCpu.of_backend(await conn.fetchval("SELECT pg_backend_pid()"))
    finally:
        await conn.close()


@dataclass(frozen=True)
class PlacementFigures:
    floor: Run
    packed: Run
    with_ha: Run
    floor_cpu: Cpu
    packed_cpu: Cpu
    ha_cpu: Cpu
    floor_outbox: Run
    floor_outbox_cpu: Cpu
    # Create commands as the process handles them (batched, with their inbox rows).
    handled: Run
    handled_cpu: Cpu
    # The same with one batch slot (SERVICEVM_BATCH_SLOTS=1), unless the run set the slots.
    one_slot: tuple[Run, Cpu] | None


def measure(
    devices: int, placed: int, placements: int, concurrency: int, profile: Path | None = None
) -> PlacementFigures:
    """Part 1: the scheduler's placement transaction beside the bare placement SQL."""
    settings: Settings = isolated_settings(BENCH_ENV)
    preflight(settings)
    fresh_environment(settings)
    dsn = settings.db_admin_url.rsplit("/", 1)[0] + f"/{settings.db_name}"
    began = time.perf_counter()
    service_type_id = asyncio.run(seed(dsn, devices, placed))
    print(f"seeded {devices} devices and {placed} instances in {time.perf_counter() - began:.1f}s")
    server = asyncio.run(postgres_of(dsn))
    floor, floor_cpu = with_cpu(
        floor_placements(dsn, service_type_id, placements, concurrency), server
    )
    floor_outbox, floor_outbox_cpu = with_cpu(
        floor_placements(dsn, service_type_id, placements, concurrency, outbox=True), server
    )
    packed, packed_cpu = with_cpu(
        scheduler_placements(settings, service_type_id, placements, concurrency, 0), server
    )
    with_ha, ha_cpu = with_cpu(
        scheduler_placements(settings, service_type_id, placements, concurrency, 4), server
    )
    profiler = Profiler(profile, {"placement": os.getpid()}) if profile else None
    try:
        handled, handled_cpu = with_cpu(
            handled_placements(settings, service_type_id, placements, concurrency), server
        )
    finally:
        if profiler is not None:
            profiler.stop()
    if profiler is not None:
        print_top(profiler.files, limit=15)
    one_slot = None
    if settings.batch_slots is None:  # the scheduler's own choice (2); beside it, one slot
        one = settings.model_copy(update={"batch_slots": 1})
        one_slot = with_cpu(
            handled_placements(one, service_type_id, placements, concurrency), server
        )
    return PlacementFigures(
        floor,
        packed,
        with_ha,
        floor_cpu,
        packed_cpu,
        ha_cpu,
        floor_outbox,
        floor_outbox_cpu,
        handled,
        handled_cpu,
        one_slot,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--placed", type=int, default=100_000)
    parser.add_argument("--placements", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--instances", type=int, default=500)
    parser.add_argument("--no-rest", action="store_true", help="skip part 2 (the REST path)")
    parser.add_argument(
        "--profile", type=Path, help="py-spy profile of the scheduler placements into this dir"
    )
    args = parser.parse_args()
    f = measure(args.devices, args.placed, args.placements, args.concurrency, args.profile)
    settings: Settings = isolated_settings(BENCH_ENV)
    rest = None if args.no_rest or not args.instances else rest_placements(settings, args.instances)

    print()
    print(
        f"{'path':<44}{'n':>7}{'per s':>11}{'p50 ms':>10}{'p99 ms':>10}{'CPU ms/op':>12}{'PG ms/op':>12}"
    )
    print(row("floor: bare placement SQL", f.floor, f.floor_cpu))
    print(row("floor + its 3 outbox rows", f.floor_outbox, f.floor_outbox_cpu))
    print(row("scheduler placement (pack)", f.packed, f.packed_cpu))
    print(row("scheduler placement (pack, 1 in 4 HA)", f.with_ha, f.ha_cpu))
    print(row("scheduler create commands, as handled", f.handled, f.handled_cpu))
    if f.one_slot is not None:
        print(row("  the same, SERVICEVM_BATCH_SLOTS=1", *f.one_slot))
    if rest is not None:
        print(row("REST service instance POST -> ACTIVE", rest.run))
    print(
        f"\nscheduler / floor throughput: {f.handled.rate / f.floor.rate:.2f} as handled"
        f" (/ floor with its outbox rows: {f.handled.rate / f.floor_outbox.rate:.2f}),"
        f" {f.packed.rate / f.floor.rate:.2f} one placement per transaction"
    )
    if rest is not None:
        print_rest(rest)
    log_dir = rest.log_dir if rest is not None else None
    print(f"(among {args.devices} devices holding {args.placed} instances; logs: {log_dir})")


@dataclass(frozen=True)
class RestFigures:
    """Part 2: the run, and per instance the CPU milliseconds of each service's process and
    the messages each service handled (by type), in the measured phase."""

    run: Run
    cpu_ms: dict[str, float]
    handled: dict[tuple[str, str], float]
    log_dir: Path


# Instances created (and the statements prepared, the template remembered) before the
# measured ones, as the device benchmark's warm-up does.
REST_WARMUP = 100


def rest_placements(settings: Settings, instances: int) -> RestFigures:
    fresh_environment(settings)
    log_dir = Path(tempfile.mkdtemp(prefix="servicevm-bench-"))
    suite = Suite(settings, env=BENCH_ENV, log_dir=log_dir)
    try:
        suite.start()
        api_url = suite.url("api")
        asyncio.run(create_instances(api_url, settings.amqp_url, REST_WARMUP, 50))
        pids: dict[str, int] = {name: process.pid for name, process in suite.processes.items()}
        urls: dict[str, str] = {name: suite.url(name) for name in suite.processes}
        handled_before, cpu_before = counts.handled_by_type(urls), cpu.snapshot(pids)
        run = asyncio.run(create_instances(api_url, settings.amqp_url, instances, 50))
        spent = cpu.spent(cpu_before, cpu.snapshot(pids))
        time.sleep(counts.STATS_DELAY)
        handled = counts.difference(handled_before, counts.handled_by_type(urls))
    finally:
        suite.stop()
    return RestFigures(
        run,
        {name: seconds * 1000.0 / instances for name, seconds in spent.items()},
        {key: n / instances for key, n in handled.items()},
        log_dir,
    )


def print_rest(rest: RestFigures) -> None:
    cpu_ms = ", ".join(f"{name} {ms:.1f}" for name, ms in rest.cpu_ms.items())
    print(
        f"REST path, per instance: CPU {sum(rest.cpu_ms.values()):.1f} ms ({cpu_ms}), "
        f"{sum(rest.handled.values()):.1f} handler runs"
    )
    for (service, message_type), n in sorted(rest.handled.items()):
        if n >= 0.05:
            print(f"  {service:<10} {message_type:<40} {n:.2f}")


if __name__ == "__main__":
    main()
