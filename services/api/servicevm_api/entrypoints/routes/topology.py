"""/v1.0/topology: where everything sits, scoped to the caller's project (admins see all)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from servicevm_api.entrypoints.deps import Caller, UowDep, authorize
from servicevm_api.entrypoints.errors import ERROR_RESPONSES
from servicevm_api.schemas.fields import Name
from servicevm_api.schemas.topology import TopologyResponse
from servicevm_api.service_layer.topology import get_topology

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
    return TopologyResponse(topology=await get_topology(uow, caller, filters))
