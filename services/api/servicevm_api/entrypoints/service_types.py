"""/v1.0/service_types: the catalogue of service types the templates offer.

Devices are shared by all projects (unless a template is tenant_bound), so every project
may read the whole catalogue to find the service_type_id of what it wants.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request
from sqlalchemy import Row

from servicevm_api.adapters.orm import service_types
from servicevm_api.entrypoints.deps import Caller, UowDep, authorize
from servicevm_api.entrypoints.resources import Resource
from servicevm_api.entrypoints.schemas import ERROR_RESPONSES, ServiceTypeList, ServiceTypeListItem

router = APIRouter(prefix="/v1.0/service_types", tags=["service_types"], responses=ERROR_RESPONSES)
FILTERABLE = {"id": uuid.UUID, "template_id": uuid.UUID, "tenant_id": str, "service_type": str}


def to_public(row: Row[Any]) -> ServiceTypeListItem:
    return ServiceTypeListItem(
        id=row.id,
        template_id=row.template_id,
        tenant_id=row.tenant_id,
        service_type=row.service_type,
    )


SERVICE_TYPES = Resource("service_type", service_types, FILTERABLE, to_public, readable_by_all=True)


@router.get("", response_model=ServiceTypeList)
async def list_service_types(
    request: Request, caller: Annotated[Caller, authorize("service_type", "get_all")], uow: UowDep
) -> ServiceTypeList:
    page, links = await SERVICE_TYPES.list_page(uow, caller, request)
    return ServiceTypeList(service_types=page, service_types_links=links)


@router.get("/{service_type_id}")
async def show_service_type(
    service_type_id: uuid.UUID,
    request: Request,
    caller: Annotated[Caller, authorize("service_type", "get")],
    uow: UowDep,
) -> dict[str, Any]:
    return await SERVICE_TYPES.show(uow, caller, request, service_type_id)
