"""/v1.0/device_templates: parse, authorize, call the service layer, render."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response

from servicevm_api.entrypoints.deps import Caller, UowDep, authorize
from servicevm_api.entrypoints.errors import ERROR_RESPONSES
from servicevm_api.entrypoints.rendering import Rendering
from servicevm_api.schemas.device_templates import (
    DeviceTemplateCreateRequest,
    DeviceTemplateList,
    DeviceTemplatePublic,
    DeviceTemplateResponse,
    DeviceTemplateShow,
    DeviceTemplateUpdateRequest,
)
from servicevm_api.service_layer import device_templates as service

router = APIRouter(
    prefix="/v1.0/device_templates", tags=["device_templates"], responses=ERROR_RESPONSES
)
TEMPLATE = Rendering(
    "device_template",
    DeviceTemplatePublic,
    {
        "id": uuid.UUID,
        "tenant_id": str,
        "name": str,
        "description": str,
        "device_driver": str,
        "mgmt_driver": str,
        "vim_id": uuid.UUID,
    },
)


@router.post("", status_code=201, response_model=DeviceTemplateResponse)
async def create_device_template(
    body: DeviceTemplateCreateRequest,
    caller: Annotated[Caller, authorize("device_template", "create")],
    uow: UowDep,
) -> DeviceTemplateResponse:
    row = await service.create_template(uow, caller, body.device_template)
    return DeviceTemplateResponse(device_template=TEMPLATE.one(row))


@router.get("", response_model=DeviceTemplateList, response_model_exclude_unset=True)
async def list_device_templates(
    request: Request,
    caller: Annotated[Caller, authorize("device_template", "get_all")],
    uow: UowDep,
) -> dict[str, Any]:
    query = TEMPLATE.list_query(request)
    rows = await service.list_templates(uow, caller, query)
    page, links = TEMPLATE.page(request, query, rows)
    return {"device_templates": page, "device_templates_links": links}


@router.get("/{template_id}", response_model=DeviceTemplateShow, response_model_exclude_unset=True)
async def show_device_template(
    template_id: uuid.UUID,
    request: Request,
    caller: Annotated[Caller, authorize("device_template", "get")],
    uow: UowDep,
) -> dict[str, Any]:
    fields = TEMPLATE.fields(request)
    return TEMPLATE.show(await service.get_template(uow, caller, template_id), fields)


@router.put("/{template_id}", response_model=DeviceTemplateResponse)
async def update_device_template(
    template_id: uuid.UUID,
    body: DeviceTemplateUpdateRequest,
    caller: Annotated[Caller, authorize("device_template", "update")],
    uow: UowDep,
) -> DeviceTemplateResponse:
    row = await service.update_template(uow, caller, template_id, body.device_template)
    return DeviceTemplateResponse(device_template=TEMPLATE.one(row))


@router.delete("/{template_id}", status_code=204, response_class=Response)
async def delete_device_template(
    template_id: uuid.UUID,
    caller: Annotated[Caller, authorize("device_template", "delete")],
    uow: UowDep,
) -> Response:
    await service.delete_template(uow, caller, template_id)
    return Response(status_code=204)
