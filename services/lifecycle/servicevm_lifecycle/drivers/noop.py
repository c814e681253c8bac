"""A driver that builds nothing: instance ids ``noop-<uuid>``, ready at once. A repeated
create of a device whose instance this process has not deleted gives the same id, as every
driver's must; after a delete (a respawn) the device gets a new one, as a cloud's would.

The device's kwargs ``mgmt_address``, ``host`` and ``availability_zone`` are reported as
the instance's facts, so tests can build a topology. For tests of the whole flow, the
template attribute ``noop_delay_seconds`` makes every
driver call take that long, and ``noop_fail`` (``create``, ``wait``, ``update``,
``delete``, ``start`` or ``stop``) makes that step fail with a DeviceDriverError. A stopped
instance is remembered (in this process) and reported ``SHUTOFF`` by ``status``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping

from servicevm_lifecycle.drivers.base import (
    DeviceDriver,
    DeviceDriverError,
    DeviceSpec,
    InstanceFacts,
)


class NoopDeviceDriver(DeviceDriver):
    def __init__(self) -> None:
        self.stopped: set[str] = set()
        # Device id -> its instance, until deleted (nothing real: this process's memory).
        self.live: dict[str, str] = {}

    def in_process(self, template_attributes: Mapping[str, str]) -> bool:
        return _delay(template_attributes) <= 0

    async def create(self, spec: DeviceSpec) -> str:
        await self._step(spec, "create")
        return self.live.setdefault(str(spec.device_id), f"noop-{uuid.uuid4()}")

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
        if self.live.get(str(spec.device_id)) == instance_id:
            del self.live[str(spec.device_id)]

    async def start(self, instance_id: str, spec: DeviceSpec) -> None:
        await self._step(spec, "start")
        self.stopped.discard(instance_id)

    async def stop(
        self, instance_id: str, spec: DeviceSpec, graceful_timeout: float | None = None
    ) -> None:
        await self._step(spec, "stop")
        self.stopped.add(instance_id)

    async def status(self, instance_id: str) -> str:
        return "SHUTOFF" if instance_id in self.stopped else "ACTIVE"

    @staticmethod
    async def _step(spec: DeviceSpec, step: str) -> None:
        delay = _delay(spec.template_attributes)
        if delay > 0:
            await asyncio.sleep(delay)
        if spec.template_attributes.get("noop_fail") == step:
            raise DeviceDriverError(f"noop driver told to fail at {step}")


def _delay(template_attributes: Mapping[str, str]) -> float:
    return float(template_attributes.get("noop_delay_seconds", "0") or 0)


def _text(value: object) -> str | None:
    return None if value is None else str(value)[:255]
