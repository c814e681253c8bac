"""mgmt's gauges, read when /metrics is scraped: HTTP notification deliveries still to be
made (pending) and those given up (failed, kept for an operator)."""

from __future__ import annotations

from sqlalchemy import func, select

from servicevm_mgmt.adapters.orm import deliveries
from shared.messaging.dispatch import ServiceStore
from shared.observability.metrics import DELIVERIES_FAILED, DELIVERIES_PENDING
from shared.observability.ops import GaugeRefresher


def delivery_gauges(store: ServiceStore) -> GaugeRefresher:
    async def refresh() -> None:
        query = select(
            func.count().filter(deliveries.c.failed_at.is_(None)),
            func.count().filter(deliveries.c.failed_at.is_not(None)),
        )
        async with store.engine.connect() as conn:
            pending, failed = (await conn.execute(query)).one()
        DELIVERIES_PENDING.set(pending)
        DELIVERIES_FAILED.set(failed)

    return refresh
