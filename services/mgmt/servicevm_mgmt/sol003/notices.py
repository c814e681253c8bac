"""The SOL003 notifications of the api's and lifecycle's events. Pure.

Ids are derived from what is notified (uuid5), so the same fact always yields the same
notification id, whichever mgmt replica handles it and however often.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from shared.contracts import sol003
from shared.contracts.vnflcm import AffectedVnfc, VnfLcmOpOccSnapshot

INSTANCES_PATH = "/vnflcm/v1/vnf_instances"
OP_OCCS_PATH = "/vnflcm/v1/vnf_lcm_op_occs"
SUBSCRIPTIONS_PATH = "/vnflcm/v1/subscriptions"
# What a device is to a VIM-level consumer of computeResource (as the api renders it).
DEVICE_RESOURCE_TYPE = "servicevm.device"


def subscription_href(base_url: str, subscription_id: uuid.UUID) -> str:
    return f"{base_url}{SUBSCRIPTIONS_PATH}/{subscription_id}"


def _links(
    base_url: str, vnf_instance_id: uuid.UUID, op_occ_id: uuid.UUID | None = None
) -> sol003.LccnLinks:
    op = None if op_occ_id is None else sol003.Link(href=f"{base_url}{OP_OCCS_PATH}/{op_occ_id}")
    return sol003.LccnLinks(
        vnfInstance=sol003.Link(href=f"{base_url}{INSTANCES_PATH}/{vnf_instance_id}"),
        vnfLcmOpOcc=op,
    )


def identifier_notification(
    kind: Literal["VnfIdentifierCreationNotification", "VnfIdentifierDeletionNotification"],
    vnf_instance_id: uuid.UUID,
    *,
    at: datetime,
    base_url: str,
) -> sol003.VnfIdentifierCreationNotification | sol003.VnfIdentifierDeletionNotification:
    fields = {
        "id": uuid.uuid5(vnf_instance_id, kind),
        "timeStamp": at,
        "vnfInstanceId": vnf_instance_id,
        "links": _links(base_url, vnf_instance_id),
    }
    if kind == "VnfIdentifierCreationNotification":
        return sol003.VnfIdentifierCreationNotification(notificationType=kind, **fields)
    return sol003.VnfIdentifierDeletionNotification(notificationType=kind, **fields)


def op_notification(
    op: VnfLcmOpOccSnapshot, status: Literal["START", "RESULT"], *, at: datetime, base_url: str
) -> sol003.VnfLcmOperationOccurrenceNotification:
    """START: the op occ entered STARTING. RESULT: it entered ``op.operation_state``, with
    what it changed so far and its error, if any."""
    state = "STARTING" if status == "START" else op.operation_state
    result = status == "RESULT"
    return sol003.VnfLcmOperationOccurrenceNotification(
        id=uuid.uuid5(op.id, f"{status}.{state}.{op.revision if result else 0}"),
        notificationType="VnfLcmOperationOccurrenceNotification",
        timeStamp=at,
        notificationStatus=status,
        operationState=state,
        operation=op.operation,
        isAutomaticInvocation=op.is_automatic_invocation,
        vnfLcmOpOccId=op.id,
        vnfInstanceId=op.vnf_instance_id,
        affectedVnfcs=[_affected(vnfc) for vnfc in op.affected_vnfcs] if result else None,
        affectedVirtualLinks=[] if result else None,
        affectedVirtualStorages=[] if result else None,
        changedInfo=op.changed_info if result else None,
        changedExtConnectivity=op.changed_ext_connectivity if result else None,
        error=sol003.ProblemDetails.model_validate(op.error) if result and op.error else None,
        links=_links(base_url, op.vnf_instance_id, op.id),
    )


def _affected(vnfc: AffectedVnfc) -> sol003.AffectedVnfc:
    return sol003.AffectedVnfc(
        id=str(vnfc.id),
        vduId=vnfc.vdu_id,
        changeType=vnfc.change_type,
        computeResource=sol003.ResourceHandle(
            resourceId=str(vnfc.compute_resource), vimLevelResourceType=DEVICE_RESOURCE_TYPE
        ),
    )
