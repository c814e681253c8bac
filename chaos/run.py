"""One chaos run: servers, replicas and simulator up; the load on; the faults one after
another; the load drained; the reconciler's grace; the figures. Whatever happens, every
process the run started is stopped by pid (try/finally, atexit, SIGTERM/SIGHUP)."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import aio_pika
from cryptography.fernet import Fernet

from chaos.client import Client
from chaos.faults import NEEDS_SIMULATOR, Context, FaultRecord, inject
from chaos.ledger import Ledger
from chaos.load import Load
from chaos.report import Figures
from chaos.servers import PrivatePostgres, PrivateRabbitMQ
from chaos.setup import prepare
from chaos.stack import Simulator, Stack
from chaos.watch import WATCH_QUEUE, Census, NotificationOrder, Phase, kill_appliances
from shared.devstack import fresh_environment, isolated_settings
from shared.preflight import ensure_vhost


@dataclass
class Plan:
    port_base: int
    db_name: str
    replicas: int = 2
    mix: dict[str, int] = field(
        default_factory=lambda: {"noop": 2, "local": 1, "nova": 1, "placement": 1, "vnf": 1}
    )
    faults: list[str] = field(default_factory=list)
    warmup_seconds: float = 10.0
    gap_seconds: float = 10.0  # steady load between two faults
    phase_seconds: float = 15.0  # how long a slow or failing cloud, or duplicates, last
    op_deadline_seconds: float = 180.0
    orphan_grace_seconds: float = 30.0
    # None: start a private RabbitMQ and PostgreSQL (and restart them as faults); else the
    # shared servers at this AMQP URL, never restarted.
    shared_amqp_url: str | None = None
    pg_port: int = 5442
    rabbitmq_port: int = 5682
    simulator: bool = True


def service_env(
    plan: Plan, root: Path, amqp_url: str, db_port: int, admin_url: str
) -> dict[str, str]:
    return {
        "SERVICEVM_DB_NAME": plan.db_name,
        "SERVICEVM_DB_PORT": str(db_port),
        "SERVICEVM_DB_ADMIN_URL": admin_url,
        "SERVICEVM_DB_POOL_SIZE": "4",
        "SERVICEVM_DB_MAX_OVERFLOW": "4",
        "SERVICEVM_AMQP_URL": amqp_url,
        "SERVICEVM_LOCAL_STATE_DIR": str(root / "appliances"),
        "SERVICEVM_FERNET_KEYS": Fernet.generate_key().decode(),
        "SERVICEVM_LOG_LEVEL": "INFO",
        "SERVICEVM_WRITE_RATE_LIMIT": "0",
        "SERVICEVM_RELAY_POLL_SECONDS": "0.5",
        "SERVICEVM_RECONCILE_INTERVAL_SECONDS": "2",
        "SERVICEVM_POOL_IDLE_SECONDS": "5",
        # Every pending state ends well inside the harness's own deadline.
        "SERVICEVM_STUCK_OPERATION_SECONDS": str(int(plan.op_deadline_seconds / 2)),
        "SERVICEVM_DRIVER_TIMEOUT_SECONDS": "40",
        "SERVICEVM_VIM_API_TIMEOUT_SECONDS": "10",
        "SERVICEVM_VIM_READY_TIMEOUT_SECONDS": "30",
        "SERVICEVM_VIM_RETRY_BASE_SECONDS": "0.2",
        "SERVICEVM_VIM_RETRY_MAX_SECONDS": "2",
        "SERVICEVM_VIM_POLL_MIN_SECONDS": "0.2",
        "SERVICEVM_VIM_POLL_MAX_SECONDS": "1",
    }


class Processes:
    """Everything started, stopped in reverse order exactly once (finally, atexit, signal)."""

    def __init__(self) -> None:
        self._stops: list[Callable[[], None]] = []
        atexit.register(self.stop_all)
        self._handlers = {
            signum: signal.signal(signum, self._on_signal)
            for signum in (signal.SIGTERM, signal.SIGHUP)
        }

    def started(self, stop: Callable[[], None]) -> None:
        self._stops.append(stop)

    def stop_all(self) -> None:
        while self._stops:
            with contextlib.suppress(Exception):
                self._stops.pop()()

    def close(self) -> None:
        """Everything stopped, and the process's own handlers back (pytest's, say)."""
        self.stop_all()
        atexit.unregister(self.stop_all)
        for signum, handler in self._handlers.items():
            if handler is not None:  # None: set outside Python, cannot be put back
                signal.signal(signum, handler)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)


def execute(plan: Plan) -> Figures:
    root = Path(tempfile.mkdtemp(prefix="servicevm-chaos-"))
    root.chmod(0o755)  # the private PostgreSQL's own user must reach its directory
    print(f"chaos run: logs and data in {root}", flush=True)
    processes = Processes()
    try:
        return _execute(plan, root, processes)
    finally:
        processes.close()
        kill_appliances(root / "appliances")
        # The servers' data is of no use once stopped; the logs stay for a look.
        for data in (root / "postgres" / "data", root / "rabbitmq" / "mnesia"):
            shutil.rmtree(data, ignore_errors=True)


def _execute(plan: Plan, root: Path, processes: Processes) -> Figures:
    rabbitmq = postgres = None
    if plan.shared_amqp_url is None:
        rabbitmq = PrivateRabbitMQ(root / "rabbitmq", plan.rabbitmq_port)
        postgres = PrivatePostgres(root / "postgres", plan.pg_port)
        for server in (postgres, rabbitmq):
            processes.started(server.stop)
            server.start()
        env = service_env(plan, root, rabbitmq.amqp_url, plan.pg_port, postgres.admin_url)
    else:
        env = service_env(
            plan, root, plan.shared_amqp_url, 5432, isolated_settings({}).db_admin_url
        )
        ensure_vhost(plan.shared_amqp_url)
    settings = isolated_settings(env)
    fresh_environment(settings)
    sim = None
    if plan.simulator:
        sim = Simulator(plan.port_base + 50, root / "simulator.log")
        processes.started(sim.stop)
        sim.start()
    stack = Stack(env, plan.port_base, plan.replicas, root / "logs")
    processes.started(stack.stop)
    stack.start()
    print(
        f"{plan.replicas} replicas of every service ready; api at {', '.join(stack.api_urls)}",
        flush=True,
    )
    lifecycle_dsn = settings.db_admin_url.rsplit("/", 1)[0] + f"/{settings.db_name}"
    return asyncio.run(
        _scenario(plan, stack, sim, settings.amqp_url, lifecycle_dsn, rabbitmq, postgres, root)
    )


async def _scenario(
    plan: Plan, stack: Stack, sim: Simulator | None, amqp_url: str, dsn: str,
    rabbitmq: PrivateRabbitMQ | None, postgres: PrivatePostgres | None, root: Path,
) -> Figures:  # fmt: skip
    client = Client(stack.api_urls)
    load = Load(client, Ledger(plan.op_deadline_seconds), await prepare(client, sim))
    phase, exits = Phase(), list[str]()
    order, census = NotificationOrder(phase), Census(sim, root / "appliances", phase)
    await _forget_watch_queue(amqp_url)
    watchers = [
        asyncio.create_task(order.consume(amqp_url)),
        asyncio.create_task(census.watch()),
        asyncio.create_task(_respawn_crashed(stack, exits)),
    ]
    ctx = Context(stack, load, amqp_url, sim, rabbitmq, postgres, plan.phase_seconds)
    records = await _faults_under_load(plan, ctx, phase)
    print(f"waiting {plan.orphan_grace_seconds:.0f}s (the reconciler's grace)", flush=True)
    await asyncio.sleep(plan.orphan_grace_seconds)
    orphans = await census.orphans(dsn)
    for watcher in watchers:
        watcher.cancel()
    await asyncio.gather(*watchers, return_exceptions=True)
    await client.close()
    return Figures(
        ledger=load.ledger, faults=records, orphans=orphans,
        double_boots=[f"{d} (first seen during {p})" for d, p in census.double_boots.items()],
        out_of_order=order.out_of_order,
        notifications=order.received, duplicate_notifications=order.duplicates,
        poison_sent=ctx.poison_sent, poison_parked=ctx.poison_parked,
        duplicates_copied=ctx.duplicates, unanswered=load.unanswered,
        refusals=client.refusals, replica_exits=exits, surprises=load.surprises,
    )  # fmt: skip


async def _faults_under_load(plan: Plan, ctx: Context, phase: Phase) -> list[FaultRecord]:
    """The load on, the faults one after another, then the load drained."""
    kinds = (*ctx.load.targets.templates, "placement", "vnf")
    running = asyncio.create_task(ctx.load.run({k: n for k, n in plan.mix.items() if k in kinds}))
    records: list[FaultRecord] = []
    try:
        await asyncio.sleep(plan.warmup_seconds)
        for name in plan.faults:
            if name in NEEDS_SIMULATOR and ctx.sim is None:
                continue
            print(f"{time.strftime('%H:%M:%S')} fault: {name}", flush=True)
            phase.name = name
            records.append(await inject(ctx, name))
            phase.name = f"the load after {name}"
            print(f"  {records[-1].note}; recovered in {records[-1].recovery_seconds}", flush=True)
            await asyncio.sleep(plan.gap_seconds)
    finally:
        ctx.load.stopping.set()
        phase.name = "the drain"
        print("draining the load", flush=True)
        await running
    return records


async def _forget_watch_queue(amqp_url: str) -> None:
    """A watch queue left by an earlier run holds notifications of its resources."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(WATCH_QUEUE)


async def _respawn_crashed(stack: Stack, exits: list[str]) -> None:
    """A replica that died on its own (not one the faults killed) is noted and restarted."""
    while True:
        await asyncio.sleep(1.0)
        for replica in stack.exited():
            code = stack.processes[replica].returncode
            exits.append(f"{replica[0]} replica {replica[1]} exited with {code}")
            stack.respawn(replica)
