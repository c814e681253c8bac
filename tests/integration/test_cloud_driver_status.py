"""What the nova and heat drivers' ``status()`` says when the cloud changes behind
servicevm's back, set through the simulator's control API over HTTP: a server in ERROR or
SHUTOFF or deleted, a stack CREATE_FAILED or UPDATE_FAILED. Asked as the health monitor
asks (``status_of`` with the device's spec), also by a driver that did not build it."""

from __future__ import annotations

import uuid

import httpx
import pytest

from servicevm_cloudsim import CloudSimulator
from servicevm_lifecycle.drivers.base import DeviceDriverError, DeviceSpec
from servicevm_lifecycle.drivers.heat import HeatDeviceDriver
from servicevm_lifecycle.drivers.nova import NovaDeviceDriver
from servicevm_lifecycle.drivers.vim import VimSessions
from servicevm_lifecycle.health.driver_monitor import RUNNING
from shared.contracts.models import ServiceContext
from tests.support.cloudsim import create_like_flow, make_spec, password_vim, sessions, sim

__all__ = ["sessions", "sim"]  # fixtures

ATTRS = {"image": "cirros", "flavor": "m1.small"}


def spec_for(sim: CloudSimulator) -> DeviceSpec:
    mgmt = uuid.UUID(sim.cloud.network_named("mgmt-net").id)
    contexts = [ServiceContext(network_id=mgmt, role="management", index=0)]
    return make_spec(password_vim(sim), dict(ATTRS), contexts)


async def control(sim: CloudSimulator, method: str, path: str, **body: str) -> None:
    async with httpx.AsyncClient(base_url=sim.url) as client:
        answer = await client.request(method, f"/_sim{path}", json=body or None)
    assert answer.status_code == 204, answer.text


async def test_nova_status_follows_the_server(sim: CloudSimulator, sessions: VimSessions) -> None:
    spec = spec_for(sim)
    server_id, _ = await create_like_flow(NovaDeviceDriver(sessions), spec)
    # A fresh driver (another process, a restart): it learns the VIM from the spec.
    driver = NovaDeviceDriver(sessions)
    with pytest.raises(DeviceDriverError, match="no VIM known"):
        await driver.status(server_id)
    assert await driver.status_of(server_id, spec) == "ACTIVE"

    await control(sim, "PUT", f"/servers/{server_id}/status", status="ERROR")
    assert await driver.status_of(server_id, spec) == "ERROR"
    await control(sim, "PUT", f"/servers/{server_id}/status", status="SHUTOFF")
    assert await driver.status_of(server_id, spec) == "SHUTOFF"
    assert {"ERROR", "SHUTOFF"}.isdisjoint(RUNNING)

    await control(sim, "DELETE", f"/servers/{server_id}")
    assert sim.servers == []
    assert await driver.status_of(server_id, spec) == "DELETED"
    assert "DELETED" not in RUNNING


async def test_heat_status_follows_the_stack(sim: CloudSimulator, sessions: VimSessions) -> None:
    spec = spec_for(sim)
    stack_id, _ = await create_like_flow(HeatDeviceDriver(sessions), spec)
    driver = HeatDeviceDriver(sessions)
    assert await driver.status_of(stack_id, spec) == "CREATE_COMPLETE"
    assert "CREATE_COMPLETE" in RUNNING

    for failed in ("CREATE_FAILED", "UPDATE_FAILED"):
        await control(sim, "PUT", f"/stacks/{stack_id}/status", status=failed, reason="boom")
        assert await driver.status_of(stack_id, spec) == failed
        assert failed not in RUNNING

    await driver.delete(stack_id, spec)
    assert await driver.status_of(stack_id, spec) == "DELETE_COMPLETE"
    assert "DELETE_COMPLETE" not in RUNNING


async def test_the_control_api_refuses_what_it_cannot_do(sim: CloudSimulator) -> None:
    async with httpx.AsyncClient(base_url=sim.url) as client:
        missing = await client.delete(f"/_sim/servers/{uuid.uuid4()}")
        assert missing.status_code == 404
        body = {"status": "BROKEN"}  # not ACTION_STATUS
        assert (
            await client.put(f"/_sim/stacks/{uuid.uuid4()}/status", json=body)
        ).status_code == 400
