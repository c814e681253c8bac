"""GRACEFUL terminate and operate STOPPED (SOL003 5.5.2.8 / 5.5.2.10) through /vnflcm/v1,
on Nova servers of the OpenStack simulator: each VNFC is asked to stop (Nova's os-stop)
and waited for up to the request's timeout, longer than the nova driver's own poll bound
(the templates' ``ready_timeout_seconds``: 1 s); then the deletes run, whether it stopped
or not. FORCEFUL does not wait. The wait is recorded in the op's plan: a lifecycle
restarted meanwhile keeps it."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from servicevm_cloudsim import CloudSimulator
from servicevm_cloudsim.model import PowerEvent
from shared.devstack import Suite
from shared.vnfd.build import sample_package
from tests.support.api import Api
from tests.support.cloudsim import shared_sim
from tests.support.vims import password_body, register, wait_checked
from tests.support.vnf_packages import onboard
from tests.support.vnflcm_api import create_vnf, run, task, vnfcs, wait_op

__all__ = ["shared_sim"]  # the fixture, imported for this module

# The nova driver gives up polling a server after 1 s: every wait below is longer.
NOVA = {"image": "cirros", "flavor": "m1.small", "ready_timeout_seconds": "1"}


@pytest.fixture
def nova_vnfd(api: Api, shared_sim: CloudSimulator) -> tuple[str, str]:
    """(vnfdId, vimId): the sample package onboarded onto nova templates, and a VIM."""
    vim = register(
        api, password_body(shared_sim, "secret", name=f"graceful-{uuid.uuid4().hex[:6]}")
    )
    assert wait_checked(api, vim["id"])["status"] == "REACHABLE"
    package = onboard(
        api,
        sample_package("simple"),
        device_driver="nova",
        mgmt_driver="noop",
        template_attributes=NOVA,
    )
    return package["vnfdId"], vim["id"]


def instantiated(api: Api, nova_vnfd: tuple[str, str]) -> tuple[dict[str, Any], set[str]]:
    """A VNF of two VNFCs on Nova, and its servers' ids."""
    vnfd_id, vim_id = nova_vnfd
    vnf = create_vnf(api, vnfd_id)
    body = {
        "flavourId": "simple",
        "vimConnectionInfo": [{"id": "sim", "vimId": vim_id, "vimType": "openstack"}],
    }
    _, vnf = run(api, vnf["id"], "instantiate", body, lambda v: len(vnfcs(v)) == 2)
    devices = [c["computeResource"]["resourceId"] for v in vnfcs(vnf).values() for c in v]
    return vnf, {api.wait_for_status(d, "ACTIVE")["instance_id"] for d in devices}


def events(sim: CloudSimulator, servers: set[str]) -> dict[str, list[PowerEvent]]:
    """Each server's stop and delete requests, in order."""
    by_server: dict[str, list[PowerEvent]] = {s: [] for s in servers}
    for event in list(sim.cloud.power_events):
        if event.server_id in servers:
            by_server[event.server_id].append(event)
    return by_server


def terminated(api: Api, vnf_id: str, body: dict[str, Any], timeout: float = 60) -> None:
    run(api, vnf_id, "terminate", body, lambda v: "instantiatedVnfInfo" not in v, timeout)


def test_graceful_terminate_waits_past_the_drivers_poll_for_the_vnfc_to_stop(
    api: Api, shared_sim: CloudSimulator, nova_vnfd: tuple[str, str]
) -> None:
    vnf, servers = instantiated(api, nova_vnfd)
    shared_sim.faults.slow_stops(3.0, count=len(servers))  # three times the poll bound
    terminated(api, vnf["id"], {"terminationType": "GRACEFUL", "gracefulTerminationTimeout": 60})
    for server, seen in events(shared_sim, servers).items():
        # Asked to stop while running, deleted only once it was off.
        assert [(e.action, e.status) for e in seen] == [
            ("stop", "ACTIVE"),
            ("delete", "SHUTOFF"),
        ], server


def test_a_vnfc_that_never_stops_is_deleted_after_the_graceful_timeout(
    api: Api, shared_sim: CloudSimulator, nova_vnfd: tuple[str, str]
) -> None:
    vnf, servers = instantiated(api, nova_vnfd)
    shared_sim.faults.slow_stops(None, count=len(servers))  # guests ignoring the shutdown
    timeout = 3
    body = {"terminationType": "GRACEFUL", "gracefulTerminationTimeout": timeout}
    terminated(api, vnf["id"], body)
    for server, seen in events(shared_sim, servers).items():
        assert [(e.action, e.status) for e in seen] == [("stop", "ACTIVE"), ("delete", "ACTIVE")]
        stop, delete = seen
        # Not before the timeout: it was waited for (a lower bound, never a speed).
        assert delete.at - stop.at >= timeout, server
    assert not [s for s in shared_sim.servers if s.id in servers]


def test_forceful_terminate_does_not_stop_or_wait(
    api: Api, shared_sim: CloudSimulator, nova_vnfd: tuple[str, str]
) -> None:
    vnf, servers = instantiated(api, nova_vnfd)
    terminated(api, vnf["id"], {"terminationType": "FORCEFUL"})
    for seen in events(shared_sim, servers).values():
        assert [(e.action, e.status) for e in seen] == [("delete", "ACTIVE")]


def test_the_graceful_wait_survives_a_lifecycle_restart(
    api: Api, suite: Suite, shared_sim: CloudSimulator, nova_vnfd: tuple[str, str]
) -> None:
    vnf, servers = instantiated(api, nova_vnfd)
    shared_sim.faults.slow_stops(None, count=len(servers))
    timeout = 8
    body = {"terminationType": "GRACEFUL", "gracefulTerminationTimeout": timeout}
    op_id = task(api, vnf["id"], "terminate", body)
    deadline = time.monotonic() + 30
    while not all(events(shared_sim, servers).values()):
        assert time.monotonic() < deadline, "the VNFCs were never asked to stop"
        time.sleep(0.1)
    suite.kill("lifecycle")
    suite.start("lifecycle")
    wait_op(api, op_id, "COMPLETED", timeout=60)
    for seen in events(shared_sim, servers).values():
        stop, delete = seen
        assert (stop.action, delete.action, delete.status) == ("stop", "delete", "ACTIVE")
        assert delete.at - stop.at >= timeout  # the restarted lifecycle waited it out


def test_a_cancel_ends_the_graceful_wait(
    api: Api, shared_sim: CloudSimulator, nova_vnfd: tuple[str, str]
) -> None:
    vnf, servers = instantiated(api, nova_vnfd)
    shared_sim.faults.slow_stops(None, count=len(servers))
    # Ten times longer than the op is given to end below: only the cancel can end it.
    body = {"terminationType": "GRACEFUL", "gracefulTerminationTimeout": 600}
    op_id = task(api, vnf["id"], "terminate", body)
    deadline = time.monotonic() + 30
    while not all(events(shared_sim, servers).values()):
        assert time.monotonic() < deadline, "the VNFCs were never asked to stop"
        time.sleep(0.1)
    cancelled = api.post(f"/vnflcm/v1/vnf_lcm_op_occs/{op_id}/cancel", {"cancelMode": "FORCEFUL"})
    assert cancelled.status_code == 202, cancelled.text
    op = wait_op(api, op_id, "FAILED_TEMP", timeout=60)
    assert op["error"]["title"] == "Operation cancelled"
    # Nothing was deleted: the deletes come only after the wait.
    assert [e.action for seen in events(shared_sim, servers).values() for e in seen] == [
        "stop"
    ] * len(servers)
    rolled = api.post(f"/vnflcm/v1/vnf_lcm_op_occs/{op_id}/rollback", {})
    assert rolled.status_code == 202, rolled.text
    wait_op(api, op_id, "ROLLED_BACK")
    terminated(api, vnf["id"], {"terminationType": "FORCEFUL"})


def test_graceful_operate_stop_waits_for_the_vnfc_then_starts_again(
    api: Api, shared_sim: CloudSimulator, nova_vnfd: tuple[str, str]
) -> None:
    vnf, servers = instantiated(api, nova_vnfd)
    shared_sim.faults.slow_stops(3.0, count=len(servers))
    body = {"changeStateTo": "STOPPED", "stopType": "GRACEFUL", "gracefulStopTimeout": 60}
    _, vnf = run(api, vnf["id"], "operate", body, lambda v: _power(v) == {"STOPPED"})
    assert {s.status for s in shared_sim.servers if s.id in servers} == {"SHUTOFF"}
    for seen in events(shared_sim, servers).values():
        assert [(e.action, e.status) for e in seen] == [("stop", "ACTIVE")]
    _, vnf = run(
        api, vnf["id"], "operate", {"changeStateTo": "STARTED"}, lambda v: _power(v) == {"STARTED"}
    )
    assert {s.status for s in shared_sim.servers if s.id in servers} == {"ACTIVE"}
    terminated(api, vnf["id"], {"terminationType": "FORCEFUL"})


def _power(vnf: dict[str, Any]) -> set[str]:
    return {c["metadata"]["powerState"] for v in vnfcs(vnf).values() for c in v}
