"""Persist an op's progress in the caller's transaction: issue the steps the domain handed
back, apply the op's target when it completes, record it, and announce what changed."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from servicevm_lifecycle.vnflcm import repository as repo
from servicevm_lifecycle.vnflcm import steps as step_io
from servicevm_lifecycle.vnflcm.domain import opocc
from servicevm_lifecycle.vnflcm.domain import states as st
from servicevm_lifecycle.vnflcm.domain.model import Step, Vnf, VnfTarget
from servicevm_lifecycle.vnflcm.domain.opocc import OpOcc
from servicevm_lifecycle.vnflcm.snapshots import op_snapshot, vnf_snapshot
from shared.config import get_settings
from shared.contracts.vnflcm import VnfInstanceChanged, VnfInstanceSnapshot, VnfLcmOpOccChanged
from shared.db.uow import UnitOfWork

log = logging.getLogger(__name__)


def now() -> datetime:
    return datetime.now(UTC)


def op_timeout() -> timedelta:
    return timedelta(seconds=get_settings().stuck_operation_seconds)


async def run_plan(
    uow: UnitOfWork,
    vnf: Vnf,
    before: OpOcc | None,
    op: OpOcc,
    issued: list[Step],
    *,
    recorded: OpOcc | None = None,
    unrecorded: bool = False,
    announce_before: bool = False,
) -> None:
    """``op`` as ``advance`` returned it, ``issued`` its steps to send now. A step done
    where it was issued (a DELETE whose device is gone already, a CREATE by an in-process
    driver) settles at once, and the plan advances again. ``recorded``, ``unrecorded`` and
    ``announce_before``: see ``finish``."""
    while issued:
        done_here: list[tuple[Step, step_io.SettledNow]] = []
        for step in issued:
            outcome = await step_io.issue(uow, vnf, op, step)
            if outcome is not None:
                done_here.append((step, outcome))
        issued = []
        for step, outcome in done_here:
            settled = opocc.settle(
                op, step.device_id, outcome.actions, ok=outcome.ok, reason=outcome.reason
            )
            if settled is not None:
                op, done = settled
                if not outcome.applied:
                    await step_io.apply_settled(uow, done)
        if done_here:
            op, issued = opocc.advance(op, now())
    await finish(
        uow,
        vnf,
        before,
        op,
        recorded=recorded,
        unrecorded=unrecorded,
        announce_before=announce_before,
    )


async def finish(
    uow: UnitOfWork,
    vnf: Vnf,
    before: OpOcc | None,
    op: OpOcc,
    *,
    recorded: OpOcc | None = None,
    unrecorded: bool = False,
    announce_before: bool = False,
) -> None:
    """Record the op; on COMPLETED / ROLLED_BACK update the VNF; announce both. ``before``
    is the op as last announced (None: neither announced nor recorded yet); ``recorded``,
    when the caller knows it, the op exactly as its row holds it: then only what differs is
    written; ``unrecorded``: the op has no row yet (one INSERT of where it got to, not an
    INSERT then an UPDATE); ``announce_before``: ``before`` is a state the op entered in
    this transaction and not announced yet (PROCESSING): announced first if the op got
    further, else it is ``op`` itself, announced once with the VNF."""
    unchanged = vnf
    changed_state = before is None or before.state != op.state
    if changed_state and op.state == st.COMPLETED:
        vnf = apply_target(vnf, op.target)
        if op.operation == "CHANGE_EXT_CONN":
            op = replace(op, changed_ext_connectivity=op.target.ext_virtual_links)
    elif changed_state and op.state == st.ROLLED_BACK and op.operation == "INSTANTIATE":
        vnf = apply_target(
            vnf, VnfTarget(instantiation_state="NOT_INSTANTIATED", clear_flavour=True)
        )
    if before is None or unrecorded:
        await repo.add_op(uow.conn, op=op)
    else:
        await repo.save_op(uow.conn, op=op, before=recorded)
    snapshot = await _save_vnf(uow, vnf, changed=vnf is not unchanged)
    op_changed = before is None or before.revision != op.revision
    # The SOL003 notifications name every state an op goes through: ``before`` too, in the
    # same message.
    passed = [before] if announce_before and before is not None and op_changed else []
    if op_changed or announce_before:
        # One message with both: the VNF applies first, so whoever sees the op COMPLETED
        # has seen the VNF it completed already.
        await announce_op(uow, op, vnf=snapshot, passed=passed)
    else:
        await uow.publish(VnfInstanceChanged(vnf_instance=snapshot), tenant_id=vnf.tenant_id)


async def announce_op(
    uow: UnitOfWork,
    op: OpOcc,
    *,
    vnf: VnfInstanceSnapshot | None = None,
    passed: list[OpOcc] | None = None,
) -> None:
    """The op's snapshot; ``vnf``: the VNF's, changed by the same change; ``passed``: the
    states the op went through before ``op`` in this transaction, not announced yet."""
    passed = passed or []
    for state in (*passed, op):
        log.info(
            "VNF LCM op occ changed",
            extra={"op_occ_id": str(op.id), "state": state.state, "operation": op.operation},
        )
    await uow.publish(
        VnfLcmOpOccChanged(
            op_occ=op_snapshot(op),
            vnf_instance=vnf,
            passed=[op_snapshot(state) for state in passed],
        ),
        tenant_id=op.tenant_id,
    )


async def announce_vnf(uow: UnitOfWork, vnf: Vnf, *, changed: bool = True) -> Vnf:
    """A new revision of the VNF, announced; ``changed=False``: only its VNFCs changed, and
    only the revision is written."""
    snapshot = await _save_vnf(uow, vnf, changed=changed)
    await uow.publish(VnfInstanceChanged(vnf_instance=snapshot), tenant_id=vnf.tenant_id)
    return replace(vnf, revision=snapshot.revision)


async def _save_vnf(uow: UnitOfWork, vnf: Vnf, *, changed: bool) -> VnfInstanceSnapshot:
    """Write the VNF's next revision (``changed=False``: only the revision), and its
    snapshot with its VNFCs as they are now."""
    vnf = replace(vnf, revision=vnf.revision + 1)
    if changed:
        current = await repo.save_vnf(uow.conn, vnf=vnf)
    else:
        current = await repo.save_vnf_revision(uow.conn, vnf=vnf)
    return vnf_snapshot(vnf, current)


def apply_target(vnf: Vnf, target: VnfTarget) -> Vnf:
    if target.clear_flavour:
        vnf = replace(
            vnf,
            flavour=None,
            instantiation_level_id=None,
            scale_status={},
            vnf_state=None,
            ext_virtual_links=[],
            vim_id=None,
        )
    changes = {
        "instantiation_state": target.instantiation_state,
        "flavour": target.flavour,
        "instantiation_level_id": target.instantiation_level_id,
        "scale_status": target.scale_status,
        "vnf_state": target.vnf_state,
        "vim_id": target.vim_id,
        "ext_virtual_links": target.ext_virtual_links,
    }
    return replace(vnf, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]
