"""Wires the scheduler: its tables, its handlers, its gauges, its pool keeper."""

from __future__ import annotations

from servicevm_scheduler.adapters import repository as repo
from servicevm_scheduler.adapters.orm import metadata
from servicevm_scheduler.handlers import HANDLERS
from servicevm_scheduler.pool_keeper import keep_pools
from shared.contracts.models import DeviceStatus
from shared.messaging.dispatch import ServiceStore
from shared.observability.gauges import device_gauge_refresher
from shared.observability.metrics import SERVICE_INSTANCES_BY_STATUS, SLOTS
from shared.observability.ops import GaugeRefresher
from shared.runtime import ServiceDefinition


def refresh_gauges(store: ServiceStore) -> GaugeRefresher:
    refresh_devices = device_gauge_refresher(store, repo.count_devices_by_status)

    async def refresh() -> None:
        await refresh_devices()
        async with store.engine.connect() as conn:
            instances = await repo.count_instances_by_status(conn)
            used, free = await repo.count_active_slots(conn)
        for status in DeviceStatus.ALL:
            SERVICE_INSTANCES_BY_STATUS.labels(status).set(instances.get(status, 0))
        SLOTS.labels("used").set(used)
        SLOTS.labels("free").set(free)

    return refresh


DEFINITION = ServiceDefinition(
    name="scheduler",
    metadata=metadata,
    handlers=HANDLERS,
    refresh_gauges=refresh_gauges,
    background=(keep_pools,),
)
