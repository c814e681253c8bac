"""Nothing orphaned (issue 12, scenario 1): what a crash between a boot and its record leaves
in the local cloud or a VIM is removed by the orphan reconciler after its grace period (2 s
in the suite), a redelivered create does not start a second appliance, and a device in
ERROR with no instance id still takes its server with it when deleted."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from openstack.connection import Connection

from servicevm_cloudsim import CloudSimulator, HttpFault
from servicevm_lifecycle.drivers.base import DeviceSpec
from servicevm_lifecycle.drivers.local import LocalDeviceDriver
from servicevm_lifecycle.drivers.vim import connection_args
from shared.contracts.commands import CreateDevice
from shared.devstack import Suite
from tests.support.api import Api
from tests.support.appliances import stat_fields
from tests.support.bus import envelope_for, publish_command
from tests.support.cloudsim import password_vim, shared_sim
from tests.support.db import fetch
from tests.support.environment import APPLIANCE_STATE_DIR
from tests.support.monitoring import appliance_pid
from tests.support.vims import password_body, register, wait_checked

__all__ = ["shared_sim"]  # the fixture, imported for this module

DEVICE_ID_KEY = "servicevm_device_id"
NOVA = {"image": "cirros", "flavor": "m1.small"}


def wait_until(predicate: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"condition not met after {timeout}s"
        time.sleep(0.2)


def orphans_removed(suite: Suite, driver: str) -> float:
    text = httpx.get(f"{suite.url('lifecycle')}/metrics").text
    found = re.search(rf'servicevm_orphans_removed_total{{driver="{driver}"}} (\S+)', text)
    return float(found.group(1)) if found else 0.0


def process_alive(pid: int) -> bool:
    fields = stat_fields(pid)
    return fields is not None and fields[0] not in "ZX"


def set_lifecycle_row(suite: Suite, device_id: str, status: str) -> None:
    """As if lifecycle had died between the driver's create and its record of the id."""
    fetch(
        suite.settings,
        "lifecycle",
        "UPDATE devices SET status = $2, instance_id = NULL WHERE id = $1",
        uuid.UUID(device_id),
        status,
    )


def test_an_appliance_no_device_owns_is_removed_after_the_grace_period(
    suite: Suite, api: Api
) -> None:
    template = api.create_template(device_driver="local", mgmt_driver="noop")
    live = api.wait_for_status(api.create_device(template["id"])["id"], "ACTIVE")
    before = orphans_removed(suite, "local")
    # An appliance started for a device the database never recorded.
    stray = DeviceSpec(uuid.uuid4(), api.project, {}, {}, [])
    instance_id = asyncio.run(LocalDeviceDriver(APPLIANCE_STATE_DIR).create(stray))
    pid = appliance_pid(instance_id)

    wait_until(lambda: not process_alive(pid))
    wait_until(lambda: orphans_removed(suite, "local") >= before + 1, timeout=10)
    assert not (APPLIANCE_STATE_DIR / f"{instance_id}.json").exists()
    # The live device's appliance is its own: kept.
    assert process_alive(appliance_pid(live["instance_id"]))
    assert api.device(live["id"])["status"] == "ACTIVE"  # type: ignore[index]


def test_a_redelivered_create_does_not_start_a_second_appliance(suite: Suite, api: Api) -> None:
    template = api.create_template(device_driver="local", mgmt_driver="noop")
    device = api.wait_for_status(api.create_device(template["id"])["id"], "ACTIVE")
    set_lifecycle_row(suite, device["id"], "PENDING_CREATE")
    # The create comes again (its first delivery was never acknowledged).
    command = CreateDevice(
        id=uuid.UUID(device["id"]),
        tenant_id=api.project,
        template_id=uuid.UUID(template["id"]),
        kwargs={},
        service_contexts=[],
    )
    publish_command(suite.settings.amqp_url, envelope_for(command, api.project))

    def recorded() -> Any:
        rows = fetch(
            suite.settings,
            "lifecycle",
            "SELECT status, instance_id FROM devices WHERE id = $1",
            uuid.UUID(device["id"]),
        )
        return rows[0]

    wait_until(lambda: recorded()["instance_id"] is not None)
    assert recorded()["instance_id"] == device["instance_id"]
    mine = [path for path in APPLIANCE_STATE_DIR.glob("*.json") if device["id"] in path.read_text()]
    assert len(mine) == 1
    pid = appliance_pid(mine[0].stem)
    api.wait_for_status(device["id"], "ACTIVE")
    assert api.delete(f"/v1.0/devices/{device['id']}").status_code == 204
    api.wait_until_gone(device["id"])
    assert not process_alive(pid)


def servers_of(sim: CloudSimulator, device_id: str) -> list[Any]:
    return [s for s in sim.servers if s.metadata.get(DEVICE_ID_KEY) == device_id]


def boot_stray_server(sim: CloudSimulator) -> str:
    """A server tagged with a device id the database does not know, through the Nova API."""
    stray_id = str(uuid.uuid4())
    conn = Connection(**connection_args(password_vim(sim)))
    try:
        image = conn.image.find_image("cirros", ignore_missing=False)
        flavor = conn.compute.find_flavor("m1.small", ignore_missing=False)
        conn.compute.create_server(
            name=f"servicevm-{stray_id}",
            image_id=image.id,
            flavor_id=flavor.id,
            metadata={DEVICE_ID_KEY: stray_id},
        )
    finally:
        conn.close()
    return stray_id


def test_a_server_no_device_owns_is_removed_and_an_error_device_takes_its_server_with_it(
    suite: Suite, api: Api, shared_sim: CloudSimulator
) -> None:
    vim = wait_checked(api, register(api, password_body(shared_sim, "secret"))["id"])
    assert vim["status"] == "REACHABLE", vim
    template = api.create_template(device_driver="nova", attributes=NOVA, vim_id=vim["id"])
    device = api.wait_for_status(api.create_device(template["id"])["id"], "ACTIVE")
    before = orphans_removed(suite, "nova")

    stray_id = boot_stray_server(shared_sim)
    assert servers_of(shared_sim, stray_id)
    wait_until(lambda: not servers_of(shared_sim, stray_id))
    # Counted once the driver has seen it gone.
    wait_until(lambda: orphans_removed(suite, "nova") >= before + 1, timeout=10)
    (kept,) = servers_of(shared_sim, device["id"])
    assert kept.id == device["instance_id"]

    # Lifecycle died after the boot and the retry failed: ERROR, no instance id recorded.
    set_lifecycle_row(suite, device["id"], "ERROR")
    assert api.delete(f"/v1.0/devices/{device['id']}").status_code == 204
    api.wait_until_gone(device["id"])
    assert servers_of(shared_sim, device["id"]) == []


def test_lifecycle_killed_between_the_boot_and_its_record_builds_one_server(
    suite: Suite, api: Api, shared_sim: CloudSimulator
) -> None:
    vim = wait_checked(api, register(api, password_body(shared_sim, "secret"))["id"])
    template = api.create_template(device_driver="nova", attributes=NOVA, vim_id=vim["id"])
    # Nova boots the server but its answer takes 5 s: lifecycle dies waiting for it.
    shared_sim.faults.add_http(
        HttpFault(delay=5, method="POST", path_contains="/servers", after=True)
    )
    device = api.create_device(template["id"])
    wait_until(lambda: bool(servers_of(shared_sim, device["id"])), timeout=15)
    suite.kill("lifecycle")
    suite.start("lifecycle")
    # The create comes again to the new process: it finds the server, never boots a second.
    active = api.wait_for_status(device["id"], "ACTIVE", timeout=30)
    (server,) = servers_of(shared_sim, device["id"])
    assert server.id == active["instance_id"]
    assert api.delete(f"/v1.0/devices/{device['id']}").status_code == 204
    api.wait_until_gone(device["id"])
    assert servers_of(shared_sim, device["id"]) == []
