"""/vnflcm/v1/vnf_instances/{id}/<task> (SOL003 5.4.4-5.4.11): 202 with the Location of
the op occ, 409 in the wrong instantiationState or while another op occ is in progress.

Every task is the same route but for its path, its operation and the request body it
validates, so they are registered from one table."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, Response

from servicevm_api.entrypoints.deps import Caller, UowDep, authorize
from servicevm_api.etsi.pages import accepted
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

# (the path under the instance, the operation it starts, the body it takes)
TASKS: tuple[tuple[str, VnfLcmOperation, type[TaskRequest]], ...] = (
    ("instantiate", "INSTANTIATE", InstantiateVnfRequest),
    ("terminate", "TERMINATE", TerminateVnfRequest),
    ("scale", "SCALE", ScaleVnfRequest),
    ("scale_to_level", "SCALE_TO_LEVEL", ScaleVnfToLevelRequest),
    ("heal", "HEAL", HealVnfRequest),
    ("operate", "OPERATE", OperateVnfRequest),
    ("change_flavour", "CHANGE_FLAVOUR", ChangeVnfFlavourRequest),
    ("change_ext_conn", "CHANGE_EXT_CONN", ChangeExtVnfConnectivityRequest),
)


def add_task_route(path: str, operation: VnfLcmOperation, body_model: type[TaskRequest]) -> None:
    async def start_task(
        instance_id: uuid.UUID,
        body: TaskRequest,
        request: Request,
        caller: TaskCaller,
        uow: UowDep,
    ) -> Response:
        op_occ_id = await tasks.start_task(uow, caller, instance_id, operation, body)
        return accepted(request, op_occ_path(op_occ_id))

    # FastAPI validates (and documents) the body by its annotation: this task's own request.
    start_task.__annotations__["body"] = body_model
    router.add_api_route(
        f"/{{instance_id}}/{path}",
        start_task,
        methods=["POST"],
        status_code=202,
        response_class=Response,
        name=path,  # the route's name and operationId, as when each was a function
    )


for _path, _operation, _body_model in TASKS:
    add_task_route(_path, _operation, _body_model)
