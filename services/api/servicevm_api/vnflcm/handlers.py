"""The api's projection of lifecycle's VNF LCM events.

- ``vnf_lcm_op_occ.changed``: the op occ row takes the snapshot when its revision is
  higher than the one applied; a final state releases the VNF's ``operation_in_progress``.
  An op occ the api marked final (FAIL, or a deadline) keeps its state: the VNF may have
  started another operation since, which the unique index would otherwise refuse. An op occ the
  api has not seen (lifecycle started it, e.g. an automatic heal) is added.
- ``vnf_instance.changed``: instantiationState and instantiatedVnfInfo, by revision; the
  same from the VNF snapshot a ``vnf_lcm_op_occ.changed`` carries, applied before its op.

Both lock the VNF row first, as the tasks do (the first in the statement that takes the
VNF's view and the op occ, the second by its one conditional UPDATE).
"""

from __future__ import annotations

import logging
from typing import Any

import asyncpg

from servicevm_api.vnflcm import repository as repo
from servicevm_api.vnflcm.instances import merge_vim_connections
from servicevm_api.vnflcm.rendering import instantiated_vnf_info
from servicevm_api.vnflcm.states import FINAL, is_final
from shared.contracts.vnflcm import (
    VnfInstanceChanged,
    VnfInstanceSnapshot,
    VnfLcmOpOccChanged,
    VnfLcmOpOccSnapshot,
)
from shared.db.uow import UnitOfWork
from shared.messaging.batching import one_transaction
from shared.messaging.dispatch import HandlerContext, HandlerTable

log = logging.getLogger(__name__)


def op_columns(op: VnfLcmOpOccSnapshot) -> dict[str, Any]:
    dumped = op.model_dump(mode="json")
    return {
        "operation_state": op.operation_state,
        "state_entered_time": op.state_entered_time,
        "is_cancel_pending": op.is_cancel_pending,
        "cancel_mode": op.cancel_mode,
        "affected_vnfcs": dumped["affected_vnfcs"],
        "changed_info": op.changed_info,
        "changed_ext_connectivity": op.changed_ext_connectivity,
        "error": op.error,
        "revision": op.revision,
        "grant_id": op.grant_id,
        "pending_since": None,  # lifecycle answered: its own deadline rules now
    }


@one_transaction()
async def vnf_lcm_op_occ_changed(event: VnfLcmOpOccChanged, ctx: HandlerContext) -> None:
    op = event.op_occ
    async with ctx.transaction(final=True) as uow:
        driver = await uow.driver()
        # The VNF first, as lifecycle changed it, then its op occ: one statement.
        view = None if event.vnf_instance is None else _view(event.vnf_instance)
        taken = await repo.take_op_occ(driver, op, final=FINAL, vnf=view)
        if taken is None:  # deleted since; nothing to show it on
            await uow.commit()
            return
        vnf, held = taken
        if held is None:
            await _adopt(uow, op, vnf.operation_in_progress)
        elif held.taken:
            await _on_vnf(driver, vnf, op)
        elif op.revision > held.revision:
            # A FAIL's FAILED is taken with lifecycle's details; anything else is not (a
            # deadline's FAILED stays, not the ROLLED_BACK of its cancel at lifecycle).
            log.warning(
                "op occ final in the api; later different snapshot ignored",
                extra={"op_occ_id": str(op.id), "state": op.operation_state},
            )
        await uow.commit()


async def _adopt(uow: UnitOfWork, op: VnfLcmOpOccSnapshot, in_progress: Any) -> None:
    values = {
        "id": op.id,
        "tenant_id": op.tenant_id,
        "vnf_instance_id": op.vnf_instance_id,
        "operation": op.operation,
        "is_automatic_invocation": op.is_automatic_invocation,
        "operation_params": op.operation_params,
        "start_time": op.start_time,
        **op_columns(op),
    }
    if not await repo.add_op_occ_if_absent(uow.conn, values=values):
        log.warning("op occ from lifecycle not added", extra={"op_occ_id": str(op.id)})
        return
    if in_progress is None and not is_final(op.operation_state):
        await repo.set_instance(uow.conn, op.vnf_instance_id, operation_in_progress=op.id)


async def _on_vnf(
    driver: asyncpg.Connection, vnf: repo.LockedInstance, op: VnfLcmOpOccSnapshot
) -> None:
    values: dict[str, Any] = {}
    if is_final(op.operation_state) and vnf.operation_in_progress == op.id:
        values["operation_in_progress"] = None
    if op.operation_state == "COMPLETED" and op.operation in ("INSTANTIATE", "CHANGE_FLAVOUR"):
        given = op.operation_params.get("vimConnectionInfo") or []
        if given:
            values["vim_connection_info"] = merge_vim_connections(vnf.vim_connection_info, given)
    if op.operation_state == "COMPLETED" and op.operation == "MODIFY_INFO":
        pushed = (op.changed_info or {}).get("vnfConfigurableProperties")
        if pushed is not None:  # what lifecycle pushed to every VNFC
            values["vnf_configurable_properties"] = pushed
    if values:
        await repo.set_locked_instance(driver, vnf.id, **values)


@one_transaction()
async def vnf_instance_changed(event: VnfInstanceChanged, ctx: HandlerContext) -> None:
    async with ctx.transaction(final=True) as uow:
        await _take_vnf(await uow.driver(), event.vnf_instance)
        await uow.commit()


async def _take_vnf(driver: asyncpg.Connection, snapshot: VnfInstanceSnapshot) -> None:
    await repo.take_instance_snapshot(driver, snapshot.id, _view(snapshot))


def _view(snapshot: VnfInstanceSnapshot) -> repo.VnfView:
    return repo.VnfView(
        revision=snapshot.revision,
        instantiation_state=snapshot.instantiation_state,
        instantiated_vnf_info=instantiated_vnf_info(snapshot),
    )


HANDLERS: HandlerTable = {
    VnfLcmOpOccChanged: vnf_lcm_op_occ_changed,
    VnfInstanceChanged: vnf_instance_changed,
}
