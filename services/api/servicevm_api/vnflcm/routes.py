"""/vnflcm/v1/vnf_instances: create, list, read, modify, delete (SOL003 5.4.2, 5.4.3).

Parse, authorize, call the service layer, render. Errors are ProblemDetails; the ETSI
middleware adds ``Version`` and spells header names canonically."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Header, Request, Response
from fastapi.responses import JSONResponse

from servicevm_api.entrypoints.deps import Caller, UowDep, authorize
from servicevm_api.etsi.pages import accepted, base_url, page
from servicevm_api.etsi.responses import PROBLEM_RESPONSES
from servicevm_api.vnflcm import instances
from servicevm_api.vnflcm.rendering import (
    INSTANCE_SELECTORS,
    INSTANCES_PATH,
    etag,
    instance_path,
    op_occ_path,
    vnf_instance,
)
from servicevm_api.vnflcm.schemas import CreateVnfRequest, VnfInfoModificationRequest
from servicevm_api.vnfpkgm import from_nfvo

router = APIRouter(prefix=INSTANCES_PATH, tags=["vnf_instances"], responses=PROBLEM_RESPONSES)


@router.post("", status_code=201)
async def create_vnf_instance(
    body: CreateVnfRequest,
    request: Request,
    caller: Annotated[Caller, authorize("vnf_instance", "create")],
    uow: UowDep,
) -> JSONResponse:
    # External NFVO mode: its package of this vnfdId, onboarded here first (HTTP before the
    # transaction: the uow's BEGIN is only sent with its first statement).
    await from_nfvo.ensure_onboarded(
        request.app.state.store,
        request.app.state.settings,
        caller,
        body.vnfdId,
        request.state.request_id,
    )
    row = await instances.create_instance(uow, caller, body)
    headers = {"Location": base_url(request) + instance_path(row["id"]), "ETag": etag(row)}
    return JSONResponse(vnf_instance(row, base_url(request)), status_code=201, headers=headers)


@router.get("")
async def list_vnf_instances(
    request: Request,
    caller: Annotated[Caller, authorize("vnf_instance", "get_all")],
    uow: UowDep,
) -> JSONResponse:
    rows = await instances.list_instances(uow, caller)
    items = [vnf_instance(row._mapping, base_url(request)) for row in rows]
    return page(request, items, INSTANCE_SELECTORS)


@router.get("/{instance_id}")
async def show_vnf_instance(
    instance_id: uuid.UUID,
    request: Request,
    caller: Annotated[Caller, authorize("vnf_instance", "get")],
    uow: UowDep,
) -> JSONResponse:
    row = await instances.get_instance(uow, caller, instance_id)
    return JSONResponse(
        vnf_instance(row._mapping, base_url(request)), headers={"ETag": etag(row._mapping)}
    )


@router.patch("/{instance_id}", status_code=202, response_class=Response)
async def modify_vnf_instance(
    instance_id: uuid.UUID,
    request: Request,
    body: Annotated[VnfInfoModificationRequest, Body()],
    caller: Annotated[Caller, authorize("vnf_instance", "update")],
    uow: UowDep,
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """A JSON merge patch (``application/merge-patch+json``); 202 with the MODIFY_INFO op
    occ's Location: COMPLETED at once, or PROCESSING while new vnfConfigurableProperties
    are pushed to the VNFCs of an instantiated VNF."""
    op_occ_id = await instances.modify_instance(uow, caller, instance_id, body, if_match)
    return accepted(request, op_occ_path(op_occ_id))


@router.delete("/{instance_id}", status_code=204, response_class=Response)
async def delete_vnf_instance(
    instance_id: uuid.UUID,
    caller: Annotated[Caller, authorize("vnf_instance", "delete")],
    uow: UowDep,
) -> Response:
    await instances.delete_instance(uow, caller, instance_id)
    return Response(status_code=204)
