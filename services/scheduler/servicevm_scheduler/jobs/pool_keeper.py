"""Periodic job: keep each pool at its desired free slots, give back idle devices, and let
no instance wait for room forever.

Growth also happens at once when a request finds no room, and waiting instances are tried
as soon as a device becomes ACTIVE; this loop catches what events cannot: time passing (idle
devices, stale waits), a pool below its desired free slots, and a wake-up lost to a crash
between a device's projection and its look for waiting instances.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from servicevm_scheduler.adapters.scheduling import scheduling
from servicevm_scheduler.adapters.templates import SqlTemplates
from servicevm_scheduler.adapters.waiting import SqlWaiting
from servicevm_scheduler.service_layer.announce import fail
from servicevm_scheduler.service_layer.placing import place_waiting
from servicevm_scheduler.service_layer.pools import grow, shrink
from shared.contracts.statuses import ServiceInstanceStatus
from shared.messaging.dispatch import ServiceStore
from shared.periodic import every


@dataclass(frozen=True)
class PoolKeeper:
    store: ServiceStore
    interval_seconds: float
    # A pool device unused this long may be released (beyond the desired free slots).
    idle_seconds: float
    # An instance waiting for room this long fails.
    stale_wait_seconds: float

    async def run(self) -> None:
        await every(self.interval_seconds, self.round, job="pool maintenance")

    async def round(self) -> None:
        await self.maintain_pools()
        await self.retry_waiting()
        await self.fail_stale_waits()

    async def maintain_pools(self) -> None:
        async with self.store.engine.connect() as conn:
            template_ids = await SqlTemplates(conn).with_pools()
        for template_id in template_ids:
            # One transaction per template: a slow or failing one does not hold up the others.
            async with self.store.unit_of_work(f"req-pool-{uuid.uuid4()}") as uow:
                s = scheduling(uow)
                template = await s.templates.get(template_id=template_id)
                if template is not None:
                    await s.templates.lock(template_id=template_id)
                    waiting = await s.waiting.slots(template_id=template_id, policy=template.policy)
                    await grow(s, template, waiting_slots=waiting)
                    await shrink(s, template, idle_seconds=self.idle_seconds)
                await uow.commit()

    async def retry_waiting(self) -> None:
        async with self.store.engine.connect() as conn:
            template_ids = await SqlWaiting(conn).templates()
        for template_id in template_ids:
            async with self.store.unit_of_work(f"req-pool-{uuid.uuid4()}") as uow:
                await place_waiting(scheduling(uow), template_id=template_id)
                await uow.commit()

    async def fail_stale_waits(self) -> None:
        older_than = self.stale_wait_seconds
        async with self.store.unit_of_work(f"req-pool-{uuid.uuid4()}") as uow:
            s = scheduling(uow)
            for instance_id in await s.waiting.stale(older_than_seconds=older_than):
                instance = await s.instances.get(instance_id=instance_id, for_update=True)
                if instance is not None and instance.status == ServiceInstanceStatus.PENDING_CREATE:
                    reason = f"no room became available within {older_than:.0f}s"
                    if instance.requested_devices:
                        reason = (
                            f"a requested device did not become ACTIVE within {older_than:.0f}s"
                        )
                    await fail(s, instance, reason)
            await uow.commit()
