"""/v1.0/topology: where everything sits, scoped to the caller's project (admins see all)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from servicevm_api.adapters import repository as repo
from servicevm_api.domain.topology import build_topology
from servicevm_api.entrypoints.deps import Caller, UowDep, authorize
from servicevm_api.entrypoints.fields import Name
from servicevm_api.entrypoints.schemas import ERROR_RESPONSES, TopologyResponse

router = APIRouter(prefix="/v1.0/topology", tags=["topology"], responses=ERROR_RESPONSES)


@router.get("", response_model=TopologyResponse)
async def show_topology(
    caller: Annotated[Caller, authorize("topology", "get")],
    uow: UowDep,
    host: Annotated[list[Name] | None, Query()] = None,
    availability_zone: Annotated[list[Name] | None, Query()] = None,
) -> TopologyResponse:
    filters = {
        name: values
        for name, values in (("host", host), ("availability_zone", availability_zone))
        if values
    }
    devices, instances = await repo.topology_rows(
        uow.conn, tenant_id=None if caller.is_admin else caller.project_id, filters=filters
    )
    return TopologyResponse(topology=build_topology(devices, instances))
