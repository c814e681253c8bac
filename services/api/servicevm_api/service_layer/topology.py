"""Topology: where everything sits, scoped to the caller's project (admins see all)."""

from __future__ import annotations

from typing import Any

from servicevm_api.adapters import repository as repo
from servicevm_api.caller import Caller
from servicevm_api.domain.topology import Topology, build_topology
from shared.db.uow import UnitOfWork


async def get_topology(uow: UnitOfWork, caller: Caller, filters: dict[str, list[Any]]) -> Topology:
    """filters: device attribute (host, availability_zone) -> accepted values."""
    devices, instances = await repo.topology_rows(
        uow.conn, tenant_id=caller.visible_tenant, filters=filters
    )
    return build_topology(devices, instances)
