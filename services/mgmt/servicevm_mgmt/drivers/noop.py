"""A management driver that configures nothing.

For tests, the template attribute ``noop_mgmt_fail`` names a step that fails: ``apply``,
``apply_service`` or ``remove_service``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from servicevm_mgmt.drivers.base import ManagedDevice, MgmtDriver, MgmtDriverError


class NoopMgmtDriver(MgmtDriver):
    def needs_configuration(self, parameters: Mapping[str, str]) -> bool:
        # Nothing to configure, unless a test asked ``apply`` to fail.
        return parameters.get("noop_mgmt_fail") == "apply"

    def needs_service_configuration(self, parameters: Mapping[str, str]) -> bool:
        return parameters.get("noop_mgmt_fail") == "apply_service"

    def needs_service_removal(self, parameters: Mapping[str, str]) -> bool:
        return parameters.get("noop_mgmt_fail") == "remove_service"

    async def apply(self, device: ManagedDevice) -> None:
        _step(device, "apply")

    async def remove(self, device: ManagedDevice) -> None:
        return None

    async def apply_service(
        self, device: ManagedDevice, service_id: str, configuration: dict[str, Any]
    ) -> None:
        _step(device, "apply_service")

    async def remove_service(self, device: ManagedDevice, service_id: str) -> None:
        _step(device, "remove_service")

    async def verify(self, device: ManagedDevice) -> bool:
        return True

    async def health(self, device: ManagedDevice) -> str:
        return "ok"


def _step(device: ManagedDevice, step: str) -> None:
    if device.parameters.get("noop_mgmt_fail") == step:
        raise MgmtDriverError(f"noop mgmt driver told to fail at {step}")
