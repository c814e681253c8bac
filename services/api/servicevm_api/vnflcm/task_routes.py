"""/vnflcm/v1/vnf_instances/{id}/<task> (SOL003 5.4.4-5.4.11): 202 with the Location of
the op occ, 409 in the wrong instantiationState or while another op occ is in progress."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, Response

from servicevm_api.entrypoints.deps import Caller, UowDep, authorize
from servicevm_api.etsi.responses import PROBLEM_RESPONSES
from servicevm_api.vnflcm import tasks
from servicevm_api.vnflcm.rendering import INSTANCES_PATH, op_occ_path
from servicevm_api.vnflcm.schemas import (
    ChangeExtVnfConnectivityRequest,
    ChangeVnfFlavourRequest,
    HealVnfRequest,
    InstantiateVnfRequest,
    OperateVnfRequest,
    ScaleVnfRequest,
    ScaleVnfToLevelRequest,
    TaskRequest,
    TerminateVnfRequest,
)
from shared.contracts.vnflcm import VnfLcmOperation

router = APIRouter(prefix=INSTANCES_PATH, tags=["vnf_instances"], responses=PROBLEM_RESPONSES)

TaskCaller = Annotated[Caller, authorize("vnf_instance", "task")]


async def _accepted(
    request: Request,
    uow: UowDep,
    caller: Caller,
    instance_id: uuid.UUID,
    operation: VnfLcmOperation,
    body: TaskRequest,
) -> Response:
    op_occ_id = await tasks.start_task(uow, caller, instance_id, operation, body)
    location = str(request.base_url).rstrip("/") + op_occ_path(op_occ_id)
    return Response(status_code=202, headers={"Location": location})


@router.post("/{instance_id}/instantiate", status_code=202, response_class=Response)
async def instantiate(
    instance_id: uuid.UUID,
    body: InstantiateVnfRequest,
    request: Request,
    caller: TaskCaller,
    uow: UowDep,
) -> Response:
    return await _accepted(request, uow, caller, instance_id, "INSTANTIATE", body)


@router.post("/{instance_id}/terminate", status_code=202, response_class=Response)
async def terminate(
    instance_id: uuid.UUID,
    body: TerminateVnfRequest,
    request: Request,
    caller: TaskCaller,
    uow: UowDep,
) -> Response:
    return await _accepted(request, uow, caller, instance_id, "TERMINATE", body)


@router.post("/{instance_id}/scale", status_code=202, response_class=Response)
async def scale(
    instance_id: uuid.UUID, body: ScaleVnfRequest, request: Request, caller: TaskCaller, uow: UowDep
) -> Response:
    return await _accepted(request, uow, caller, instance_id, "SCALE", body)


@router.post("/{instance_id}/scale_to_level", status_code=202, response_class=Response)
async def scale_to_level(
    instance_id: uuid.UUID,
    body: ScaleVnfToLevelRequest,
    request: Request,
    caller: TaskCaller,
    uow: UowDep,
) -> Response:
    return await _accepted(request, uow, caller, instance_id, "SCALE_TO_LEVEL", body)


@router.post("/{instance_id}/heal", status_code=202, response_class=Response)
async def heal(
    instance_id: uuid.UUID, body: HealVnfRequest, request: Request, caller: TaskCaller, uow: UowDep
) -> Response:
    return await _accepted(request, uow, caller, instance_id, "HEAL", body)


@router.post("/{instance_id}/operate", status_code=202, response_class=Response)
async def operate(
    instance_id: uuid.UUID,
    body: OperateVnfRequest,
    request: Request,
    caller: TaskCaller,
    uow: UowDep,
) -> Response:
    return await _accepted(request, uow, caller, instance_id, "OPERATE", body)


@router.post("/{instance_id}/change_flavour", status_code=202, response_class=Response)
async def change_flavour(
    instance_id: uuid.UUID,
    body: ChangeVnfFlavourRequest,
    request: Request,
    caller: TaskCaller,
    uow: UowDep,
) -> Response:
    return await _accepted(request, uow, caller, instance_id, "CHANGE_FLAVOUR", body)


@router.post("/{instance_id}/change_ext_conn", status_code=202, response_class=Response)
async def change_ext_conn(
    instance_id: uuid.UUID,
    body: ChangeExtVnfConnectivityRequest,
    request: Request,
    caller: TaskCaller,
    uow: UowDep,
) -> Response:
    return await _accepted(request, uow, caller, instance_id, "CHANGE_EXT_CONN", body)
