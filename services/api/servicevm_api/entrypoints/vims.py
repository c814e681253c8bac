"""/v1.0/vims: cloud accounts the nova and heat drivers build in.

The api encrypts the secret at once (shared.secrets) and hands only its Fernet token to
lifecycle, which stores it, checks the VIM and reports REACHABLE or UNREACHABLE.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import SecretStr
from sqlalchemy import Row

from servicevm_api.adapters import vim_repository as vim_repo
from servicevm_api.adapters.orm import vims
from servicevm_api.domain.vims import credential_problem, rotation_problem
from servicevm_api.entrypoints.deps import Caller, UowDep, authorize
from servicevm_api.entrypoints.errors import bad_request, conflict
from servicevm_api.entrypoints.listing import boolean
from servicevm_api.entrypoints.resources import Resource
from servicevm_api.entrypoints.schemas import ERROR_RESPONSES
from servicevm_api.entrypoints.vim_schemas import (
    VimCreate,
    VimCreateRequest,
    VimList,
    VimPublic,
    VimResponse,
    VimUpdateRequest,
)
from shared.contracts import commands
from shared.contracts.models import VimSpec, VimStatus
from shared.secrets import get_cipher

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


def to_public(row: Row[Any]) -> VimPublic:
    return VimPublic.model_validate(row, from_attributes=True)


VIMS = Resource("vim", vims, FILTERABLE, to_public)


def _encrypt(secret: SecretStr) -> str:
    return get_cipher().encrypt(secret.get_secret_value())


def _spec(request: VimCreate, tenant_id: str) -> VimSpec:
    secret = request.password or request.application_credential_secret
    assert secret is not None  # credential_problem checked it
    public = request.model_dump(exclude={"tenant_id", "password", "application_credential_secret"})
    return VimSpec(tenant_id=tenant_id, encrypted_secret=_encrypt(secret), **public)


@router.post("", status_code=201, response_model=VimResponse)
async def create_vim(
    body: VimCreateRequest, caller: Annotated[Caller, authorize("vim", "create")], uow: UowDep
) -> VimResponse:
    request = body.vim
    problem = credential_problem(request.model_dump())
    if problem is not None:
        raise bad_request(problem)
    spec = _spec(request, caller.tenant_for_new_resource(request.tenant_id))
    vim_id = uuid.uuid4()
    if spec.is_default:
        await vim_repo.clear_default(uow.conn, tenant_id=spec.tenant_id)
    values = spec.model_dump(exclude={"encrypted_secret"})
    await vim_repo.add_vim(uow.conn, values={**values, "id": vim_id, "status": VimStatus.PENDING})
    await uow.publish(commands.RegisterVim(id=vim_id, vim=spec), tenant_id=spec.tenant_id)
    await uow.commit()
    return VimResponse(vim=to_public(await VIMS.visible_row(uow, caller, vim_id)))


@router.get("", response_model=VimList)
async def list_vims(
    request: Request, caller: Annotated[Caller, authorize("vim", "get_all")], uow: UowDep
) -> VimList:
    page, links = await VIMS.list_page(uow, caller, request)
    return VimList(vims=page, vims_links=[link.model_dump() for link in links])


@router.get("/{vim_id}")
async def show_vim(
    vim_id: uuid.UUID,
    request: Request,
    caller: Annotated[Caller, authorize("vim", "get")],
    uow: UowDep,
) -> dict[str, Any]:
    return await VIMS.show(uow, caller, request, vim_id)


@router.put("/{vim_id}", response_model=VimResponse)
async def update_vim(
    vim_id: uuid.UUID,
    body: VimUpdateRequest,
    caller: Annotated[Caller, authorize("vim", "update")],
    uow: UowDep,
) -> VimResponse:
    row = await VIMS.visible_row(uow, caller, vim_id, lock="update")
    update = body.vim
    problem = rotation_problem(
        uses_app_credential=row.application_credential_id is not None,
        password=update.password is not None,
        app_secret=update.application_credential_secret is not None,
    )
    if problem is not None:
        raise bad_request(problem)
    secret = update.password or update.application_credential_secret
    changes = update.model_dump(
        exclude_none=True, exclude={"password", "application_credential_secret"}
    )
    if secret is not None:
        changes.update(status=VimStatus.PENDING, status_reason=None)  # until re-checked
    if not changes:
        return VimResponse(vim=to_public(row))
    if changes.get("is_default"):
        await vim_repo.clear_default(uow.conn, tenant_id=row.tenant_id)
    await vim_repo.update_vim(uow.conn, vim_id=vim_id, values=changes)
    command = commands.UpdateVim(
        id=vim_id,
        name=changes.get("name", row.name),
        description=changes.get("description", row.description),
        is_default=changes.get("is_default", row.is_default),
        encrypted_secret=_encrypt(secret) if secret is not None else None,
    )
    await uow.publish(command, tenant_id=row.tenant_id)
    await uow.commit()
    return VimResponse(vim=to_public(await VIMS.visible_row(uow, caller, vim_id)))


@router.delete("/{vim_id}", status_code=204, response_class=Response)
async def delete_vim(
    vim_id: uuid.UUID, caller: Annotated[Caller, authorize("vim", "delete")], uow: UowDep
) -> Response:
    row = await VIMS.visible_row(uow, caller, vim_id, lock="update")
    users = await vim_repo.vim_users(uow.conn, vim_id=vim_id)
    if users:
        raise conflict(
            "VimInUse",
            f"VIM {vim_id} is still in use by device template(s) or device(s) {', '.join(map(str, users))}.",
        )
    await vim_repo.delete_vim(uow.conn, vim_id=vim_id)
    await uow.publish(commands.DeleteVim(id=vim_id), tenant_id=row.tenant_id)
    await uow.commit()
    return Response(status_code=204)
