"""Periodic job: no row the api set PENDING_* itself stays pending forever.

A POST, PUT or DELETE writes its PENDING_* status at once and sends its command; the owner
(lifecycle for devices, the scheduler for service instances) answers with a snapshot, and
from then on the owner's own deadline rules. A command the owner refused without a word,
lost with its queue or parked as a dead letter would leave the row pending, and every
later request on it a 409, for good: after ``stuck_operation_seconds`` with no answer the
row ends in ERROR with the reason, so the client can delete or retry it. A late answer from
the owner (a newer revision) still replaces it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from servicevm_api.adapters import repository as repo
from servicevm_api.adapters.orm import devices, service_instances
from shared.config import Settings
from shared.messaging.dispatch import ServiceStore

log = logging.getLogger(__name__)

OWNERS = ((devices, "lifecycle"), (service_instances, "the scheduler"))


async def expire_unanswered(store: ServiceStore, settings: Settings) -> None:
    while True:
        await asyncio.sleep(settings.reconcile_interval_seconds)
        try:
            await fail_unanswered(store, settings.stuck_operation_seconds)
        except Exception:
            log.warning("pending deadline check failed; trying again later", exc_info=True)


async def fail_unanswered(store: ServiceStore, older_than_seconds: float) -> int:
    """End every unanswered pending row past the deadline in ERROR; how many."""
    failed = 0
    async with store.unit_of_work(f"req-api-deadline-{uuid.uuid4()}") as uow:
        for table, owner in OWNERS:
            ids = await repo.fail_unanswered(
                uow.conn, table=table, owner=owner, older_than_seconds=older_than_seconds
            )
            for row_id in ids:
                log.warning(
                    "a pending request got no answer; now ERROR",
                    extra={"resource": table.name, "id": str(row_id), "owner": owner},
                )
            failed += len(ids)
        await uow.commit()
    return failed
