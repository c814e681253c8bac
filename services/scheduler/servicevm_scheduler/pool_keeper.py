"""Periodic job: keep each pool at its desired free slots, give back idle devices, and let
no instance wait for room forever.

Growth also happens at once when a request finds no room, and waiting instances are tried
as soon as a device becomes ACTIVE; this loop catches what events cannot: time passing (idle
devices, stale waits), a pool below its desired free slots, and a wake-up lost to a crash
between a device's projection and its look for waiting instances.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from servicevm_scheduler import placement
from servicevm_scheduler.adapters import repository as repo
from shared.config import Settings
from shared.contracts.models import DeviceStatus
from shared.messaging.dispatch import ServiceStore

log = logging.getLogger(__name__)


async def keep_pools(store: ServiceStore, settings: Settings) -> None:
    while True:
        await asyncio.sleep(settings.reconcile_interval_seconds)
        try:
            await maintain_pools(store, idle_seconds=settings.pool_idle_seconds)
            await retry_waiting(store)
            await fail_stale_waits(store, older_than_seconds=settings.stuck_operation_seconds)
        except Exception:
            log.warning("pool maintenance failed; trying again later", exc_info=True)


async def maintain_pools(store: ServiceStore, *, idle_seconds: float) -> None:
    async with store.engine.connect() as conn:
        template_ids = await repo.templates_with_pools(conn)
    for template_id in template_ids:
        # One transaction per template: a slow or failing one does not hold up the others.
        async with store.unit_of_work(f"req-pool-{uuid.uuid4()}") as uow:
            template = await repo.get_template(uow.conn, template_id=template_id)
            if template is not None:
                await repo.lock_template(uow.conn, template_id=template_id)
                waiting = await repo.waiting_slots(
                    uow.conn, template_id=template_id, policy=template.policy
                )
                await placement.grow(uow, template, waiting_slots=waiting)
                await placement.shrink(uow, template, idle_seconds=idle_seconds)
            await uow.commit()


async def retry_waiting(store: ServiceStore) -> None:
    async with store.engine.connect() as conn:
        template_ids = await repo.templates_with_waiting(conn)
    for template_id in template_ids:
        async with store.unit_of_work(f"req-pool-{uuid.uuid4()}") as uow:
            await placement.place_waiting(uow, template_id=template_id)
            await uow.commit()


async def fail_stale_waits(store: ServiceStore, *, older_than_seconds: float) -> None:
    async with store.unit_of_work(f"req-pool-{uuid.uuid4()}") as uow:
        stale = await repo.stale_waiting_instances(uow.conn, older_than_seconds=older_than_seconds)
        for instance_id in stale:
            instance = await repo.get_instance(uow.conn, instance_id=instance_id, for_update=True)
            if instance is not None and instance.status == DeviceStatus.PENDING_CREATE:
                reason = f"no room became available within {older_than_seconds:.0f}s"
                await placement.fail(uow, instance, reason)
        await uow.commit()
