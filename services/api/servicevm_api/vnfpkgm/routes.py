"""/vnfpkgm/v1/vnf_packages: create, list, read, modify, delete (SOL005 9.4.2, 9.4.3).

Parse, authorize, call the service layer, render. Errors are ProblemDetails; the ETSI
middleware adds ``Version`` and spells header names canonically."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from servicevm_api.entrypoints.deps import Caller, UowDep, authorize
from servicevm_api.etsi.pages import base_url, page
from servicevm_api.etsi.responses import PROBLEM_RESPONSES
from servicevm_api.vnfpkgm import service
from servicevm_api.vnfpkgm.rendering import BASE_PATH, SELECTORS, package_path, vnf_pkg_info
from servicevm_api.vnfpkgm.schemas import (
    CreateVnfPkgInfoRequest,
    VnfPkgInfo,
    VnfPkgInfoModifications,
)

router = APIRouter(prefix=BASE_PATH, tags=["vnf_packages"], responses=PROBLEM_RESPONSES)


@router.post("", status_code=201, responses={201: {"model": VnfPkgInfo}})
async def create_vnf_package(
    body: CreateVnfPkgInfoRequest,
    request: Request,
    caller: Annotated[Caller, authorize("vnf_package", "create")],
    uow: UowDep,
) -> JSONResponse:
    row = await service.create_package(uow, caller, body)
    location = base_url(request) + package_path(row.id)
    info = vnf_pkg_info(row._mapping, base_url(request))
    return JSONResponse(info, status_code=201, headers={"Location": location})


@router.get("", responses={200: {"model": list[VnfPkgInfo]}})
async def list_vnf_packages(
    request: Request,
    caller: Annotated[Caller, authorize("vnf_package", "get_all")],
    uow: UowDep,
) -> JSONResponse:
    rows = await service.list_packages(uow, caller)
    items = [vnf_pkg_info(row._mapping, base_url(request)) for row in rows]
    return page(request, items, SELECTORS)


@router.get("/{package_id}", responses={200: {"model": VnfPkgInfo}})
async def show_vnf_package(
    package_id: uuid.UUID,
    request: Request,
    caller: Annotated[Caller, authorize("vnf_package", "get")],
    uow: UowDep,
) -> JSONResponse:
    row = await service.get_package(uow, caller, package_id)
    return JSONResponse(vnf_pkg_info(row._mapping, base_url(request)))


@router.patch("/{package_id}", responses={200: {"model": VnfPkgInfoModifications}})
async def update_vnf_package(
    package_id: uuid.UUID,
    body: VnfPkgInfoModifications,
    caller: Annotated[Caller, authorize("vnf_package", "update")],
    uow: UowDep,
) -> JSONResponse:
    changes = await service.modify_package(uow, caller, package_id, body)
    return JSONResponse(changes.model_dump(exclude_none=True))


@router.delete("/{package_id}", status_code=204, response_class=Response)
async def delete_vnf_package(
    package_id: uuid.UUID,
    caller: Annotated[Caller, authorize("vnf_package", "delete")],
    uow: UowDep,
) -> Response:
    await service.delete_package(uow, caller, package_id)
    return Response(status_code=204)
