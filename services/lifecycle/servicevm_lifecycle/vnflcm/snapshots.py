"""The VNF and op occ snapshots lifecycle publishes (VnfInstanceChanged, VnfLcmOpOccChanged)."""

from __future__ import annotations

import uuid

from servicevm_lifecycle.vnflcm.domain.model import Step, Vnf, Vnfc
from servicevm_lifecycle.vnflcm.domain.opocc import OpOcc
from shared.contracts.vnflcm import (
    AffectedVnfc,
    ChangeType,
    ScaleInfo,
    VnfcResourceInfo,
    VnfInstanceSnapshot,
    VnfLcmOpOccSnapshot,
)


def op_snapshot(op: OpOcc) -> VnfLcmOpOccSnapshot:
    return VnfLcmOpOccSnapshot(
        id=op.id,
        vnf_instance_id=op.vnf_instance_id,
        tenant_id=op.tenant_id,
        operation=op.operation,
        operation_state=op.state,
        is_automatic_invocation=op.is_automatic_invocation,
        operation_params=op.operation_params,
        start_time=op.start_time,
        state_entered_time=op.state_entered_time,
        is_cancel_pending=op.cancel_requested,
        cancel_mode=op.cancel_mode,
        affected_vnfcs=affected_vnfcs(op),
        changed_info=op.changed_info,
        changed_ext_connectivity=op.changed_ext_connectivity,
        error=op.error,
        revision=op.revision,
        grant_id=op.grant.grant_id if op.grant is not None else None,
    )


def affected_vnfcs(op: OpOcc) -> list[AffectedVnfc]:
    """The net effect on VNFCs of the steps done so far; a rollback's undo cancels the
    forward change it undoes."""
    entries: dict[uuid.UUID, AffectedVnfc] = {}
    done = [s for s in op.steps if s.status == "DONE"]
    recreated = {s.vnfc_id for s in done if s.action == "CREATE"}
    for step in done:
        change = _change(step, recreated)
        if change is not None and (step.action == "CREATE" or step.vnfc_id not in entries):
            entries[step.vnfc_id] = AffectedVnfc(
                id=step.vnfc_id,
                vdu_id=step.vdu_id,
                change_type=change,
                compute_resource=step.device_id,
            )
    for step in op.rollback_steps:
        if step.status == "DONE":
            entries.pop(step.vnfc_id, None)
    return list(entries.values())


def _change(step: Step, recreated: set[uuid.UUID]) -> ChangeType | None:
    if step.action == "CREATE":
        return "ADDED" if step.adds_vnfc else "MODIFIED"
    if step.action == "DELETE":
        # The old device of a healed VNFC, or a failed device a retry replaced.
        return None if step.vnfc_id in recreated else "REMOVED"
    return "MODIFIED"


def vnf_snapshot(vnf: Vnf, current: list[tuple[Vnfc, str]]) -> VnfInstanceSnapshot:
    """The VNF with ``current``, its VNFCs as they are now in this transaction, each with its
    device's status (``repository.vnfcs_with_status``)."""
    return VnfInstanceSnapshot(
        id=vnf.id,
        tenant_id=vnf.tenant_id,
        instantiation_state=vnf.instantiation_state,
        vnfd_id=vnf.flavour.vnfd_id if vnf.flavour else None,
        flavour_id=vnf.flavour.flavour.flavour_id if vnf.flavour else None,
        instantiation_level_id=vnf.instantiation_level_id,
        vnf_state=vnf.vnf_state,
        scale_status=[ScaleInfo(aspect_id=a, scale_level=lv) for a, lv in vnf.scale_status.items()],
        vnfc_resource_info=[
            VnfcResourceInfo(
                id=v.id,
                vdu_id=v.vdu_id,
                device_id=v.device_id,
                status=status,
                power_state=v.power_state,
            )
            for v, status in current
        ],
        vim_id=vnf.vim_id,
        ext_virtual_links=vnf.ext_virtual_links,
        revision=vnf.revision,
    )
