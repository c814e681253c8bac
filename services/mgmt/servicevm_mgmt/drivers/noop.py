"""A management driver that configures nothing. ``noop_mgmt_fail=apply`` makes apply fail (tests)."""

from __future__ import annotations

import uuid
from typing import Any

from servicevm_mgmt.drivers.base import ManagedDevice, MgmtDriver, MgmtDriverError


class NoopMgmtDriver(MgmtDriver):
    async def apply(self, device: ManagedDevice) -> None:
        if device.parameters.get("noop_mgmt_fail") == "apply":
            raise MgmtDriverError("noop mgmt driver told to fail at apply")

    async def remove(self, device: ManagedDevice) -> None:
        return None

    async def verify(self, device: ManagedDevice) -> bool:
        return True

    async def health(self, device: ManagedDevice) -> str:
        return "ok"

    async def apply_service(
        self, device: ManagedDevice, service_id: uuid.UUID, config: dict[str, Any]
    ) -> None:
        return None

    async def remove_service(self, device: ManagedDevice, service_id: uuid.UUID) -> None:
        return None
