"""Every driver's create is idempotent by device id, and the drivers find and list what they
hold by device id (what the orphan reconciler and the delete of an unrecorded instance use):
the local driver against real appliance processes, nova and heat against the simulator."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from servicevm_cloudsim import CloudSimulator
from servicevm_lifecycle.drivers.base import DeviceSpec
from servicevm_lifecycle.drivers.heat import HeatDeviceDriver
from servicevm_lifecycle.drivers.local import LocalDeviceDriver
from servicevm_lifecycle.drivers.local_process import ApplianceRecord, free_port, launch_detached
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


async def test_a_create_after_a_worker_died_before_recording_adopts_its_appliance(
    state_dir: Path,
) -> None:
    """A worker killed after launching an appliance and before writing its state file: the
    create run again (by a restarted worker) takes that appliance, not a second one, and
    the orphan reaper's listing sees it too."""
    driver = LocalDeviceDriver(state_dir)
    spec = local_spec()
    instance_id = f"local-{uuid.uuid4()}"
    argv = [sys.executable, "-m", "servicevm_appliance", "--host", "127.0.0.1"]
    argv += ["--port", str(free_port()), "--device-id", str(spec.device_id)]
    pid = await launch_detached(argv, log_file=state_dir / f"{instance_id}.log", env={})
    assert not (state_dir / f"{instance_id}.json").exists()

    assert await driver.create(spec) == instance_id
    record = ApplianceRecord.from_json((state_dir / f"{instance_id}.json").read_text())
    assert (record.pid, record.device_id) == (pid, str(spec.device_id))
    assert [owned.instance_id for owned in await driver.owned_instances(None)] == [instance_id]
    await driver.wait_until_ready(instance_id, spec)
    await driver.delete(instance_id, spec)
    assert await driver.find_instance(spec) is None


async def test_the_reaper_listing_adopts_an_unrecorded_appliance(state_dir: Path) -> None:
    driver = LocalDeviceDriver(state_dir)
    device_id = str(uuid.uuid4())
    instance_id = f"local-{uuid.uuid4()}"
    argv = [sys.executable, "-m", "servicevm_appliance", "--host", "127.0.0.1"]
    argv += ["--port", str(free_port()), "--device-id", device_id]
    await launch_detached(argv, log_file=state_dir / f"{instance_id}.log", env={})
    (owned,) = await driver.owned_instances(None)
    assert (owned.instance_id, owned.device_id) == (instance_id, device_id)


async def test_an_appliance_logging_elsewhere_is_not_adopted(state_dir: Path) -> None:
    """Only appliances whose log is in the driver's own dir (not a dir inside it: another
    deployment's) are taken."""
    elsewhere = state_dir / "other"
    elsewhere.mkdir()
    argv = [sys.executable, "-m", "servicevm_appliance", "--host", "127.0.0.1"]
    argv += ["--port", str(free_port()), "--device-id", str(uuid.uuid4())]
    pid = await launch_detached(argv, log_file=elsewhere / f"local-{uuid.uuid4()}.log", env={})
    try:
        assert await LocalDeviceDriver(state_dir).owned_instances(None) == []
        assert not [name for name in os.listdir(state_dir) if name.endswith(".json")]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)


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
