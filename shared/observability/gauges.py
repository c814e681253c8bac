"""Gauges computed when /metrics is scraped: from a service's own records (devices, its
outbox) and from the broker (its dead-letter queue)."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

import aio_pika
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.config import ServiceName
from shared.contracts.models import DeviceStatus
from shared.messaging.dispatch import ServiceStore
from shared.messaging.topology import QUEUES
from shared.observability.metrics import (
    DEAD_LETTERS,
    DEVICE_REPLICAS_BY_STATUS,
    OUTBOX_BACKLOG,
    OUTBOX_LAG,
)
from shared.observability.ops import GaugeRefresher

log = logging.getLogger(__name__)
StatusCounter = Callable[[AsyncConnection], Awaitable[dict[str, int]]]
# The broker is asked at most this often (a scrape every 5 s would open a connection each).
DEAD_LETTER_REFRESH_SECONDS = 15.0


def device_gauge_refresher(store: ServiceStore, count: StatusCounter) -> GaugeRefresher:
    """A read model's device counts (servicevm_device_replicas{service})."""

    async def refresh() -> None:
        async with store.engine.connect() as conn:
            counts = await count(conn)
        for status in DeviceStatus.ALL:
            DEVICE_REPLICAS_BY_STATUS.labels(store.service, status).set(counts.get(status, 0))

    return refresh


def outbox_gauge_refresher(store: ServiceStore) -> GaugeRefresher:
    """Rows not yet published (the relay deletes a row once the broker confirmed it) and
    the age of the oldest: a growing age is a relay that cannot publish."""
    outbox = store.outbox

    async def refresh() -> None:
        query = select(
            func.count(), func.extract("epoch", func.now() - func.min(outbox.c.created_at))
        )
        async with store.engine.connect() as conn:
            backlog, age = (await conn.execute(query)).one()
        OUTBOX_BACKLOG.labels(store.service).set(backlog)
        OUTBOX_LAG.labels(store.service).set(float(age or 0))

    return refresh


class DeadLetterGauge:
    """Depth of the service's own dead-letter queue, read with a passive declare."""

    def __init__(self, service: ServiceName, amqp_url: str) -> None:
        self._service = service
        self._queue = QUEUES[service].dead_letter_name
        self._amqp_url = amqp_url
        self._next_read = 0.0

    async def __call__(self) -> None:
        if time.monotonic() < self._next_read:
            return
        self._next_read = time.monotonic() + DEAD_LETTER_REFRESH_SECONDS
        try:
            connection = await aio_pika.connect(self._amqp_url, timeout=3)
            async with connection:
                channel = await connection.channel()
                queue = await channel.declare_queue(self._queue, passive=True)
                depth = queue.declaration_result.message_count
        except Exception as exc:
            # Unknown is not zero: the series disappears rather than reporting a false 0.
            log.warning("dead-letter depth unavailable: %s", exc.__class__.__name__)
            with contextlib.suppress(KeyError):
                DEAD_LETTERS.remove(self._service)
            return
        DEAD_LETTERS.labels(self._service).set(depth or 0)


def service_gauge_refresher(
    service: ServiceName, store: ServiceStore, amqp_url: str, own: GaugeRefresher | None
) -> GaugeRefresher:
    """Every service's gauges (outbox, dead letters), then the service's own."""
    refreshers: list[GaugeRefresher] = [
        outbox_gauge_refresher(store),
        DeadLetterGauge(service, amqp_url),
    ]
    if own is not None:
        refreshers.append(own)

    async def refresh() -> None:
        for refresher in refreshers:
            await refresher()

    return refresh
