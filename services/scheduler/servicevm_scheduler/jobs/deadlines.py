"""Periodic job: no service instance stays pending forever in the scheduler.

An instance placed onto its devices waits for mgmt to configure the service, an update or
a delete for its answer: a reply lost with its queue or parked as a dead letter would hold
it (and every 409 its pending state causes) for good. After ``stuck_operation_seconds``
without a change it ends in ERROR with the reason, announced like any change, and can then
be deleted. Instances waiting for room have their own deadline (the pool keeper's).
"""

from __future__ import annotations

import uuid

from servicevm_scheduler.adapters.scheduling import scheduling
from servicevm_scheduler.service_layer.announce import fail
from shared.config import Settings
from shared.contracts.statuses import ServiceInstanceStatus
from shared.messaging.dispatch import ServiceStore
from shared.periodic import every


async def expire_pending_instances(store: ServiceStore, settings: Settings) -> None:
    await every(
        settings.reconcile_interval_seconds,
        lambda: fail_overdue(store, settings.stuck_operation_seconds),
        job="service instance deadline check",
    )


async def fail_overdue(store: ServiceStore, older_than_seconds: float) -> int:
    """End every instance pending past the deadline in ERROR; how many."""
    failed = 0
    async with store.unit_of_work(f"req-instance-deadline-{uuid.uuid4()}") as uow:
        s = scheduling(uow)
        for instance_id in await s.instances.stale_pending(older_than_seconds=older_than_seconds):
            instance = await s.instances.get(instance_id=instance_id, for_update=True)
            if instance is None or instance.status not in ServiceInstanceStatus.PENDING:
                continue
            if not instance.can(ServiceInstanceStatus.ERROR):
                continue
            reason = f"{instance.status} did not finish within {older_than_seconds:.0f}s"
            await fail(s, instance, reason)
            failed += 1
        await uow.commit()
    return failed
