"""Handlers of the VNF LCM commands: run an operation, act on one (retry, rollback, fail,
cancel). Each is one transaction: the op's record, its first device commands and its
events commit together with the message's inbox row, so a redelivery changes nothing.
None calls anything outside the database (an NFVO's grant is asked by the grant job), so
they share batched transactions (``one_transaction``), which hold their VNF's lease, as
the in-process device creates do: no lease and no transaction of their own per op."""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_lifecycle.adapters import repository as device_repo
from servicevm_lifecycle.vnflcm import repository as repo
from servicevm_lifecycle.vnflcm.domain import opocc, plan
from servicevm_lifecycle.vnflcm.domain import states as st
from servicevm_lifecycle.vnflcm.domain.grants import Grant
from servicevm_lifecycle.vnflcm.domain.model import PlanError, Vnf
from servicevm_lifecycle.vnflcm.domain.opocc import OpOcc, problem
from servicevm_lifecycle.vnflcm.grants import needs_grant
from servicevm_lifecycle.vnflcm.operate import operate_vnfc
from servicevm_lifecycle.vnflcm.progress import finish, now, op_timeout, run_plan
from shared.contracts.vnflcm import (
    OperateVnfc,
    RunVnfLcmOperation,
    VnfIdentifierDeleted,
    VnfLcmOperationAction,
)
from shared.db.uow import UnitOfWork
from shared.messaging.batching import one_transaction
from shared.messaging.dispatch import HandlerContext, HandlerTable

log = logging.getLogger(__name__)


@one_transaction()
async def run_vnf_lcm_op(cmd: RunVnfLcmOperation, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        vnf = await repo.vnf_for_op(uow.conn, vnf_id=cmd.vnf_instance_id, tenant_id=cmd.tenant_id)
        if await repo.get_op(uow.conn, op_id=cmd.id, for_update=True) is not None:
            # Recorded already (another delivery), or cancelled before it started.
            log.info("op occ already recorded", extra={"op_occ_id": str(cmd.id)})
            await uow.commit()
            return
        started = now()
        op = OpOcc(
            id=cmd.id,
            vnf_instance_id=cmd.vnf_instance_id,
            tenant_id=cmd.tenant_id,
            operation=cmd.operation,
            state=st.STARTING,
            operation_params=cmd.operation_params,
            is_automatic_invocation=cmd.is_automatic_invocation,
            start_time=started,
            state_entered_time=started,
        )
        planned: plan.Plan | None = None
        refusal: dict[str, Any] | None = None
        try:
            planned = await compute_plan(uow.conn, vnf, cmd)
        except PlanError as exc:
            refusal = problem("Operation refused", str(exc), 422)
        if planned is not None:
            changed_info = cmd.operation_params if cmd.operation == "MODIFY_INFO" else None
            op = replace(op, steps=planned.steps, target=planned.target, changed_info=changed_info)
            if needs_grant(cmd.operation):
                # The external NFVO decides first: the op stays STARTING with its plan until
                # the grant job has its answer (the HTTP call is not made in a transaction).
                await repo.add_op(uow.conn, op=replace(op, grant=Grant()))
                await uow.commit()
                return
        # PROCESSING is announced even when the op gets further in this transaction (the
        # SOL003 notifications name every state an op goes through); when it does not, the
        # one announcement carries the VNF with its new VNFCs too. The op's row is written
        # once, where it got to, in the same transaction.
        processing = op.enter(st.PROCESSING, started, deadline=started + op_timeout())
        if planned is None:
            refused = processing.enter(st.FAILED_TEMP, started, error=refusal)
            await finish(uow, vnf, processing, refused, unrecorded=True, announce_before=True)
        else:
            running, issued = opocc.advance(processing, started)
            await run_plan(
                uow, vnf, processing, running, issued, unrecorded=True, announce_before=True
            )
        await uow.commit()


async def compute_plan(conn: AsyncConnection, vnf: Vnf, cmd: RunVnfLcmOperation) -> plan.Plan:
    params = cmd.operation_params
    match cmd.operation:
        case "INSTANTIATE" | "CHANGE_FLAVOUR" if cmd.flavour is None:
            raise PlanError(f"{cmd.operation} needs the flavour spec")
        case "INSTANTIATE":
            assert cmd.flavour is not None
            planned = plan.instantiate(vnf, cmd.flavour, params)
            return replace(planned, target=replace(planned.target, vim_id=cmd.vim_id))
        case "CHANGE_FLAVOUR":
            assert cmd.flavour is not None
            return plan.change_flavour(vnf, cmd.flavour, params)
        case "TERMINATE":
            return plan.terminate(vnf, params, graceful_default=_graceful_default())
        case "SCALE":
            return plan.scale(vnf, params)
        case "SCALE_TO_LEVEL":
            return plan.scale_to_level(vnf, params)
        case "HEAL":
            return plan.heal(vnf, params)
        case "OPERATE":
            return plan.operate(vnf, params, graceful_default=_graceful_default())
        case "CHANGE_EXT_CONN":
            return plan.change_ext_conn(vnf, params, await _vnfc_kwargs(conn, vnf))
        case "MODIFY_INFO":
            return plan.modify_info(vnf, params, await _vnfc_kwargs(conn, vnf))
        case _:
            raise PlanError(f"lifecycle does not run {cmd.operation}")


def _graceful_default() -> float:
    """A GRACEFUL stop without a timeout waits as long as the op may run."""
    return op_timeout().total_seconds()


async def _vnfc_kwargs(conn: AsyncConnection, vnf: Vnf) -> dict[uuid.UUID, dict[str, Any]]:
    """Each VNFC device's kwargs now (an UPDATE step keeps them, changing one key)."""
    kwargs = {}
    for vnfc in vnf.vnfcs:
        device = await device_repo.get_device(conn, device_id=vnfc.device_id)
        kwargs[vnfc.device_id] = device.kwargs if device else {}
    return kwargs


@one_transaction()
async def vnf_lcm_op_action(cmd: VnfLcmOperationAction, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        vnf = await repo.vnf_for_op(uow.conn, vnf_id=cmd.vnf_instance_id, tenant_id=cmd.tenant_id)
        op = await repo.get_op(uow.conn, op_id=cmd.id, for_update=True)
        if op is None:
            await _before_start(uow, vnf, cmd)
        elif not st.action_allowed(cmd.action, op.state):
            log.warning(
                "refusing an op occ action that does not fit its state",
                extra={"op_occ_id": str(op.id), "action": cmd.action, "state": op.state},
            )
            # Re-announce the real state so the api's view converges.
            await finish(uow, vnf, op, replace(op, revision=op.revision + 1))
        elif cmd.action == "RETRY" and _refused(op):
            # Its plan was refused: retrying meets the same refusal, through PROCESSING.
            at = now()
            processing = op.enter(st.PROCESSING, at)
            again = processing.enter(st.FAILED_TEMP, at, error=op.error)
            await finish(uow, vnf, processing, again, recorded=op, announce_before=True)
        else:
            at = now()
            entered = _act(op, cmd, at)
            acted, issued = opocc.advance(entered, at)
            if entered.state != op.state:
                # The state the action entered (PROCESSING, ROLLING_BACK) is announced even
                # when its steps are done at once and the op gets further right away.
                await run_plan(uow, vnf, entered, acted, issued, recorded=op, announce_before=True)
            else:
                await run_plan(uow, vnf, op, acted, issued)
        await uow.commit()


def _refused(op: OpOcc) -> bool:
    """An op whose plan was refused (422): nothing was done, nothing can be retried."""
    return op.error is not None and op.error.get("status") == 422 and not op.steps


def _act(op: OpOcc, cmd: VnfLcmOperationAction, at: datetime) -> OpOcc:
    """The op as the action leaves it at ``at``, before its plan moves on."""
    if cmd.action == "FAIL":
        return op.enter(st.FAILED, at)
    if cmd.action == "CANCEL":
        return opocc.cancel(op, cmd.cancel_mode, at)
    if cmd.action == "ROLLBACK":
        return opocc.rollback(op, at, op_timeout())
    retried = opocc.retry(op, at, op_timeout(), uuid.uuid4)
    if needs_grant(op.operation):
        retried = opocc.ask_again(op, retried)
    return retried


async def _before_start(uow: UnitOfWork, vnf: Vnf, cmd: VnfLcmOperationAction) -> None:
    """An action on an op lifecycle has not seen: a CANCEL of a STARTING op (whose run
    command is then ignored) is recorded ROLLED_BACK; anything else is dropped."""
    if cmd.action != "CANCEL" or cmd.operation is None:
        log.warning("action on an unknown op occ dropped", extra={"op_occ_id": str(cmd.id)})
        return
    at = now()
    op = OpOcc(
        id=cmd.id,
        vnf_instance_id=vnf.id,
        tenant_id=cmd.tenant_id,
        operation=cmd.operation,
        state=st.STARTING,
        operation_params={},
        is_automatic_invocation=False,
        start_time=at,
        state_entered_time=at,
    )
    await finish(uow, vnf, None, opocc.cancel(op, cmd.cancel_mode, at))


@one_transaction()
async def vnf_identifier_deleted(event: VnfIdentifierDeleted, ctx: HandlerContext) -> None:
    """The api deleted the VNF instance resource, which it allows only NOT_INSTANTIATED and
    with no op in progress: the aggregate goes too, with its finished op occs' plans."""
    vnf_id = event.vnf_instance.id
    async with ctx.transaction(final=True) as uow:
        vnf = await repo.get_vnf(uow.conn, vnf_id=vnf_id, for_update=True)
        if vnf is None:
            pass
        elif vnf.vnfcs or await repo.open_op(uow.conn, vnf_id=vnf_id) is not None:
            # Not what the api's rules allow; keep what still holds devices or work.
            log.warning("deleted VNF instance still has VNFCs or an op", extra={"vnf": str(vnf_id)})
        else:
            await repo.remove_vnf(uow.conn, vnf_id=vnf_id)
        await uow.commit()


VNFLCM_HANDLERS: HandlerTable = {
    RunVnfLcmOperation: run_vnf_lcm_op,
    VnfLcmOperationAction: vnf_lcm_op_action,
    OperateVnfc: operate_vnfc,
    VnfIdentifierDeleted: vnf_identifier_deleted,
}
