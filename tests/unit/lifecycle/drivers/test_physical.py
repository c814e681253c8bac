"""The physical driver adopts an appliance that answers at its address and builds nothing."""

from __future__ import annotations

import asyncio
import socket
import uuid

import pytest

from servicevm_lifecycle.drivers.base import DeviceDriverError, DeviceSpec
from servicevm_lifecycle.drivers.physical import PhysicalDeviceDriver


def spec(address: str) -> DeviceSpec:
    return DeviceSpec(
        device_id=uuid.uuid4(),
        tenant_id="p",
        template_attributes={},
        kwargs={"mgmt_address": address, "host": "rack-3"},
        service_contexts=[],
    )


async def test_an_answering_appliance_is_adopted_and_released_untouched() -> None:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    address = f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    driver = PhysicalDeviceDriver()
    async with server:
        instance_id = await driver.create(spec(address))
        facts = await driver.wait_until_ready(instance_id, spec(address))
        assert facts.mgmt_address == address and facts.host == "rack-3"
        assert facts.availability_zone == "physical"
        assert await driver.status(instance_id) == "ACTIVE"
        await driver.delete(instance_id, spec(address))
        assert await driver.status(instance_id) == "ACTIVE"  # delete never powers it off
    server.close()
    await server.wait_closed()
    assert await driver.status(instance_id) == "ERROR"
    assert PhysicalDeviceDriver.replaceable is False


async def test_an_appliance_that_does_not_answer_is_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(DeviceDriverError, match="does not answer"):
        await PhysicalDeviceDriver().create(spec(f"127.0.0.1:{port}"))
    with pytest.raises(DeviceDriverError, match="mgmt_address"):
        await PhysicalDeviceDriver().create(spec(""))


async def test_a_physical_device_is_never_powered_on_or_off() -> None:
    driver = PhysicalDeviceDriver()
    with pytest.raises(DeviceDriverError, match="not powered"):
        await driver.stop("physical-127.0.0.1:1", spec("127.0.0.1:1"))
    with pytest.raises(DeviceDriverError, match="not powered"):
        await driver.start("physical-127.0.0.1:1", spec("127.0.0.1:1"))
