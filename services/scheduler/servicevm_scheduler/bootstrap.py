"""Wires the scheduler: its tables, its handlers, its gauges, its pool keeper."""

from __future__ import annotations

from servicevm_scheduler.adapters import gauges
from servicevm_scheduler.adapters.orm import metadata
from servicevm_scheduler.handlers import HANDLERS
from servicevm_scheduler.jobs.deadlines import expire_pending_instances
from servicevm_scheduler.jobs.pool_keeper import PoolKeeper
from shared.config import Settings
from shared.contracts.statuses import ServiceInstanceStatus
from shared.messaging.dispatch import ServiceStore
from shared.observability.gauges import device_gauge_refresher
from shared.observability.metrics import (
    POOL_DEVICES,
    SERVICE_INSTANCES_BY_STATUS,
    SLOTS,
    TEMPLATE_SLOTS,
)
from shared.observability.ops import GaugeRefresher
from shared.runtime import ServiceDefinition


def refresh_gauges(store: ServiceStore) -> GaugeRefresher:
    refresh_devices = device_gauge_refresher(store, gauges.count_devices_by_status)
    refresh_templates = template_gauges(store)

    async def refresh() -> None:
        await refresh_devices()
        async with store.engine.connect() as conn:
            instances = await gauges.count_instances_by_status(conn)
            used, free = await gauges.count_active_slots(conn)
        for status in ServiceInstanceStatus.ALL:
            SERVICE_INSTANCES_BY_STATUS.labels(status).set(instances.get(status, 0))
        SLOTS.labels("used").set(used)
        SLOTS.labels("free").set(free)
        await refresh_templates()

    return refresh


def template_gauges(store: ServiceStore) -> GaugeRefresher:
    """Slots and pool devices per template (series of deleted templates are dropped)."""

    async def refresh() -> None:
        async with store.engine.connect() as conn:
            slots = await gauges.slots_per_template(conn)
            pools = await gauges.pool_devices_per_template(conn)
        TEMPLATE_SLOTS.clear()
        POOL_DEVICES.clear()
        for template, (used, free) in slots.items():
            TEMPLATE_SLOTS.labels(template, "used").set(used)
            TEMPLATE_SLOTS.labels(template, "free").set(free)
        for template, (idle, busy) in pools.items():
            POOL_DEVICES.labels(template, "idle").set(idle)
            POOL_DEVICES.labels(template, "busy").set(busy)

    return refresh


async def keep_pools(store: ServiceStore, settings: Settings) -> None:
    keeper = PoolKeeper(
        store,
        interval_seconds=settings.reconcile_interval_seconds,
        idle_seconds=settings.pool_idle_seconds,
        stale_wait_seconds=settings.stuck_operation_seconds,
    )
    await keeper.run()


DEFINITION = ServiceDefinition(
    name="scheduler",
    metadata=metadata,
    handlers=HANDLERS,
    refresh_gauges=refresh_gauges,
    background=(keep_pools, expire_pending_instances),
    # Its creates come in bursts and cost as much Python as SQL: with two batches at once,
    # one's placements run in PostgreSQL while the other's run here (+30% placements per
    # second alone; no more CPU per device with the whole suite on two cores, where two
    # slots in every service cost a third more).
    batch_slots=2,
)
