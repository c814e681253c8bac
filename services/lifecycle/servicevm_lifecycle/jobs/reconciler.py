"""Periodic job: no device stays PENDING forever.

Every operation normally ends in ACTIVE or ERROR through its handler, and a crashed worker's
message is redelivered. What is left is a command parked in the dead-letter queue (a bug)
or lost with its queue: its device would wait forever. After ``stuck_operation_seconds``
without a change, the device goes to ERROR with a reason that says so, and is announced
like any other change (projections, notifications). The device can then be deleted.
"""

from __future__ import annotations

import logging
import uuid

from servicevm_lifecycle.adapters import repository as repo
from servicevm_lifecycle.handlers import save_and_announce
from shared.config import Settings
from shared.contracts.models import DeviceStatus
from shared.messaging.dispatch import ServiceStore
from shared.periodic import every

log = logging.getLogger(__name__)


async def reconcile_stuck_operations(store: ServiceStore, settings: Settings) -> None:
    await every(
        settings.reconcile_interval_seconds,
        lambda: fail_stuck_operations(store, settings.stuck_operation_seconds),
        job="reconciliation",
    )


async def fail_stuck_operations(store: ServiceStore, older_than_seconds: float) -> int:
    """Mark devices pending for longer than that ERROR; returns how many."""
    async with store.unit_of_work(f"req-reconcile-{uuid.uuid4()}") as uow:
        stale = await repo.lock_stale_pending_devices(
            uow.conn, statuses=DeviceStatus.PENDING, older_than_seconds=older_than_seconds
        )
        for device_id in stale:
            device = await repo.get_device(uow.conn, device_id=device_id)
            if device is None or not device.can(DeviceStatus.ERROR):
                continue
            reason = f"{device.status} did not finish within {older_than_seconds:.0f}s"
            log.warning(
                "giving up a stuck operation", extra={"device_id": str(device_id), "reason": reason}
            )
            await save_and_announce(uow, device.transition(DeviceStatus.ERROR, error_reason=reason))
        await uow.commit()
    return len(stale)
