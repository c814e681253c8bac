"""Two lifecycle and two mgmt replicas on one database and one vhost (issue 12, scenarios 6
and 7): a
message redelivered to the other replica never runs its operation twice (servers counted at
the OpenStack simulator), a replica killed mid driver call leaves its operation to the other,
which finishes it once and keeps the device's order, and a database blip inside a driver
step does not end in ERROR, and instances placed on devices lifecycle made ACTIVE itself
(nothing for mgmt to configure) find those devices recorded by mgmt.

The suite's own lifecycle and mgmt are stopped for this module and two replicas of each are
started on ports of their own, with short leases; the suite's are started again afterwards.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

import asyncpg
import httpx
import pytest

from servicevm_cloudsim import CloudSimulator
from servicevm_cloudsim.faults import HttpFault
from shared.config import ServiceName
from shared.contracts.commands import CreateDevice, DeleteDevice, UpdateDevice
from shared.devstack import Suite, isolated_settings
from tests.support.api import Api
from tests.support.bus import NotificationListener, envelope_for, publish_command
from tests.support.cloudsim import set_secrets, shared_sim
from tests.support.db import fetch
from tests.support.environment import _PORT_BASE, TEST_ENV
from tests.support.vims import password_body, register, wait_checked

__all__ = ["shared_sim"]  # the fixture, imported for this module

PASSWORD = f"pw-{uuid.uuid4().hex}"
NOVA = {"image": "cirros", "flavor": "m1.small"}
LEASE_SECONDS = 2.0
HANDOFF_SECONDS = 5.0
# Per replica: (lifecycle's port, mgmt's port).
REPLICA_PORTS = ((_PORT_BASE + 20, _PORT_BASE + 22), (_PORT_BASE + 21, _PORT_BASE + 23))
SERVICES: tuple[ServiceName, ...] = ("lifecycle", "mgmt")


class Replicas:
    """Two lifecycle and two mgmt processes sharing the suite's database and bus."""

    def __init__(self, log_dir: Any) -> None:
        self.suites: list[Suite] = []
        for index, (lifecycle_port, mgmt_port) in enumerate(REPLICA_PORTS):
            env = {
                **TEST_ENV,
                "SERVICEVM_LIFECYCLE_PORT": str(lifecycle_port),
                "SERVICEVM_MGMT_PORT": str(mgmt_port),
                "SERVICEVM_LEASE_SECONDS": str(LEASE_SECONDS),
                "SERVICEVM_LEASE_SWEEP_SECONDS": "0.5",
                # Long enough for a connection to be cut mid boot (rabbitmqctl is slow),
                # short enough for a test to see an operation handed off.
                "SERVICEVM_HANDOFF_AFTER_SECONDS": str(HANDOFF_SECONDS),
                "SERVICEVM_DB_POOL_SIZE": "4",
                "SERVICEVM_DB_MAX_OVERFLOW": "2",
            }
            log = log_dir / f"replica-{index + 1}"
            self.suites.append(Suite(isolated_settings(env), env=env, log_dir=log))

    def ensure_running(self) -> None:
        for suite in self.suites:
            missing = [s for s in SERVICES if s not in suite.processes]
            if missing:
                suite.start(*missing)

    def holding(self, pid: int) -> Suite:
        return next(s for s in self.suites if s.processes["lifecycle"].pid == pid)

    def stop(self) -> None:
        for suite in self.suites:
            suite.stop()


@pytest.fixture(scope="module")
def replicas(suite: Suite) -> Iterator[Replicas]:
    assert suite.log_dir is not None
    pair = Replicas(suite.log_dir)
    suite.stop(*SERVICES)
    try:
        pair.ensure_running()
        yield pair
    finally:
        pair.stop()
        suite.start(*SERVICES)


@pytest.fixture
def two(replicas: Replicas) -> Replicas:
    replicas.ensure_running()  # a test may have killed one
    return replicas


@pytest.fixture(scope="module")
def sim(shared_sim: CloudSimulator) -> CloudSimulator:
    set_secrets(shared_sim, password=PASSWORD, app_secret=f"s-{uuid.uuid4().hex}")
    return shared_sim


def own_servers(sim: CloudSimulator, device_id: str) -> list[Any]:
    return [s for s in sim.servers if s.metadata.get("servicevm_device_id") == device_id]


def nova_device(api: Api, sim: CloudSimulator) -> dict[str, Any]:
    vim = wait_checked(api, register(api, password_body(sim, PASSWORD))["id"])
    template = api.create_template(device_driver="nova", attributes=NOVA, vim_id=vim["id"])
    contexts = [{"network_id": sim.cloud.network_named("mgmt-net").id, "role": "management"}]
    return api.create_device(template["id"], service_contexts=contexts)


def lease_holder_pid(suite: Suite, subject: str, timeout: float = 10.0) -> int:
    """The process holding the lease of this subject (its owner names its pid)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = fetch(
            suite.settings,
            "lifecycle",
            "SELECT owner FROM resource_leases WHERE subject = $1",
            subject,
        )
        if rows:
            return int(rows[0]["owner"].split(":")[1])
        time.sleep(0.02)
    raise AssertionError(f"nobody took the lease of {subject}")


def consumer_connections(suite: Suite) -> dict[int, str]:
    """The broker's connection of each lifecycle process's consumer, by process id (listed
    ahead: rabbitmqctl takes seconds to answer)."""
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("rabbitmqctl is not installed: cannot close a broker connection")
    vhost = unquote(urlsplit(suite.settings.amqp_url).path.lstrip("/"))
    listed = subprocess.run(
        ["rabbitmqctl", "-q", "list_connections", "-p", vhost, "pid", "client_properties"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found = re.findall(r"^(\S+)\t.*servicevm lifecycle consumer pid (\d+)", listed.stdout, re.M)
    return {int(pid): connection for connection, pid in found}


def close_connection(connection: str) -> None:
    """The broker drops a connection, as a network cut would."""
    subprocess.run(
        ["rabbitmqctl", "-q", "close_connection", connection, "test: network cut"],
        capture_output=True,
        timeout=60,
        check=True,
    )


def duplicates_skipped(suite: Suite) -> float:
    """Create-device messages this replica found already handled (its /metrics)."""
    text = httpx.get(f"{suite.url('lifecycle')}/metrics", timeout=5).text
    wanted = (
        'servicevm_messages_handled_total{message_type="lifecycle.create_device",'
        'outcome="duplicate",service="lifecycle"}'
    )
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(wanted))


def test_a_message_redelivered_to_the_other_replica_boots_one_server(
    two: Replicas, suite: Suite, api: Api, sim: CloudSimulator
) -> None:
    connections = consumer_connections(suite)
    # The boot call hangs for a while: the holder is inside it when its connection drops.
    sim.faults.add_http(HttpFault(delay=6.0, method="POST", path_contains="/servers"))
    device = nova_device(api, sim)
    holder = lease_holder_pid(suite, device["id"])
    other = next(s for s in two.suites if s.processes["lifecycle"].pid != holder)
    skipped = duplicates_skipped(other)
    close_connection(connections[holder])
    # The other replica got the message at once; it waits for the lease, then skips it.
    active = api.wait_for_status(device["id"], "ACTIVE", timeout=30)
    assert len(own_servers(sim, device["id"])) == 1
    assert active["instance_id"] == own_servers(sim, device["id"])[0].id
    deadline = time.monotonic() + 10
    while duplicates_skipped(other) == skipped and time.monotonic() < deadline:
        time.sleep(0.1)
    assert duplicates_skipped(other) == skipped + 1  # it was redelivered there, and skipped


def test_a_replica_killed_mid_driver_call_leaves_the_operation_to_the_other(
    two: Replicas, suite: Suite, api: Api, sim: CloudSimulator
) -> None:
    sim.faults.add_http(HttpFault(delay=1.0, method="POST", path_contains="/servers"))
    device = nova_device(api, sim)
    holder = lease_holder_pid(suite, device["id"])
    time.sleep(0.3)
    two.holding(holder).kill("lifecycle")  # SIGKILL, inside the boot call
    active = api.wait_for_status(device["id"], "ACTIVE", timeout=40)
    (server,) = own_servers(sim, device["id"])  # booted once
    assert active["instance_id"] == server.id
    deadline = time.monotonic() + 5  # released just after the last commit
    while fetch(suite.settings, "lifecycle", "SELECT 1 FROM resource_leases"):
        assert time.monotonic() < deadline, "the survivor never released the lease"
        time.sleep(0.05)


def test_an_operation_handed_off_is_resumed_when_its_replica_dies(
    two: Replicas, suite: Suite, api: Api
) -> None:
    # Create and wait take 4 s each: past the hand-off the message is settled, and the
    # operation lives on only as its lease row.
    template = api.create_template(attributes={"noop_delay_seconds": "4"})
    device = api.create_device(template["id"])
    holder = lease_holder_pid(suite, device["id"])
    time.sleep(HANDOFF_SECONDS + 1.5)
    survivor = next(s for s in two.suites if s.processes["lifecycle"].pid != holder)
    dying = two.holding(holder)
    dying.kill("lifecycle")
    assert logged(dying, "long operation handed off", device["id"])  # its message settled
    active = api.wait_for_status(device["id"], "ACTIVE", timeout=40)
    assert active["instance_id"]
    assert logged(survivor, "resuming an operation", device["id"])


def logged(replica: Suite, message: str, subject: str) -> bool:
    assert replica.log_dir is not None
    lines = (replica.log_dir / "lifecycle.log").read_text().splitlines()
    return any(message in line and subject in line for line in lines)


def test_a_devices_order_is_kept_when_its_replica_dies(
    two: Replicas, suite: Suite, api: Api, notifications: NotificationListener
) -> None:
    template = api.create_template(attributes={"noop_delay_seconds": "0.5"})
    device_id = uuid.uuid4()
    create = CreateDevice(
        id=device_id,
        tenant_id=api.project,
        template_id=uuid.UUID(template["id"]),
        kwargs={},
        service_contexts=[],
    )
    # Three operations on one device queued back to back, as a busy client's would be.
    for command in (
        create,
        UpdateDevice(id=device_id, kwargs={"step": 2}),
        DeleteDevice(id=device_id),
    ):
        publish_command(suite.settings.amqp_url, envelope_for(command, api.project))
    holder = lease_holder_pid(suite, str(device_id))
    time.sleep(0.2)
    two.holding(holder).kill("lifecycle")  # mid create: the other replica goes on from there
    notifications.wait_for(
        lambda _: "device.deleted" in [k for k, _ in notifications.for_resource(str(device_id))],
        timeout=40,
    )
    notifications.drain(0.5)
    assert [k for k, _ in notifications.for_resource(str(device_id))] == [
        "device.pending_create",
        "device.active",
        "device.pending_update",
        "device.active",
        "device.pending_delete",
        "device.deleted",
    ]


def test_a_database_blip_inside_a_driver_step_does_not_end_in_error(
    two: Replicas, suite: Suite, api: Api
) -> None:
    template = api.create_template(attributes={"noop_delay_seconds": "1"})
    device = api.create_device(template["id"])
    lease_holder_pid(suite, device["id"])
    # The step that records the instance id is cut at its statement: its connection is
    # terminated while it waits for the device's row (held here for that moment).
    cut = asyncio.run(cut_the_instance_record(suite, uuid.UUID(device["id"])))
    assert cut, "lifecycle never tried to record the instance id"
    active = api.wait_for_status(device["id"], "ACTIVE", timeout=30)
    assert active["instance_id"] and not active.get("error_reason")


async def cut_the_instance_record(suite: Suite, device_id: uuid.UUID) -> bool:
    """Hold the device's row, terminate the lifecycle connection that waits for it (only
    this suite's database: the server and every other database go on), then let go."""
    settings = suite.settings
    dsn = settings.db_admin_url.rsplit("/", 1)[0] + f"/{settings.db_name}"
    holder = await asyncpg.connect(dsn)
    try:
        async with holder.transaction():
            deadline = time.monotonic() + 10
            while not await holder.fetchval(  # lifecycle records the device, then calls
                "SELECT 1 FROM lifecycle.devices WHERE id = $1 FOR UPDATE", device_id
            ):
                assert time.monotonic() < deadline, "lifecycle never recorded the device"
                await asyncio.sleep(0.02)
            while time.monotonic() < deadline:
                cut = await holder.fetch(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = $1 AND usename = $2 AND wait_event_type = 'Lock'",
                    settings.db_name,
                    settings.role("lifecycle"),
                )
                if cut:
                    return True
                await asyncio.sleep(0.02)
            return False
    finally:
        await holder.close()


def test_instances_placed_on_devices_made_active_without_mgmt_are_configured(
    two: Replicas, api: Api
) -> None:
    # Each request finds no room: the pool grows a device, lifecycle makes it ACTIVE itself
    # (noop mgmt) while telling mgmt of it, and the scheduler places at once; both mgmt
    # replicas are up, the placement must reach mgmt after the device's record.
    template = api.create_template(
        service_types=["firewall"], attributes={"slot_capacity": "1", "max_devices": "6"}
    )
    requested = [api.create_instance(api.service_type_id(template)) for _ in range(6)]
    for instance in requested:
        placed = api.wait_for_instance(instance["id"], "ACTIVE", "ERROR", timeout=60)
        assert placed["status"] == "ACTIVE", placed
