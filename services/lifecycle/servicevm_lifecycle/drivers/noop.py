"""A driver that builds nothing: a generated instance id, ready at once.

The device's kwargs ``mgmt_address``, ``host`` and ``availability_zone`` are reported as
the instance's facts, so tests can build a topology. For tests of the whole flow, the
template attribute ``noop_delay_seconds`` makes every
driver call take that long, and ``noop_fail`` (``create``, ``wait``, ``update`` or
``delete``) makes that step fail with a DeviceDriverError.
"""

from __future__ import annotations

import asyncio
import uuid

from servicevm_lifecycle.drivers.base import (
    DeviceDriver,
    DeviceDriverError,
    DeviceSpec,
    InstanceFacts,
)


class NoopDeviceDriver(DeviceDriver):
    async def create(self, spec: DeviceSpec) -> str:
        await self._step(spec, "create")
        return f"noop-{uuid.uuid4()}"

    async def wait_until_ready(self, instance_id: str, spec: DeviceSpec) -> InstanceFacts:
        await self._step(spec, "wait")
        return InstanceFacts(
            mgmt_address=_text(spec.kwargs.get("mgmt_address")),
            host=_text(spec.kwargs.get("host")),
            availability_zone=_text(spec.kwargs.get("availability_zone")),
        )

    async def update(self, instance_id: str, spec: DeviceSpec) -> None:
        await self._step(spec, "update")

    async def delete(self, instance_id: str, spec: DeviceSpec) -> None:
        await self._step(spec, "delete")

    async def status(self, instance_id: str) -> str:
        return "ACTIVE"

    @staticmethod
    async def _step(spec: DeviceSpec, step: str) -> None:
        delay = float(spec.template_attributes.get("noop_delay_seconds", "0") or 0)
        if delay > 0:
            await asyncio.sleep(delay)
        if spec.template_attributes.get("noop_fail") == step:
            raise DeviceDriverError(f"noop driver told to fail at {step}")


def _text(value: object) -> str | None:
    return None if value is None else str(value)[:255]
