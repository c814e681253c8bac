"""Every driver's create is idempotent by device id, and the drivers find and list what they
hold by device id (what the orphan reconciler and the delete of an unrecorded instance use):
the local driver against real appliance processes, nova and heat against the simulator."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from servicevm_cloudsim import CloudSimulator
from servicevm_lifecycle.drivers.base import DeviceSpec
from servicevm_lifecycle.drivers.heat import HeatDeviceDriver
from servicevm_lifecycle.drivers.local import LocalDeviceDriver
from servicevm_lifecycle.drivers.noop import NoopDeviceDriver
from servicevm_lifecycle.drivers.nova import NovaDeviceDriver
from servicevm_lifecycle.drivers.physical import PhysicalDeviceDriver
from servicevm_lifecycle.drivers.vim import VimSessions
from tests.support.appliances import kill_leftovers
from tests.support.cloudsim import make_spec, password_vim, sessions, sim

__all__ = ["sessions", "sim"]  # fixtures

NOVA = {"image": "cirros", "flavor": "m1.small"}


@pytest.fixture
def state_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    kill_leftovers(tmp_path)


def local_spec() -> DeviceSpec:
    return DeviceSpec(uuid.uuid4(), "tenant-1", {}, {}, [])


async def test_a_repeated_local_create_returns_the_running_appliance(state_dir: Path) -> None:
    driver = LocalDeviceDriver(state_dir)
    spec = local_spec()
    first = await driver.create(spec)
    assert await driver.create(spec) == first  # a redelivered create: no second appliance
    assert await driver.find_instance(spec) == first
    (owned,) = await driver.owned_instances(None)
    assert (owned.instance_id, owned.device_id) == (first, str(spec.device_id))
    assert owned.created_at is not None

    await driver.delete(first, spec)
    assert await driver.find_instance(spec) is None
    assert await driver.owned_instances(None) == []
    # After a delete (a respawn), create starts a new appliance.
    second = await driver.create(spec)
    assert second != first
    await driver.delete(second, spec)


async def test_drivers_that_build_nothing_are_idempotent_and_hold_nothing() -> None:
    spec = local_spec()
    noop = NoopDeviceDriver()
    assert await noop.create(spec) == await noop.create(spec)
    assert await noop.owned_instances(None) == []
    assert await PhysicalDeviceDriver().find_instance(spec) is None


async def test_nova_finds_and_lists_servers_by_device_id(
    sim: CloudSimulator, sessions: VimSessions
) -> None:
    driver = NovaDeviceDriver(sessions)
    spec = make_spec(password_vim(sim), dict(NOVA), name="renamed-by-the-user")
    server_id = await driver.create(spec)
    assert await driver.create(spec) == server_id
    assert len(sim.servers) == 1
    assert await driver.find_instance(spec) == server_id
    other = make_spec(password_vim(sim), dict(NOVA))
    assert await driver.find_instance(other) is None
    (owned,) = await driver.owned_instances(password_vim(sim))
    assert (owned.instance_id, owned.device_id) == (server_id, str(spec.device_id))
    assert owned.created_at is not None
    await driver.delete(server_id, spec)
    assert await driver.owned_instances(password_vim(sim)) == []


async def test_heat_finds_and_lists_stacks_by_device_id(
    sim: CloudSimulator, sessions: VimSessions
) -> None:
    driver = HeatDeviceDriver(sessions)
    spec = make_spec(password_vim(sim), dict(NOVA))
    stack_id = await driver.create(spec)
    assert await driver.create(spec) == stack_id
    assert len(sim.stacks) == 1
    assert await driver.find_instance(spec) == stack_id
    (owned,) = await driver.owned_instances(password_vim(sim))
    assert (owned.instance_id, owned.device_id) == (stack_id, str(spec.device_id))
    await driver.delete(stack_id, spec)
    assert await driver.owned_instances(password_vim(sim)) == []
