"""Use cases of VNF packages: each takes a unit of work and the caller (no HTTP request).

Errors are ETSI ProblemDetails (``ProblemError``): another project's package is as good as
absent (404); a package in the wrong state is a 409.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import Row

from servicevm_api.adapters import repository as api_repo
from servicevm_api.caller import Caller
from servicevm_api.etsi.problem import bad_request, conflict, not_found
from servicevm_api.vnfpkgm import repository as repo
from servicevm_api.vnfpkgm.schemas import CreateVnfPkgInfoRequest, VnfPkgInfoModifications
from shared import merge_patch
from shared.contracts import commands
from shared.contracts.vnfpkgm import OnboardVnfPackage
from shared.db.uow import UnitOfWork
from shared.vnfd.csar import Csar, read_csar
from shared.vnfd.errors import VnfdError


async def get_package(
    uow: UnitOfWork,
    caller: Caller,
    package_id: uuid.UUID,
    *,
    lock: bool = False,
    content: bool = False,
) -> Row[Any]:
    row = await repo.get(uow.conn, package_id, lock=lock, content=content)
    if row is None or not caller.can_see(row.tenant_id):
        raise not_found(f"VNF package {package_id} not found")
    return row


async def list_packages(uow: UnitOfWork, caller: Caller) -> list[Row[Any]]:
    return await repo.list_visible(uow.conn, tenant_id=caller.visible_tenant)


async def create_package(
    uow: UnitOfWork, caller: Caller, request: CreateVnfPkgInfoRequest
) -> Row[Any]:
    package_id = uuid.uuid4()
    await repo.add(
        uow.conn,
        values={
            "id": package_id,
            "tenant_id": caller.project_id,
            "onboarding_state": "CREATED",
            "operational_state": "DISABLED",
            "usage_state": "NOT_IN_USE",
            "user_defined_data": request.userDefinedData or {},
        },
    )
    await uow.commit()
    return await get_package(uow, caller, package_id)


async def modify_package(
    uow: UnitOfWork, caller: Caller, package_id: uuid.UUID, changes: VnfPkgInfoModifications
) -> VnfPkgInfoModifications:
    row = await get_package(uow, caller, package_id, lock=True)
    if row.onboarding_state != "ONBOARDED":
        raise conflict(f"VNF package {package_id} is {row.onboarding_state}, not ONBOARDED")
    values: dict[str, Any] = {}
    if changes.operationalState is not None:
        if changes.operationalState == row.operational_state:
            raise conflict(f"VNF package {package_id} is already {row.operational_state}")
        values["operational_state"] = changes.operationalState
    if changes.userDefinedData is not None:
        values["user_defined_data"] = merge_patch.apply(
            row.user_defined_data, changes.userDefinedData
        )
    await repo.set_fields(uow.conn, package_id, **values)
    await uow.commit()
    return changes


async def delete_package(uow: UnitOfWork, caller: Caller, package_id: uuid.UUID) -> None:
    """Only a DISABLED, NOT_IN_USE package that is not being onboarded; its templates go
    with it (409 while devices still use them)."""
    row = await get_package(uow, caller, package_id, lock=True)
    if row.operational_state != "DISABLED" or row.usage_state != "NOT_IN_USE":
        raise conflict(
            f"VNF package {package_id} is {row.operational_state} and {row.usage_state}: "
            "only a DISABLED, NOT_IN_USE package can be deleted"
        )
    if row.onboarding_state in ("UPLOADING", "PROCESSING"):
        raise conflict(f"VNF package {package_id} is being onboarded ({row.onboarding_state})")
    for template_id in template_ids(row.vdu_templates):
        users = await api_repo.devices_using_template(uow.conn, template_id=template_id)
        if users:
            raise conflict(
                f"VNF package {package_id}: device(s) {', '.join(map(str, users))} still use its templates"
            )
        await api_repo.delete_template(uow.conn, template_id=template_id)
        await uow.publish(commands.DeleteDeviceTemplate(id=template_id), tenant_id=row.tenant_id)
    await repo.remove(uow.conn, package_id)
    await uow.commit()


def template_ids(vdu_templates: dict[str, dict[str, str]]) -> list[uuid.UUID]:
    return [uuid.UUID(t) for vdus in vdu_templates.values() for t in vdus.values()]


async def upload_content(
    uow: UnitOfWork, caller: Caller, package_id: uuid.UUID, content: bytes
) -> None:
    """Store the zip and queue its onboarding (202); only a CREATED package takes content."""
    if not content:
        raise bad_request("The package content is empty: send the CSAR zip")
    row = await get_package(uow, caller, package_id, lock=True)
    if row.onboarding_state != "CREATED":
        raise conflict(f"VNF package {package_id} is {row.onboarding_state}, not CREATED")
    upload = row.upload + 1
    await repo.set_fields(
        uow.conn,
        package_id,
        content=content,
        upload=upload,
        onboarding_state="UPLOADING",
        onboarding_failure_details=None,
    )
    await uow.publish(OnboardVnfPackage(id=package_id, upload=upload), tenant_id=row.tenant_id)
    await uow.commit()


async def package_content(uow: UnitOfWork, caller: Caller, package_id: uuid.UUID) -> bytes:
    row = await _onboarded(uow, caller, package_id)
    return bytes(row.content)


async def package_files(uow: UnitOfWork, caller: Caller, package_id: uuid.UUID) -> Csar:
    row = await _onboarded(uow, caller, package_id)
    try:
        return await asyncio.to_thread(read_csar, bytes(row.content))
    except VnfdError as exc:  # onboarded, so readable; unless the limits changed since
        raise conflict(f"VNF package {package_id} cannot be read: {exc}") from None


async def vnfd_files(uow: UnitOfWork, caller: Caller, package_id: uuid.UUID) -> dict[str, bytes]:
    """The files under Definitions/ (the VNFD and the type files it imports)."""
    csar = await package_files(uow, caller, package_id)
    return {path: csar.files[path] for path in csar.definitions}


async def artifact(uow: UnitOfWork, caller: Caller, package_id: uuid.UUID, path: str) -> bytes:
    csar = await package_files(uow, caller, package_id)
    if path not in csar.files:
        raise not_found(f"VNF package {package_id} has no artifact {path}")
    return csar.files[path]


async def _onboarded(uow: UnitOfWork, caller: Caller, package_id: uuid.UUID) -> Row[Any]:
    row = await get_package(uow, caller, package_id, content=True)
    if row.onboarding_state != "ONBOARDED":
        raise conflict(f"VNF package {package_id} is {row.onboarding_state}, not ONBOARDED")
    return row
