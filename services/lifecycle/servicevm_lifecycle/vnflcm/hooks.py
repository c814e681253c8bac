"""The one hook the device handlers call, in their own transaction, whenever lifecycle
records a device status change (or a device's deletion): if the device is a VNFC whose op
is waiting for it, the op's step settles and the plan advances in the same transaction.

Lock order, everywhere: device row (the caller's), then the VNF row, then its op row.
"""

from __future__ import annotations

import uuid

from servicevm_lifecycle.domain.model import Device
from servicevm_lifecycle.vnflcm import repository as repo
from servicevm_lifecycle.vnflcm import steps as step_io
from servicevm_lifecycle.vnflcm.domain import opocc
from servicevm_lifecycle.vnflcm.domain.model import Step, StepAction, Vnf
from servicevm_lifecycle.vnflcm.progress import announce_vnf, finish, now, run_plan
from shared.contracts.models import DeviceStatus
from shared.db.uow import UnitOfWork

S = DeviceStatus
_BUILT: frozenset[StepAction] = frozenset({"CREATE", "UPDATE"})
_ANY: frozenset[StepAction] = frozenset({"CREATE", "UPDATE", "DELETE"})
_DELETED: frozenset[StepAction] = frozenset({"DELETE"})


async def device_changed(uow: UnitOfWork, device: Device, *, deleted: bool = False) -> None:
    vnf_id = vnf_of(device)
    if vnf_id is None:
        return
    # Its VNFCs are read only if no op step settles (step_settled reads none of them).
    vnf = await repo.get_vnf(uow.conn, vnf_id=vnf_id, for_update=True, with_vnfcs=False)
    if vnf is None:
        return
    if deleted:
        outcome: tuple[frozenset[StepAction], bool] | None = (_DELETED, True)
    elif device.status == S.ACTIVE:
        outcome = (_BUILT, True)
    elif device.status == S.ERROR:
        outcome = (_ANY, False)
    else:
        outcome = None
    op = await repo.open_op(uow.conn, vnf_id=vnf_id) if outcome else None
    settled = None
    if op is not None and outcome is not None:
        actions, ok = outcome
        settled = opocc.settle(op, device.id, actions, ok=ok, reason=device.error_reason)
    if op is None or settled is None:
        # Not a step of an op: the VNF's view of its VNFC's status still changes.
        if any(v.device_id == device.id for v in await repo.vnfcs_of(uow.conn, vnf_id=vnf_id)):
            await announce_vnf(uow, vnf, changed=False)
        return
    await step_settled(uow, vnf, op, settled)


async def step_settled(
    uow: UnitOfWork, vnf: Vnf, before: opocc.OpOcc, settled: tuple[opocc.OpOcc, Step]
) -> None:
    """A step's outcome is in ``settled``: apply it, advance the plan, record, announce.
    ``vnf.vnfcs`` are not read (the caller may leave them out): the VNF's announcement
    re-reads its VNFCs."""
    op, step = settled
    await step_io.apply_settled(uow, step)
    op, issued = opocc.advance(op, now())
    # ``before`` is the op as read in this transaction: its row holds exactly that.
    if issued:
        await run_plan(uow, vnf, before, op, issued, recorded=before)
    else:
        await finish(uow, vnf, before, op, recorded=before)


def vnf_of(device: Device) -> uuid.UUID | None:
    """The VNF instance a device is a VNFC of (its ``vnf_instance_id`` kwarg), if any."""
    value = device.kwargs.get("vnf_instance_id")
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
