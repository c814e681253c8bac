"""The Celery tasks: a probe round claims what is due and fans it out in batches; a batch
runs its probes concurrently (bounded), recording results as they come in."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from servicevm_mgmt.adapters.orm import outbox, processed_messages
from servicevm_mgmt.monitoring import metrics, store
from servicevm_mgmt.monitoring.celery_app import BATCH_TASK, ROUND_TASK, app
from servicevm_mgmt.monitoring.probes import run_probe
from servicevm_mgmt.monitoring.settings import monitor_settings
from servicevm_mgmt.monitoring.states import ProbeResult
from servicevm_mgmt.monitoring.tables import monitored_devices
from shared.config import get_settings
from shared.db.uow import UnitOfWork


@app.task(name=ROUND_TASK)
def probe_round() -> int:
    return asyncio.run(_round())


@app.task(name=BATCH_TASK)
def probe_batch(messages: list[dict[str, Any]]) -> None:
    asyncio.run(run_batch([store.Probe.from_message(m) for m in messages]))


def _engine() -> AsyncEngine:
    # Each task runs its own event loop: connections are not kept between tasks.
    settings = get_settings()
    return create_async_engine(
        settings.database_url("mgmt"),
        poolclass=NullPool,
        connect_args={"server_settings": {"search_path": "mgmt"}},
    )


async def _round() -> int:
    settings = monitor_settings()
    engine = _engine()
    try:
        async with engine.begin() as conn:
            lag = await conn.scalar(
                select(func.now() - func.min(monitored_devices.c.next_probe_at))
            )
            probes = await store.take_due(conn, limit=settings.round_limit)
            await _count_devices(conn)
    finally:
        await engine.dispose()
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


async def run_batch(probes: Sequence[store.Probe], engine: AsyncEngine | None = None) -> None:
    """Probe concurrently; whatever finished is recorded every ``flush_seconds``."""
    settings = monitor_settings()
    own = engine is None
    engine = engine or _engine()
    limit = asyncio.Semaphore(settings.concurrency)

    async def one(probe: store.Probe, client: httpx.AsyncClient) -> tuple[store.Probe, ProbeResult]:
        async with limit:
            return probe, await run_probe(probe, client)

    try:
        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=None)) as client:
            pending = {asyncio.create_task(one(p, client)) for p in probes}
            while pending:
                done, pending = await asyncio.wait(pending, timeout=settings.flush_seconds)
                if done:
                    await _record(engine, [task.result() for task in done])
    finally:
        if own:
            await engine.dispose()


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
