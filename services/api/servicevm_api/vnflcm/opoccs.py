"""Use cases of op occs: read, list, and the actions retry, rollback, fail, cancel.

An action is checked against SOL003's allowed states (409 otherwise) under the op occ's
VNF row lock, recorded (the accepted state, or cancel pending) and its
``VnfLcmOperationAction`` published in the same transaction. FAIL is final at once: the
op occ is FAILED and the VNF free for another task when the request returns.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row

from servicevm_api.caller import Caller
from servicevm_api.etsi.problem import conflict, not_found
from servicevm_api.vnflcm import repository as repo
from servicevm_api.vnflcm.states import ACCEPTED_STATE, ACTION_FROM, action_allowed
from shared.contracts.vnflcm import ActionName, CancelMode, VnfLcmOperationAction
from shared.db.uow import UnitOfWork


async def get_op_occ(
    uow: UnitOfWork, caller: Caller, op_occ_id: uuid.UUID, *, lock: bool = False
) -> Row[Any]:
    row = await repo.get_op_occ(uow.conn, op_occ_id, lock=lock)
    if row is None or not caller.can_see(row.tenant_id):
        raise not_found(f"VNF LCM operation occurrence {op_occ_id} not found")
    return row


async def list_op_occs(uow: UnitOfWork, caller: Caller) -> list[Row[Any]]:
    return await repo.list_op_occs(uow.conn, tenant_id=caller.visible_tenant)


async def act(
    uow: UnitOfWork,
    caller: Caller,
    op_occ_id: uuid.UUID,
    action: ActionName,
    cancel_mode: CancelMode | None = None,
) -> Row[Any]:
    """The op occ once the action is accepted."""
    found = await get_op_occ(uow, caller, op_occ_id)
    # The VNF row first, as the tasks and the event handlers lock: no deadlock.
    await repo.get_instance(uow.conn, found.vnf_instance_id, lock=True)
    row = await get_op_occ(uow, caller, op_occ_id, lock=True)
    if not action_allowed(action, row.operation_state):
        allowed = " or ".join(sorted(ACTION_FROM[action]))
        raise conflict(
            f"VNF LCM operation occurrence {op_occ_id} is {row.operation_state}: "
            f"{action.lower()} needs {allowed}"
        )
    if action == "CANCEL" and row.is_cancel_pending:
        raise conflict(f"VNF LCM operation occurrence {op_occ_id} is already being cancelled")
    await repo.set_op_occ(uow.conn, op_occ_id, **_accepted(action, cancel_mode))
    if action == "FAIL":
        await _release(uow, row)
    command = VnfLcmOperationAction(
        id=op_occ_id,
        vnf_instance_id=row.vnf_instance_id,
        tenant_id=row.tenant_id,
        action=action,
        cancel_mode=cancel_mode if action == "CANCEL" else None,
        operation=row.operation,
    )
    await uow.publish(command, tenant_id=row.tenant_id)
    await uow.commit()
    return await get_op_occ(uow, caller, op_occ_id)


def _accepted(action: ActionName, cancel_mode: CancelMode | None) -> dict[str, Any]:
    if action == "CANCEL":
        return {"is_cancel_pending": True, "cancel_mode": cancel_mode or "GRACEFUL"}
    state = ACCEPTED_STATE[action]
    at = datetime.now(UTC)
    values: dict[str, Any] = {"operation_state": state, "state_entered_time": at}
    if action != "FAIL":
        values["error"] = None
        values["pending_since"] = at  # running again, until lifecycle answers
    else:
        values["pending_since"] = None  # final here
    return values


async def _release(uow: UnitOfWork, op: Row[Any]) -> None:
    vnf = await repo.get_instance(uow.conn, op.vnf_instance_id, lock=True)
    if vnf is not None and vnf.operation_in_progress == op.id:
        await repo.set_instance(uow.conn, vnf.id, operation_in_progress=None)
