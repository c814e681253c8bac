"""The api's VNF LCM facts mgmt turns into SOL003 notifications: an instance created or
deleted, an op occ started. Published in the transaction that makes the change, so a
notification never reports what was not saved (nor misses what was)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from shared.contracts.vnflcm import (
    VnfIdentifierCreated,
    VnfIdentifierDeleted,
    VnfIdentity,
    VnfLcmOpOccSnapshot,
    VnfLcmOpOccStarted,
)
from shared.db.uow import UnitOfWork


def identity(row: Mapping[Any, Any]) -> VnfIdentity:
    return VnfIdentity(
        id=row["id"],
        tenant_id=row["tenant_id"],
        name=row["name"],
        vnfd_id=row["vnfd_id"],
        vnf_provider=row["vnf_provider"],
        vnf_product_name=row["vnf_product_name"],
        vnf_software_version=row["vnf_software_version"],
        vnfd_version=row["vnfd_version"],
    )


async def created(uow: UnitOfWork, row: Mapping[Any, Any]) -> None:
    event = VnfIdentifierCreated(vnf_instance=identity(row))
    await uow.publish(event, tenant_id=row["tenant_id"])


async def deleted(uow: UnitOfWork, row: Mapping[Any, Any]) -> None:
    event = VnfIdentifierDeleted(vnf_instance=identity(row))
    await uow.publish(event, tenant_id=row["tenant_id"])


async def op_started(
    uow: UnitOfWork, vnf: Mapping[Any, Any], op: Mapping[Any, Any], *, at: datetime
) -> None:
    """``op``: the op occ row's values as inserted (STARTING, or MODIFY_INFO's COMPLETED)."""
    snapshot = VnfLcmOpOccSnapshot(
        id=op["id"],
        vnf_instance_id=op["vnf_instance_id"],
        tenant_id=op["tenant_id"],
        operation=op["operation"],
        operation_state=op["operation_state"],
        is_automatic_invocation=False,
        operation_params=op["operation_params"],
        start_time=at,
        state_entered_time=at,
        changed_info=op.get("changed_info"),
        revision=0,
    )
    event = VnfLcmOpOccStarted(vnf_instance=identity(vnf), op_occ=snapshot)
    await uow.publish(event, tenant_id=op["tenant_id"])
