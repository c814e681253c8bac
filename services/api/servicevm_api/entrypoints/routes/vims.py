"""/v1.0/vims: parse, authorize, call the service layer, render."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response

from servicevm_api.entrypoints.deps import Caller, UowDep, authorize
from servicevm_api.entrypoints.errors import ERROR_RESPONSES
from servicevm_api.entrypoints.listing import boolean
from servicevm_api.entrypoints.rendering import Rendering
from servicevm_api.schemas.vims import (
    VimCreateRequest,
    VimList,
    VimPublic,
    VimResponse,
    VimShow,
    VimUpdateRequest,
)
from servicevm_api.service_layer import vims as service

router = APIRouter(prefix="/v1.0/vims", tags=["vims"], responses=ERROR_RESPONSES)
FILTERABLE: dict[str, Callable[[str], Any]] = {
    "id": uuid.UUID,
    "tenant_id": str,
    "name": str,
    "type": str,
    "auth_url": str,
    "region_name": str,
    "is_default": boolean,
    "status": str,
}
VIM = Rendering("vim", VimPublic, FILTERABLE)


@router.post("", status_code=201, response_model=VimResponse)
async def create_vim(
    body: VimCreateRequest, caller: Annotated[Caller, authorize("vim", "create")], uow: UowDep
) -> VimResponse:
    return VimResponse(vim=VIM.one(await service.register_vim(uow, caller, body.vim)))


@router.get("", response_model=VimList, response_model_exclude_unset=True)
async def list_vims(
    request: Request, caller: Annotated[Caller, authorize("vim", "get_all")], uow: UowDep
) -> dict[str, Any]:
    query = VIM.list_query(request)
    page, links = VIM.page(request, query, await service.list_vims(uow, caller, query))
    return {"vims": page, "vims_links": links}


@router.get("/{vim_id}", response_model=VimShow, response_model_exclude_unset=True)
async def show_vim(
    vim_id: uuid.UUID,
    request: Request,
    caller: Annotated[Caller, authorize("vim", "get")],
    uow: UowDep,
) -> dict[str, Any]:
    fields = VIM.fields(request)
    return VIM.show(await service.get_vim(uow, caller, vim_id), fields)


@router.put("/{vim_id}", response_model=VimResponse)
async def update_vim(
    vim_id: uuid.UUID,
    body: VimUpdateRequest,
    caller: Annotated[Caller, authorize("vim", "update")],
    uow: UowDep,
) -> VimResponse:
    return VimResponse(vim=VIM.one(await service.update_vim(uow, caller, vim_id, body.vim)))


@router.delete("/{vim_id}", status_code=204, response_class=Response)
async def delete_vim(
    vim_id: uuid.UUID, caller: Annotated[Caller, authorize("vim", "delete")], uow: UowDep
) -> Response:
    await service.delete_vim(uow, caller, vim_id)
    return Response(status_code=204)
