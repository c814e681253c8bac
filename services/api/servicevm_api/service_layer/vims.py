"""VIMs: cloud accounts the nova and heat drivers build in.

The api encrypts the secret at once (shared.secrets) and hands only its Fernet token to
lifecycle, which stores it, checks the VIM and reports REACHABLE or UNREACHABLE.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Row

from servicevm_api.adapters import vim_repository as vim_repo
from servicevm_api.adapters.orm import vims
from servicevm_api.caller import Caller
from servicevm_api.domain.vims import credential_problem, rotation_problem
from servicevm_api.errors import bad_request, conflict
from servicevm_api.schemas.vims import VimCreate, VimUpdate
from servicevm_api.service_layer.access import Collection, ListQuery
from shared.contracts import commands
from shared.contracts.models import VimSpec, VimStatus
from shared.db.uow import UnitOfWork
from shared.secrets import get_cipher

VIMS = Collection("vim", vims)


async def get_vim(
    uow: UnitOfWork, caller: Caller, vim_id: uuid.UUID, *, lock: str | None = None
) -> Row[Any]:
    return await VIMS.get(uow, caller, vim_id, lock=lock)


async def list_vims(uow: UnitOfWork, caller: Caller, query: ListQuery) -> list[Row[Any]]:
    return await VIMS.list(uow, caller, query)


def _encrypt(secret: SecretStr) -> str:
    return get_cipher().encrypt(secret.get_secret_value())


def _spec(request: VimCreate, tenant_id: str) -> VimSpec:
    secret = request.password or request.application_credential_secret
    assert secret is not None  # credential_problem checked it
    public = request.model_dump(
        exclude={
            "tenant_id",
            "password",
            "application_credential_secret",
            # Tacker's form, already flattened onto ours (schemas.tacker).
            "auth_cred",
            "vim_project",
        }
    )
    return VimSpec(tenant_id=tenant_id, encrypted_secret=_encrypt(secret), **public)


async def register_vim(uow: UnitOfWork, caller: Caller, request: VimCreate) -> Row[Any]:
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
    return await get_vim(uow, caller, vim_id)


async def update_vim(
    uow: UnitOfWork, caller: Caller, vim_id: uuid.UUID, update: VimUpdate
) -> Row[Any]:
    row = await get_vim(uow, caller, vim_id, lock="update")
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
        return row
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
    return await get_vim(uow, caller, vim_id)


async def delete_vim(uow: UnitOfWork, caller: Caller, vim_id: uuid.UUID) -> None:
    row = await get_vim(uow, caller, vim_id, lock="update")
    users = await vim_repo.vim_users(uow.conn, vim_id=vim_id)
    if users:
        raise conflict(
            "VimInUse",
            f"VIM {vim_id} is still in use by device template(s) or device(s) {', '.join(map(str, users))}.",
        )
    await vim_repo.delete_vim(uow.conn, vim_id=vim_id)
    await uow.publish(commands.DeleteVim(id=vim_id), tenant_id=row.tenant_id)
    await uow.commit()
