"""Periodic job: no row the api set pending itself stays pending forever.

A POST, PUT or DELETE writes its PENDING_* status at once and sends its command; the owner
(lifecycle for devices, the scheduler for service instances) answers with a snapshot, and
from then on the owner's own deadline rules. A command the owner refused without a word,
lost with its queue or parked as a dead letter would leave the row pending, and every
later request on it a 409, for good: after ``stuck_operation_seconds`` with no answer the
row ends in ERROR with the reason, so the client can delete or retry it. A late answer from
the owner (a newer revision) still replaces it.

VNF LCM op occs likewise: one the api inserted STARTING that lifecycle never took up ends
FAILED (lifecycle knows nothing to retry), releasing its VNF; one the api set PROCESSING or
ROLLING_BACK on a retry or rollback that lifecycle never answered ends FAILED_TEMP again.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row

from servicevm_api.adapters import repository as repo
from servicevm_api.adapters.orm import devices, service_instances
from servicevm_api.vnflcm import repository as vnf_repo
from shared.config import Settings
from shared.contracts.vnflcm import VnfLcmOperationAction
from shared.db.uow import UnitOfWork
from shared.messaging.dispatch import ServiceStore
from shared.periodic import every

log = logging.getLogger(__name__)

OWNERS = ((devices, "lifecycle"), (service_instances, "the scheduler"))


async def expire_unanswered(store: ServiceStore, settings: Settings) -> None:
    async def once() -> None:
        await fail_unanswered(store, settings.stuck_operation_seconds)
        await fail_unanswered_op_occs(store, settings.stuck_operation_seconds)

    await every(settings.reconcile_interval_seconds, once, job="pending deadline check")


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


async def fail_unanswered_op_occs(store: ServiceStore, older_than_seconds: float) -> int:
    """End every op occ the api set running and lifecycle never answered; how many."""
    async with store.engine.connect() as conn:
        late = await vnf_repo.unanswered_op_occs(conn, older_than_seconds=older_than_seconds)
    failed = 0
    for vnf_id, op_id in late:
        async with store.unit_of_work(f"req-api-deadline-{uuid.uuid4()}") as uow:
            # Lock order as everywhere: the VNF, then its op occ.
            vnf = await vnf_repo.get_instance(uow.conn, vnf_id, lock=True)
            op = await vnf_repo.get_op_occ(uow.conn, op_id, lock=True)
            at = datetime.now(UTC)
            limit = at - timedelta(seconds=older_than_seconds)
            if op is None or op.pending_since is None or op.pending_since >= limit:
                continue  # answered meanwhile
            detail = (
                f"lifecycle did not take up the {op.operation} within "
                f"{older_than_seconds:.0f}s (its command was lost or parked as a dead letter)"
            )
            state = "FAILED" if op.operation_state == "STARTING" else "FAILED_TEMP"
            log.warning("op occ got no answer", extra={"op_occ_id": str(op_id), "state": state})
            await vnf_repo.set_op_occ(
                uow.conn,
                op_id,
                operation_state=state,
                state_entered_time=at,
                pending_since=None,
                error={
                    "type": "about:blank",
                    "status": 504,
                    "title": "No answer",
                    "detail": detail,
                },
            )
            if state == "FAILED":
                await _withdraw(uow, vnf, op)
            await uow.commit()
            failed += 1
    return failed


async def _withdraw(uow: UnitOfWork, vnf: Row[Any] | None, op: Row[Any]) -> None:
    """Release the VNF and cancel the op at lifecycle, so a run command that still arrives
    (replayed from a dead-letter queue, say) is ignored there instead of running an op the
    client was told had failed."""
    if vnf is not None and vnf.operation_in_progress == op.id:
        await vnf_repo.set_instance(uow.conn, vnf.id, operation_in_progress=None)
    cancel = VnfLcmOperationAction(
        id=op.id,
        vnf_instance_id=op.vnf_instance_id,
        tenant_id=op.tenant_id,
        action="CANCEL",
        cancel_mode="FORCEFUL",
        operation=op.operation,
    )
    await uow.publish(cancel, tenant_id=op.tenant_id)
