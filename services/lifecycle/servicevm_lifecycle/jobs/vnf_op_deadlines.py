"""Periodic job: no VNF LCM operation stays PROCESSING or ROLLING_BACK forever.

A step whose device never settles (a command lost with its queue, a driver hanging past
every timeout) would hold the op. After ``stuck_operation_seconds`` in PROCESSING or
ROLLING_BACK the op ends FAILED_TEMP with the reason, so the user can retry, roll back or
fail it; steps still in flight settle into its plan later. A process restart is not a
failure: the deadline counts from when the op entered its state, not from the process.
"""

from __future__ import annotations

import logging
import uuid

from servicevm_lifecycle.vnflcm import repository as repo
from servicevm_lifecycle.vnflcm.domain import opocc
from servicevm_lifecycle.vnflcm.domain import states as st
from servicevm_lifecycle.vnflcm.progress import finish, now
from shared.config import Settings
from shared.messaging.dispatch import ServiceStore
from shared.periodic import every

log = logging.getLogger(__name__)


async def expire_vnf_operations(store: ServiceStore, settings: Settings) -> None:
    await every(
        settings.reconcile_interval_seconds, lambda: expire_once(store), job="VNF op deadline check"
    )


async def expire_once(store: ServiceStore) -> int:
    """End every running op past its deadline FAILED_TEMP; how many."""
    async with store.engine.connect() as conn:
        overdue = await repo.ops_past_deadline(conn, now=now())
    expired = 0
    for vnf_id, op_id in overdue:
        async with store.unit_of_work(f"req-vnf-op-deadline-{uuid.uuid4()}") as uow:
            # Lock order as everywhere: the VNF, then its op.
            vnf = await repo.get_vnf(uow.conn, vnf_id=vnf_id, for_update=True)
            op = await repo.get_op(uow.conn, op_id=op_id, for_update=True)
            at = now()
            if vnf is None or op is None or op.state not in st.RUNNING:
                continue
            if op.deadline is None or op.deadline >= at:
                continue
            log.warning("VNF LCM op past its deadline", extra={"op_occ_id": str(op_id)})
            await finish(uow, vnf, op, opocc.time_out(op, at))
            await uow.commit()
            expired += 1
    return expired
