"""Use cases of VNF instance records: create, read, list, modify (MODIFY_INFO), delete.

Another project's instance is as good as absent (404). A VNF package is IN_USE while an
instance refers to it; the package row is locked while that changes, so a concurrent
package DELETE sees it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row

from servicevm_api.caller import Caller
from servicevm_api.etsi.problem import conflict, not_found, precondition_failed, unprocessable
from servicevm_api.vnflcm import announce
from servicevm_api.vnflcm import repository as repo
from servicevm_api.vnflcm.rendering import etag
from servicevm_api.vnflcm.schemas import CreateVnfRequest, VnfInfoModificationRequest
from servicevm_api.vnfpkgm import repository as packages
from shared import merge_patch
from shared.contracts.vnflcm import RunVnfLcmOperation
from shared.db.uow import UnitOfWork


async def get_instance(
    uow: UnitOfWork, caller: Caller, instance_id: uuid.UUID, *, lock: bool = False
) -> Row[Any]:
    row = await repo.get_instance(uow.conn, instance_id, lock=lock)
    if row is None or not caller.can_see(row.tenant_id):
        raise not_found(f"VNF instance {instance_id} not found")
    return row


async def list_instances(uow: UnitOfWork, caller: Caller) -> list[Row[Any]]:
    return await repo.list_instances(uow.conn, tenant_id=caller.visible_tenant)


async def create_instance(
    uow: UnitOfWork, caller: Caller, request: CreateVnfRequest
) -> dict[str, Any]:
    """NOT_INSTANTIATED, from the project's ONBOARDED, ENABLED package of the vnfdId: the
    package read, then the row, the package's IN_USE and the outbox rows written in one
    statement that checks the package again (``repository.add_instance_of_package``)."""
    driver = await uow.driver_outside_transaction()
    package = await packages.identity_of_onboarded(
        driver, tenant_id=caller.project_id, vnfd_id=request.vnfdId
    )
    if package is not None and package["operational_state"] == "ENABLED":
        values = {
            "id": uuid.uuid4(),
            "tenant_id": caller.project_id,
            "name": request.vnfInstanceName,
            "description": request.vnfInstanceDescription,
            "vnfd_id": package["vnfd_id"],
            "vnf_provider": package["vnf_provider"],
            "vnf_product_name": package["vnf_product_name"],
            "vnf_software_version": package["vnf_software_version"],
            "vnfd_version": package["vnfd_version"],
            "vnf_package_id": package["id"],
            "instantiation_state": "NOT_INSTANTIATED",
            "vnf_metadata": request.metadata or {},
        }
        await announce.created(uow, values)
        row = await repo.add_instance_of_package(
            driver, values=values, outbox_rows=uow.take_outbox()
        )
        if row is not None:
            return row
    # Also when the package was disabled or deleted between the read and the write.
    raise unprocessable(
        f"vnfdId {request.vnfdId} is not the VNFD of an ONBOARDED, ENABLED VNF package "
        "of this project"
    )


async def delete_instance(uow: UnitOfWork, caller: Caller, instance_id: uuid.UUID) -> None:
    row = await get_instance(uow, caller, instance_id, lock=True)
    if row.instantiation_state != "NOT_INSTANTIATED":
        raise conflict(
            f"VNF instance {instance_id} is {row.instantiation_state}: terminate it first"
        )
    if row.operation_in_progress is not None:
        raise conflict(
            f"VNF instance {instance_id} has operation {row.operation_in_progress} in progress"
        )
    package = await packages.get(uow.conn, row.vnf_package_id, lock=True)
    await repo.remove_instance(uow.conn, instance_id)
    if package is not None and await repo.instances_of_package(uow.conn, package.id) == 0:
        await packages.set_fields(uow.conn, package.id, usage_state="NOT_IN_USE")
    await announce.deleted(uow, row._mapping)
    await uow.commit()


def check_if_match(row: Row[Any], if_match: str | None) -> None:
    """412 unless ``If-Match`` is absent, ``*`` or names the current ETag."""
    if if_match is None:
        return
    wanted = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if "*" not in wanted and etag(row._mapping) not in wanted:
        raise precondition_failed(
            f"If-Match {if_match} does not match the VNF instance's ETag {etag(row._mapping)}"
        )


async def modify_instance(
    uow: UnitOfWork,
    caller: Caller,
    instance_id: uuid.UUID,
    patch: VnfInfoModificationRequest,
    if_match: str | None,
) -> uuid.UUID:
    """MODIFY_INFO; returns the op occ id.

    The record's own fields (name, description, metadata, extensions, vimConnectionInfo)
    change at once. vnfConfigurableProperties of an INSTANTIATED VNF must reach its VNFCs:
    lifecycle pushes the merged set to every VNFC's appliance (SOL002 VNF configuration) and
    the record takes it when that op occ is COMPLETED; a failed push leaves it unchanged.
    Without that, the op occ is COMPLETED in this same transaction."""
    row = await get_instance(uow, caller, instance_id, lock=True)
    check_if_match(row, if_match)
    if row.operation_in_progress is not None:
        raise conflict(
            f"VNF instance {instance_id} has operation {row.operation_in_progress} in progress"
        )
    changes = patch.model_dump(mode="json", exclude_unset=True)
    values = _modified(row, changes)
    pushed = values.pop("vnf_configurable_properties", None)
    op_occ_id = uuid.uuid4()
    at = datetime.now(UTC)
    op: dict[str, Any] = {
        "id": op_occ_id,
        "tenant_id": row.tenant_id,
        "vnf_instance_id": instance_id,
        "operation": "MODIFY_INFO",
        "operation_params": changes,
        "start_time": at,
        "state_entered_time": at,
    }
    command = None
    if pushed is None or row.instantiation_state != "INSTANTIATED":
        if pushed is not None:
            values["vnf_configurable_properties"] = pushed
        await repo.set_instance(uow.conn, instance_id, **values)
        op.update(operation_state="COMPLETED", changed_info=changes)
    else:
        await repo.set_instance(uow.conn, instance_id, **values, operation_in_progress=op_occ_id)
        op.update(operation_state="STARTING", pending_since=at)
        command = RunVnfLcmOperation(
            id=op_occ_id,
            vnf_instance_id=instance_id,
            tenant_id=row.tenant_id,
            operation="MODIFY_INFO",
            # The whole merged set: what each VNFC must hold, whatever it held before.
            operation_params={**changes, "vnfConfigurableProperties": pushed},
        )
    await repo.add_op_occ(uow.conn, values=op)
    modified = await get_instance(uow, caller, instance_id)
    # Ahead of the command: mgmt hears of STARTING before lifecycle can move it on.
    await announce.op_started(uow, modified._mapping, op, at=at)
    if command is not None:
        await uow.publish(command, tenant_id=row.tenant_id)
    await uow.commit()
    return op_occ_id


def _modified(row: Row[Any], changes: dict[str, Any]) -> dict[str, Any]:
    """The columns after the merge patch (RFC 7396; vimConnectionInfo entries by id)."""
    values: dict[str, Any] = {}
    if "vnfInstanceName" in changes:
        values["name"] = changes["vnfInstanceName"]
    if "vnfInstanceDescription" in changes:
        values["description"] = changes["vnfInstanceDescription"]
    for attribute, column in (
        ("metadata", "vnf_metadata"),
        ("extensions", "extensions"),
        ("vnfConfigurableProperties", "vnf_configurable_properties"),
    ):
        if attribute in changes:
            values[column] = merge_patch.apply(getattr(row, column), changes[attribute] or {})
    if "vimConnectionInfo" in changes:
        values["vim_connection_info"] = merge_vim_connections(
            row.vim_connection_info, changes["vimConnectionInfo"] or []
        )
    return values


def merge_vim_connections(
    current: list[dict[str, Any]], given: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """SOL003: an entry with a known id replaces it, a new id is added."""
    merged = {entry["id"]: entry for entry in current}
    merged.update({entry["id"]: entry for entry in given})
    return list(merged.values())
