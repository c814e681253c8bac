"""The LCM tasks (instantiate, terminate, scale, ...): one transaction each.

Lock the instance row; 409 unless its instantiationState fits the task and no op occ is in
progress; check what the request names of the VNFD (422); insert the op occ STARTING, set
``operation_in_progress`` and publish ``RunVnfLcmOperation`` (its id is the op occ's).
Should two api replicas both pass the check, the unique partial index on the op occs
refuses the second insert, which is a 409 too.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError

from servicevm_api.caller import Caller
from servicevm_api.errors import ApiError
from servicevm_api.etsi.problem import conflict, unprocessable
from servicevm_api.service_layer.vims import get_vim
from servicevm_api.vnflcm import announce, flavours
from servicevm_api.vnflcm import repository as repo
from servicevm_api.vnflcm.instances import get_instance
from servicevm_api.vnflcm.schemas import TaskRequest, VimConnectionInfo
from servicevm_api.vnflcm.states import NEEDS_INSTANTIATED
from servicevm_api.vnfpkgm import repository as packages
from shared.contracts.vnflcm import RunVnfLcmOperation, VnfFlavourSpec, VnfLcmOperation
from shared.db.uow import UnitOfWork


async def start_task(
    uow: UnitOfWork,
    caller: Caller,
    instance_id: uuid.UUID,
    operation: VnfLcmOperation,
    request: TaskRequest,
) -> uuid.UUID:
    """The op occ id of the accepted task (202)."""
    row = await get_instance(uow, caller, instance_id, lock=True)
    check_state(row, operation)
    params = request.params()
    flavour = await _check_request(uow, row, operation, params)
    vim_id = await resolve_vim(uow, caller, getattr(request, "vimConnectionInfo", None))
    op_occ_id = uuid.uuid4()
    at = datetime.now(UTC)
    op = {
        "id": op_occ_id,
        "tenant_id": row.tenant_id,
        "vnf_instance_id": instance_id,
        "operation": operation,
        "operation_state": "STARTING",
        "operation_params": params,
        "start_time": at,
        "state_entered_time": at,
        "pending_since": at,
    }
    try:
        await repo.add_op_occ(uow.conn, values=op)
    except IntegrityError:
        raise conflict(f"VNF instance {instance_id} has another operation in progress") from None
    await repo.set_instance(uow.conn, instance_id, operation_in_progress=op_occ_id)
    # Ahead of the command: mgmt hears of STARTING before lifecycle can move it on.
    await announce.op_started(uow, row._mapping, op, at=at)
    command = RunVnfLcmOperation(
        id=op_occ_id,
        vnf_instance_id=instance_id,
        tenant_id=row.tenant_id,
        operation=operation,
        operation_params=params,
        flavour=flavour,
        vim_id=vim_id,
    )
    await uow.publish(command, tenant_id=row.tenant_id)
    await uow.commit()
    return op_occ_id


def check_state(row: Row[Any], operation: VnfLcmOperation) -> None:
    wanted = "INSTANTIATED" if NEEDS_INSTANTIATED[operation] else "NOT_INSTANTIATED"
    if row.instantiation_state != wanted:
        raise conflict(
            f"VNF instance {row.id} is {row.instantiation_state}: {operation} needs {wanted}"
        )
    if row.operation_in_progress is not None:
        raise conflict(
            f"VNF instance {row.id} has operation {row.operation_in_progress} in progress"
        )


async def _check_request(
    uow: UnitOfWork, row: Row[Any], operation: VnfLcmOperation, params: dict[str, Any]
) -> VnfFlavourSpec | None:
    """The flavour spec INSTANTIATE / CHANGE_FLAVOUR carry; 422 for what the VNFD lacks."""
    if operation not in ("INSTANTIATE", "CHANGE_FLAVOUR", "SCALE", "SCALE_TO_LEVEL"):
        return None
    package = await packages.get(uow.conn, row.vnf_package_id)
    if package is None:
        raise unprocessable(f"The VNF package {row.vnf_package_id} of this instance is gone")
    info: dict[str, Any] = row.instantiated_vnf_info or {}
    if operation == "INSTANTIATE":
        return flavours.flavour_spec(
            package, params["flavourId"], params.get("instantiationLevelId")
        )
    if operation == "CHANGE_FLAVOUR":
        if params["newFlavourId"] == info.get("flavourId"):
            raise conflict(f"VNF instance {row.id} already has flavour {params['newFlavourId']}")
        return flavours.flavour_spec(
            package, params["newFlavourId"], params.get("instantiationLevelId")
        )
    current = flavours.flavour_of(package.vnfd, str(info.get("flavourId")))
    if operation == "SCALE":
        flavours.check_scale(current, info, params)
    else:
        flavours.check_scale_to_level(current, params)
    return None


async def resolve_vim(
    uow: UnitOfWork, caller: Caller, connections: list[VimConnectionInfo] | None
) -> uuid.UUID | None:
    """The VIM of the first vimConnectionInfo: a VIM registered under /v1.0/vims that the
    caller sees (422 otherwise). None: the templates', the project's default VIM, or the
    embedded local cloud."""
    if not connections:
        return None
    connection = connections[0]
    if connection.vimId is None:
        raise unprocessable(
            f"vimConnectionInfo {connection.id} has no vimId: register the VIM under "
            "/v1.0/vims first and name it by vimId"
        )
    try:
        vim_id = uuid.UUID(connection.vimId)
        await get_vim(uow, caller, vim_id)
    except (ValueError, ApiError):
        raise unprocessable(
            f"vimId {connection.vimId} is not a VIM registered in this project"
        ) from None
    return vim_id
