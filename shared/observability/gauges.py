"""Gauges computed from a service's own records when /metrics is scraped."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncConnection

from shared.contracts.models import DeviceStatus
from shared.messaging.dispatch import ServiceStore
from shared.observability.metrics import DEVICES_BY_STATUS
from shared.observability.ops import GaugeRefresher

StatusCounter = Callable[[AsyncConnection], Awaitable[dict[str, int]]]


def device_gauge_refresher(store: ServiceStore, count: StatusCounter) -> GaugeRefresher:
    async def refresh() -> None:
        async with store.engine.connect() as conn:
            counts = await count(conn)
        for status in DeviceStatus.ALL:
            DEVICES_BY_STATUS.labels(store.service, status).set(counts.get(status, 0))

    return refresh
