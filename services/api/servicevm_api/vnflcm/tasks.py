"""The LCM tasks (instantiate, terminate, scale, ...): one read and one write each.

Read the instance row; 409 unless its instantiationState fits the task and no op occ is in
progress; check what the request names of the VNFD (422); then one statement inserts the op
occ STARTING, sets ``operation_in_progress`` and writes ``RunVnfLcmOperation`` (its id is
the op occ's) to the outbox, only if the row is still the one checked. Of two api replicas
that both pass the check, the second's write finds the row changed, and is checked again
(409); the unique partial index on the op occs refuses a second unfinished one all the same.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from servicevm_api.caller import Caller
from servicevm_api.errors import ApiError
from servicevm_api.etsi.problem import conflict, not_found, unprocessable
from servicevm_api.service_layer.vims import get_vim
from servicevm_api.vnflcm import announce, flavours
from servicevm_api.vnflcm import repository as repo
from servicevm_api.vnflcm.schemas import TaskRequest, VimConnectionInfo
from servicevm_api.vnflcm.states import NEEDS_INSTANTIATED
from shared.contracts.vnflcm import RunVnfLcmOperation, VnfFlavourSpec, VnfLcmOperation
from shared.db.uow import UnitOfWork

# How often a task is checked again when its VNF changed between the read and the write
# (lifecycle's snapshots bump the version): then it answers 409 as for a busy VNF.
_ATTEMPTS = 5


async def start_task(
    uow: UnitOfWork,
    caller: Caller,
    instance_id: uuid.UUID,
    operation: VnfLcmOperation,
    request: TaskRequest,
) -> uuid.UUID:
    """The op occ id of the accepted task (202).

    Two round trips, no transaction around them: the VNF's row (with what the checks need
    of its package) is read, the task checked against it, then one statement writes the op
    occ, the VNF's ``operation_in_progress`` and the outbox rows only if the VNF is still
    at the version read (``repository.start_op_occ``); else it is read and checked again."""
    params = request.params()
    driver = await uow.driver_outside_transaction()
    for _ in range(_ATTEMPTS):
        row = await repo.instance_for_task(
            driver, instance_id, with_package=operation in _CHECKS_PACKAGE
        )
        if row is None or not caller.can_see(row["tenant_id"]):
            raise not_found(f"VNF instance {instance_id} not found")
        check_state(row, operation)
        flavour = _check_request(row, operation, params)
        # A VIM named is read through the unit of work, whose transaction then begins; the
        # write below runs in it and ``uow.commit`` commits it (else a no-op).
        vim_id = await resolve_vim(uow, caller, getattr(request, "vimConnectionInfo", None))
        op_occ_id = uuid.uuid4()
        at = datetime.now(UTC)
        op = {
            "id": op_occ_id,
            "tenant_id": row["tenant_id"],
            "vnf_instance_id": instance_id,
            "operation": operation,
            "operation_state": "STARTING",
            "operation_params": params,
            "start_time": at,
            "state_entered_time": at,
            "pending_since": at,
        }
        # Ahead of the command: mgmt hears of STARTING before lifecycle can move it on.
        await announce.op_started(uow, row, op, at=at)
        command = RunVnfLcmOperation(
            id=op_occ_id,
            vnf_instance_id=instance_id,
            tenant_id=row["tenant_id"],
            operation=operation,
            operation_params=params,
            flavour=flavour,
            vim_id=vim_id,
        )
        await uow.publish(command, tenant_id=row["tenant_id"])
        try:
            started = await repo.start_op_occ(
                driver, op=op, version=row["version"], outbox_rows=uow.take_outbox()
            )
        except asyncpg.UniqueViolationError:
            raise conflict(
                f"VNF instance {instance_id} has another operation in progress"
            ) from None
        if started:
            await uow.commit()
            return op_occ_id
    raise conflict(f"VNF instance {instance_id} has another operation in progress")


# The operations whose request is checked against the VNFD of the VNF's package.
_CHECKS_PACKAGE: frozenset[VnfLcmOperation] = frozenset(
    ("INSTANTIATE", "CHANGE_FLAVOUR", "SCALE", "SCALE_TO_LEVEL")
)


def check_state(row: Mapping[str, Any], operation: VnfLcmOperation) -> None:
    wanted = "INSTANTIATED" if NEEDS_INSTANTIATED[operation] else "NOT_INSTANTIATED"
    if row["instantiation_state"] != wanted:
        raise conflict(
            f"VNF instance {row['id']} is {row['instantiation_state']}: {operation} needs {wanted}"
        )
    if row["operation_in_progress"] is not None:
        raise conflict(
            f"VNF instance {row['id']} has operation {row['operation_in_progress']} in progress"
        )


@dataclass(frozen=True)
class _Package:
    """What ``flavours`` reads of the VNF's package."""

    id: uuid.UUID
    vnfd_id: str
    vnfd: dict[str, Any] | None
    vdu_templates: dict[str, Any]


def _check_request(
    row: Mapping[str, Any], operation: VnfLcmOperation, params: dict[str, Any]
) -> VnfFlavourSpec | None:
    """The flavour spec INSTANTIATE / CHANGE_FLAVOUR carry; 422 for what the VNFD lacks."""
    if operation not in _CHECKS_PACKAGE:
        return None
    if row["package_id"] is None:
        raise unprocessable(f"The VNF package {row['vnf_package_id']} of this instance is gone")
    package = _Package(
        id=row["package_id"],
        vnfd_id=row["package_vnfd_id"],
        vnfd=row["package_vnfd"],
        vdu_templates=row["package_vdu_templates"],
    )
    info: dict[str, Any] = row["instantiated_vnf_info"] or {}
    if operation == "INSTANTIATE":
        return flavours.flavour_spec(
            package, params["flavourId"], params.get("instantiationLevelId")
        )
    if operation == "CHANGE_FLAVOUR":
        if params["newFlavourId"] == info.get("flavourId"):
            raise conflict(f"VNF instance {row['id']} already has flavour {params['newFlavourId']}")
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
