"""The faults, injected one after another under load, each followed by a canary: a device
created through the API; the time from the fault's end until it is ACTIVE is the time to
recover."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from chaos.bus import DuplicateTap, dead_lettered, inject_poison
from chaos.load import Load
from chaos.servers import PrivatePostgres, PrivateRabbitMQ
from chaos.stack import Replica, Simulator, Stack
from shared.config import SERVICES

RECOVERY_TIMEOUT = 120.0
SLOW_CLOUD_SECONDS = 3.0  # every simulator answer this late during the slow-cloud fault


@dataclass
class FaultRecord:
    name: str
    note: str = ""
    recovery_seconds: float | None = None  # None: not recovered in RECOVERY_TIMEOUT


@dataclass
class Context:
    stack: Stack
    load: Load
    amqp_url: str
    sim: Simulator | None = None
    rabbitmq: PrivateRabbitMQ | None = None
    postgres: PrivatePostgres | None = None
    phase_seconds: float = 15.0  # how long the slow/failing cloud and the duplicates last
    poison_sent: int = 0
    poison_parked: int = 0
    duplicates: int = 0


Injection = Callable[[Context], Awaitable[str]]


async def kill_and_respawn(ctx: Context, *replicas: Replica) -> None:
    for replica in replicas:
        ctx.stack.kill(replica)
    await asyncio.sleep(0.5)
    for replica in replicas:
        ctx.stack.respawn(replica)


def kill_one(service: str) -> Injection:
    async def inject(ctx: Context) -> str:
        replica = next(r for r in ctx.stack.all() if r[0] == service)
        await kill_and_respawn(ctx, replica)
        return f"kill -9 {service} replica 0 under load, started again"

    return inject


async def kill_mid_driver_call(ctx: Context) -> str:
    """Every lifecycle replica killed while Nova is answering a server create slowly: the
    server is booted after the worker that asked for it died."""
    assert ctx.sim is not None
    ctx.sim.fault({"kind": "http", "count": None, "delay": 4.0, "method": "POST",
                   "path_contains": "/servers"})  # fmt: skip
    for _ in range(3):
        ctx.load.spawn(ctx.load.device_cycle("nova"))
    await asyncio.sleep(2.0)
    await kill_and_respawn(ctx, *(r for r in ctx.stack.all() if r[0] == "lifecycle"))
    ctx.sim.clear_faults()
    return "kill -9 every lifecycle replica 2 s into a 4 s Nova server create"


async def kill_during_relay_traffic(ctx: Context) -> str:
    """Every api replica killed while its outbox relay publishes a burst of commands (no
    hook exists between the broker's confirm and the row's delete: a burst makes that
    window likely)."""
    for _ in range(20):
        ctx.load.spawn(ctx.load.device_cycle("noop"))
    await asyncio.sleep(0.3)
    await kill_and_respawn(ctx, *(r for r in ctx.stack.all() if r[0] == "api"))
    return "kill -9 every api replica 0.3 s into a burst of 20 creates"


async def restart_rabbitmq(ctx: Context) -> str:
    if ctx.rabbitmq is None:
        return "skipped: the shared broker is never restarted"
    await asyncio.to_thread(ctx.rabbitmq.restart)
    return "private RabbitMQ node stopped and started"


async def restart_postgres(ctx: Context) -> str:
    if ctx.postgres is None:
        return "skipped: the shared database is never restarted"
    await asyncio.to_thread(ctx.postgres.restart, crash=True)
    return "private PostgreSQL crashed (immediate shutdown) and started"


async def slow_cloud(ctx: Context) -> str:
    assert ctx.sim is not None
    ctx.sim.fault({"kind": "http", "count": None, "delay": SLOW_CLOUD_SECONDS})
    await asyncio.sleep(ctx.phase_seconds)
    ctx.sim.clear_faults()
    return f"every simulator answer {SLOW_CLOUD_SECONDS:.0f} s late for {ctx.phase_seconds:.0f} s"


async def failing_cloud(ctx: Context) -> str:
    assert ctx.sim is not None
    ctx.sim.fault({"kind": "http", "count": 5, "status": 500, "method": "POST",
                   "path_contains": "/servers"})  # fmt: skip
    ctx.sim.fault({"kind": "boot_error", "count": 3})
    await asyncio.sleep(ctx.phase_seconds)
    ctx.sim.clear_faults()
    return "5 server creates answered 500, 3 boots ended in ERROR"


async def duplicate_delivery(ctx: Context) -> str:
    tap = DuplicateTap(ctx.amqp_url)
    task = asyncio.create_task(tap.run())
    await asyncio.sleep(ctx.phase_seconds)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    ctx.duplicates += tap.copied
    return f"every command and event delivered twice for {ctx.phase_seconds:.0f} s ({tap.copied} copies)"


async def poison(ctx: Context) -> str:
    before = await dead_lettered(ctx.amqp_url)
    sent = await inject_poison(ctx.amqp_url)
    deadline = time.monotonic() + 30
    parked = 0
    while time.monotonic() < deadline and parked < sent:
        await asyncio.sleep(0.5)
        parked = await dead_lettered(ctx.amqp_url) - before
    ctx.poison_sent += sent
    ctx.poison_parked += min(parked, sent)
    return f"{sent} poison messages (non-JSON, unknown type), {parked} dead-lettered"


FAULTS: dict[str, Injection] = {
    **{f"kill-{service}": kill_one(service) for service in SERVICES},
    "kill-lifecycle-mid-driver-call": kill_mid_driver_call,
    "kill-api-during-relay-traffic": kill_during_relay_traffic,
    "restart-rabbitmq": restart_rabbitmq,
    "restart-postgres": restart_postgres,
    "slow-cloud": slow_cloud,
    "failing-cloud": failing_cloud,
    "duplicate-delivery": duplicate_delivery,
    "poison": poison,
}
NEEDS_SIMULATOR = {"kill-lifecycle-mid-driver-call", "slow-cloud", "failing-cloud"}


async def inject(ctx: Context, name: str) -> FaultRecord:
    try:
        note = await FAULTS[name](ctx)
    except Exception as exc:  # the run goes on: the next faults and the figures still count
        note = f"the fault itself failed: {exc!r}"
    record = FaultRecord(name, note)
    if not note.startswith("skipped"):
        record.recovery_seconds = await canary(ctx.load)
    return record


async def canary(load: Load) -> float | None:
    """Seconds until a new noop device is ACTIVE (None: not within RECOVERY_TIMEOUT)."""
    began = time.monotonic()
    while time.monotonic() - began < RECOVERY_TIMEOUT:
        with contextlib.suppress(Exception):
            created = await asyncio.wait_for(load.create_device("noop"), RECOVERY_TIMEOUT)
            if created is not None and created.outcome in ("completed", "failed"):
                load.spawn(load.delete_device("noop", created.resource))
            if created is not None and created.outcome == "completed":
                return time.monotonic() - began
        await asyncio.sleep(0.5)
    return None
