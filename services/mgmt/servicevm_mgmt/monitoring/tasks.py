"""The Celery tasks: a probe round claims what is due and fans it out in batches; a batch
runs its probes concurrently (bounded), recording results as they come in."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Coroutine, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from servicevm_mgmt.adapters.orm import outbox, processed_messages
from servicevm_mgmt.monitoring import metrics, store
from servicevm_mgmt.monitoring.celery_app import BATCH_TASK, ROUND_TASK, app
from servicevm_mgmt.monitoring.probes import run_probe
from servicevm_mgmt.monitoring.settings import monitor_settings
from servicevm_mgmt.monitoring.states import ProbeResult
from servicevm_mgmt.monitoring.tables import monitored_devices
from shared.config import get_settings
from shared.db import relay_wakeup
from shared.db.uow import UnitOfWork

T = TypeVar("T")


class _ThreadRuntime(threading.local):
    """Each worker thread keeps one event loop, with its database pool and HTTP client,
    for all the tasks it runs (a loop, a pool and TLS set-up per task cost more than the
    probes themselves)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.engine = create_async_engine(
            get_settings().database_url("mgmt"),
            pool_size=2,
            max_overflow=2,
            connect_args={"server_settings": {"search_path": "mgmt"}},
        )
        self.client: httpx.AsyncClient | None = None

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(work)

    def http(self) -> httpx.AsyncClient:
        if self.client is None:
            self.client = httpx.AsyncClient(limits=httpx.Limits(max_connections=None))
        return self.client


_runtime = _ThreadRuntime()


@app.task(name=ROUND_TASK)
def probe_round() -> int:
    return _runtime.run(_round(_runtime.engine))


@app.task(name=BATCH_TASK)
def probe_batch(messages: list[dict[str, Any]]) -> None:
    probes = [store.Probe.from_message(m) for m in messages]
    _runtime.run(run_batch(probes, _runtime.engine, _runtime.http()))


async def _round(engine: AsyncEngine) -> int:
    settings = monitor_settings()
    async with engine.begin() as conn:
        lag = await conn.scalar(select(func.now() - func.min(monitored_devices.c.next_probe_at)))
        probes = await store.take_due(conn, limit=settings.round_limit)
        await _count_devices(conn)
    if probes and lag is not None:
        metrics.ROUND_LAG.observe(max(lag.total_seconds(), 0.0))
    size = settings.batch_size
    for start in range(0, len(probes), size):
        batch = [probe.as_message() for probe in probes[start : start + size]]
        probe_batch.apply_async(args=[batch], expires=60)
    return len(probes)


async def _count_devices(conn: Any) -> None:
    per_device = (
        select(func.bool_and(monitored_devices.c.healthy).label("healthy"))
        .group_by(monitored_devices.c.device_id)
        .subquery()
    )
    counts = dict(
        (
            await conn.execute(
                select(per_device.c.healthy, func.count()).group_by(per_device.c.healthy)
            )
        ).all()
    )
    metrics.DEVICES_BY_HEALTH.labels("healthy").set(counts.get(True, 0))
    metrics.DEVICES_BY_HEALTH.labels("unhealthy").set(counts.get(False, 0))


async def run_batch(
    probes: Sequence[store.Probe], engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    """Probe concurrently; whatever finished is recorded every ``flush_seconds``."""
    settings = monitor_settings()
    limit = asyncio.Semaphore(settings.concurrency)

    async def one(probe: store.Probe) -> tuple[store.Probe, ProbeResult]:
        async with limit:
            return probe, await run_probe(probe, client)

    pending = {asyncio.create_task(one(p)) for p in probes}
    while pending:
        done, pending = await asyncio.wait(pending, timeout=settings.flush_seconds)
        if done:
            await _record(engine, [task.result() for task in done])


async def _record(engine: AsyncEngine, results: list[tuple[store.Probe, ProbeResult]]) -> None:
    for probe, result in results:
        metrics.PROBES.labels(probe.monitor, "ok" if result.ok else "failed").inc()
        metrics.PROBE_LATENCY.labels(probe.monitor).observe(result.latency_seconds)
    uow = UnitOfWork(
        engine,
        outbox=outbox,
        inbox=processed_messages,
        producer="mgmt",
        correlation_id=str(uuid.uuid4()),
    )
    async with uow:
        for event in await store.record(uow.conn, results, at=datetime.now(UTC)):
            await uow.publish(event, tenant_id=event.tenant_id)
        await uow.commit()
    # The relay runs in mgmt's service process, so a NOTIFY wakes it, sent after the commit;
    # this loop stops between Celery tasks, so the NOTIFY is sent before it does.
    await relay_wakeup.flush(engine)
