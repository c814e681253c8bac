"""A driver that adopts an existing appliance or router by its management address: nothing
is ever built, powered on or off.

- create: registers the appliance after checking it answers a TCP connect at its address
  (the device's kwargs ``mgmt_address``, else the template attribute ``mgmt_address``,
  ``host:port``); the instance id is ``physical-<address>``.
- facts: the address, and the kwargs ``host`` and ``availability_zone`` (default ``physical``).
- update: nothing to do (mgmt re-applies the configuration); delete: releases it (nothing).
- status: ``ACTIVE`` when it answers, ``ERROR`` when not.
- never respawned (``replaceable = False``): a dead physical device is only marked DEAD.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from servicevm_lifecycle.drivers.base import (
    DeviceDriver,
    DeviceDriverError,
    DeviceSpec,
    InstanceFacts,
)

PREFIX = "physical-"
CHECK_TIMEOUT_SECONDS = 5.0
# Adopted hardware is never powered on or off by servicevm (the blueprint's physical devices).
_NOT_POWERED = "a physical device is not powered on or off by servicevm"


class PhysicalDeviceDriver(DeviceDriver):
    replaceable: ClassVar[bool] = False

    async def create(self, spec: DeviceSpec) -> str:
        address = _address(spec)
        if not await reachable(address):
            raise DeviceDriverError(f"physical device at {address} does not answer")
        return PREFIX + address

    async def wait_until_ready(self, instance_id: str, spec: DeviceSpec) -> InstanceFacts:
        zone = spec.kwargs.get("availability_zone") or "physical"
        host = spec.kwargs.get("host")
        return InstanceFacts(
            mgmt_address=instance_id.removeprefix(PREFIX),
            host=None if host is None else str(host)[:255],
            availability_zone=str(zone)[:255],
        )

    async def update(self, instance_id: str, spec: DeviceSpec) -> None:
        return None

    async def delete(self, instance_id: str, spec: DeviceSpec) -> None:
        return None  # released: the appliance itself is left as it is

    async def start(self, instance_id: str, spec: DeviceSpec) -> None:
        raise DeviceDriverError(_NOT_POWERED)

    async def stop(
        self, instance_id: str, spec: DeviceSpec, graceful_timeout: float | None = None
    ) -> None:
        raise DeviceDriverError(_NOT_POWERED)

    async def status(self, instance_id: str) -> str:
        return "ACTIVE" if await reachable(instance_id.removeprefix(PREFIX)) else "ERROR"


def _address(spec: DeviceSpec) -> str:
    address = spec.kwargs.get("mgmt_address") or spec.template_attributes.get("mgmt_address")
    if not address or not isinstance(address, str):
        raise DeviceDriverError("a physical device needs its mgmt_address (host:port)")
    return address


async def reachable(address: str) -> bool:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        return False
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(host, int(port)), CHECK_TIMEOUT_SECONDS
        )
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True
