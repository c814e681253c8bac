"""/vnflcm/v1/vnf_lcm_op_occs: list, read, and retry / rollback / fail / cancel
(SOL003 5.4.12-5.4.17): 409 outside the states SOL003 allows each action in."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from servicevm_api.entrypoints.deps import Caller, UowDep, authorize
from servicevm_api.etsi.pages import accepted, base_url, page
from servicevm_api.etsi.responses import PROBLEM_RESPONSES
from servicevm_api.vnflcm import opoccs
from servicevm_api.vnflcm.rendering import (
    OP_OCC_SELECTORS,
    OP_OCCS_PATH,
    op_occ_path,
    vnf_lcm_op_occ,
)
from servicevm_api.vnflcm.schemas import CancelModeRequest
from shared.contracts.vnflcm import ActionName

router = APIRouter(prefix=OP_OCCS_PATH, tags=["vnf_lcm_op_occs"], responses=PROBLEM_RESPONSES)

ActionCaller = Annotated[Caller, authorize("vnf_lcm_op_occ", "action")]


@router.get("")
async def list_op_occs(
    request: Request,
    caller: Annotated[Caller, authorize("vnf_lcm_op_occ", "get_all")],
    uow: UowDep,
) -> JSONResponse:
    rows = await opoccs.list_op_occs(uow, caller)
    items = [vnf_lcm_op_occ(row._mapping, base_url(request)) for row in rows]
    return page(request, items, OP_OCC_SELECTORS)


@router.get("/{op_occ_id}")
async def show_op_occ(
    op_occ_id: uuid.UUID,
    request: Request,
    caller: Annotated[Caller, authorize("vnf_lcm_op_occ", "get")],
    uow: UowDep,
) -> JSONResponse:
    row = await opoccs.get_op_occ(uow, caller, op_occ_id)
    return JSONResponse(vnf_lcm_op_occ(row._mapping, base_url(request)))


async def _accepted(
    request: Request, uow: UowDep, caller: Caller, op_occ_id: uuid.UUID, action: ActionName
) -> Response:
    await opoccs.act(uow, caller, op_occ_id, action)
    return accepted(request, op_occ_path(op_occ_id))


@router.post("/{op_occ_id}/retry", status_code=202, response_class=Response)
async def retry(
    op_occ_id: uuid.UUID, request: Request, caller: ActionCaller, uow: UowDep
) -> Response:
    return await _accepted(request, uow, caller, op_occ_id, "RETRY")


@router.post("/{op_occ_id}/rollback", status_code=202, response_class=Response)
async def rollback(
    op_occ_id: uuid.UUID, request: Request, caller: ActionCaller, uow: UowDep
) -> Response:
    return await _accepted(request, uow, caller, op_occ_id, "ROLLBACK")


@router.post("/{op_occ_id}/fail")
async def fail(
    op_occ_id: uuid.UUID, request: Request, caller: ActionCaller, uow: UowDep
) -> JSONResponse:
    """200 with the op occ, FAILED at once."""
    row = await opoccs.act(uow, caller, op_occ_id, "FAIL")
    return JSONResponse(vnf_lcm_op_occ(row._mapping, base_url(request)))


@router.post("/{op_occ_id}/cancel", status_code=202, response_class=Response)
async def cancel(
    op_occ_id: uuid.UUID,
    request: Request,
    caller: ActionCaller,
    uow: UowDep,
    body: CancelModeRequest | None = None,
) -> Response:
    mode = body.cancelMode if body is not None else "GRACEFUL"
    await opoccs.act(uow, caller, op_occ_id, "CANCEL", mode)
    return accepted(request, op_occ_path(op_occ_id))
