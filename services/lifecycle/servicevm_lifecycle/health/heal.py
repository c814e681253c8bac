"""Health and VNFCs. The ``heal`` action: a DEAD device that is a VNFC gets its VNF healed
through SOL003, as an automatic LCM operation occurrence (``isAutomaticInvocation``) that
replaces that VNFC's device (a new device for the same VDU, then the dead one deleted).
And a VNFC powered off on purpose (OPERATE STOPPED, or being stopped) is not dead."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_lifecycle.adapters.orm import vnfcs
from servicevm_lifecycle.domain.model import Device
from servicevm_lifecycle.vnflcm import repository as vnflcm_repo
from shared.contracts.vnflcm import RunVnfLcmOperation
from shared.db.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Vnfc:
    id: uuid.UUID
    vnf_id: uuid.UUID
    busy_with: uuid.UUID | None  # the VNF's operation in progress, if any


async def vnfc_of(conn: AsyncConnection, device_id: uuid.UUID) -> Vnfc | None:
    """The VNFC the device is, with its VNF's open operation (locked), or None."""
    row = (
        await conn.execute(
            select(vnfcs.c.id, vnfcs.c.vnf_instance_id).where(vnfcs.c.device_id == device_id)
        )
    ).first()
    if row is None:
        return None
    busy = await vnflcm_repo.open_op(conn, vnf_id=row.vnf_instance_id)
    return Vnfc(row.id, row.vnf_instance_id, None if busy is None else busy.id)


async def powered_off(conn: AsyncConnection, device_id: uuid.UUID) -> bool:
    """The device is a VNFC stopped by OPERATE, or its VNF's OPERATE is under way: its
    monitors failing say nothing about its health."""
    row = (
        await conn.execute(
            select(vnfcs.c.vnf_instance_id, vnfcs.c.power_state).where(
                vnfcs.c.device_id == device_id
            )
        )
    ).first()
    if row is None:
        return False
    if row.power_state == "STOPPED":
        return True
    busy = await vnflcm_repo.open_op(conn, vnf_id=row.vnf_instance_id)
    return busy is not None and busy.operation == "OPERATE"


async def heal_vnfc(uow: UnitOfWork, device: Device, vnfc: Vnfc) -> uuid.UUID:
    """Ask (in this transaction) for the heal of that VNFC: lifecycle runs it like an
    operator's, the api adopts its op occ, subscribers are notified of each state."""
    op = RunVnfLcmOperation(
        id=uuid.uuid4(),
        vnf_instance_id=vnfc.vnf_id,
        tenant_id=device.tenant_id,
        operation="HEAL",
        operation_params={
            "vnfcInstanceId": [str(vnfc.id)],
            "cause": device.error_reason or "health monitor failed",
        },
        is_automatic_invocation=True,
    )
    await uow.publish(op, tenant_id=device.tenant_id)
    log.warning("healing a dead VNFC", extra={"device_id": str(device.id), "op_occ_id": str(op.id)})
    return op.id
