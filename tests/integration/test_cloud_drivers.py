"""The nova and heat drivers against the cloud simulator over real HTTP (openstacksdk as is).

Failures go through shared.flows.run_flow so the revert is the one the lifecycle service
runs; after each, the simulator must hold no server, port or stack of the device.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

import httpx
import pytest

from servicevm_cloudsim import HOSTS, NO_VALID_HOST, CloudSimulator, HttpFault
from servicevm_lifecycle.drivers.base import DeviceDriver, DeviceDriverError, DeviceSpec
from servicevm_lifecycle.drivers.heat import HeatDeviceDriver
from servicevm_lifecycle.drivers.nova import NovaDeviceDriver
from servicevm_lifecycle.drivers.vim import VimSessions
from shared import plugins
from shared.contracts.models import ServiceContext
from shared.flows import FlowFailed
from tests.support.cloudsim import (
    FAST_SETTINGS,
    app_credential_vim,
    create_like_flow,
    make_spec,
    password_vim,
    sessions,
    sim,
)

__all__ = ["sessions", "sim"]  # fixtures

NOVA_ATTRS = {"image": "cirros", "flavor": "m1.small", "security_groups": "default, web"}


def contexts(sim: CloudSimulator) -> list[ServiceContext]:
    """A data NIC first, the management NIC second: the address must come from the second."""
    data = uuid.UUID(sim.cloud.network_named("data-net").id)
    mgmt = uuid.UUID(sim.cloud.network_named("mgmt-net").id)
    return [
        ServiceContext(network_id=data, role="data", index=0),
        ServiceContext(network_id=mgmt, role="management", index=1),
    ]


def nova_spec(sim: CloudSimulator, **kwargs: object) -> DeviceSpec:
    return make_spec(password_vim(sim), dict(NOVA_ATTRS), contexts(sim), **kwargs)


def assert_nothing_left(sim: CloudSimulator) -> None:
    assert sim.servers == []
    assert sim.stacks == []
    assert [p for p in sim.cloud.ports.values() if p.owned_by_server] == []


async def flow_failure(driver: DeviceDriver, spec: DeviceSpec) -> str:
    with pytest.raises(FlowFailed) as failed:
        await create_like_flow(driver, spec)
    assert isinstance(failed.value.__cause__, DeviceDriverError)
    return failed.value.reason


# --- nova: the happy path ------------------------------------------------------------------
async def test_nova_create_ready_update_delete(sim: CloudSimulator, sessions: VimSessions) -> None:
    driver = NovaDeviceDriver(sessions)
    spec = nova_spec(sim, metadata={"owner": "lb"})

    instance_id, facts = await create_like_flow(driver, spec)

    [server] = sim.servers
    assert server.id == instance_id and server.status == "ACTIVE"
    mgmt_port = next(
        sim.cloud.ports[p]
        for p in server.port_ids
        if sim.cloud.ports[p].network_id == sim.cloud.network_named("mgmt-net").id
    )
    assert facts.mgmt_address == mgmt_port.ip_address
    assert facts.mgmt_address.startswith("10.0.1.")  # mgmt-net, not the first NIC (data-net)
    assert facts.host == server.host and facts.host in HOSTS
    assert facts.availability_zone == HOSTS[server.host]
    assert server.security_groups == ["default", "web"]
    assert server.metadata == {"owner": "lb", "servicevm_device_id": str(spec.device_id)}
    assert await driver.status(instance_id) == "ACTIVE"

    updated = make_spec(
        spec.vim,
        spec.template_attributes,
        spec.service_contexts,
        name="lb-1",
        metadata={"owner": "fw"},
    )
    updated = DeviceSpec(**{**updated.__dict__, "device_id": spec.device_id})
    await driver.update(instance_id, updated)
    [server] = sim.servers
    assert server.name == "lb-1" and server.metadata["owner"] == "fw"

    await driver.delete(instance_id, spec)
    assert_nothing_left(sim)
    await driver.delete(instance_id, spec)  # an absent server is not an error


async def test_nova_stop_and_start(sim: CloudSimulator, sessions: VimSessions) -> None:
    driver = NovaDeviceDriver(sessions)
    spec = nova_spec(sim)
    instance_id, _ = await create_like_flow(driver, spec)
    await driver.stop(instance_id, spec)
    assert sim.servers[0].status == "SHUTOFF"
    await driver.stop(instance_id, spec)  # stopped already: not asked again, no 409
    await driver.start(instance_id, spec)
    await driver.start(instance_id, spec)
    assert sim.servers[0].status == "ACTIVE"
    await driver.delete(instance_id, spec)
    with pytest.raises(DeviceDriverError, match="does not exist"):
        await driver.start(instance_id, spec)


async def test_nova_request_stop_asks_once_and_does_not_wait(
    sim: CloudSimulator, sessions: VimSessions
) -> None:
    driver = NovaDeviceDriver(sessions)
    spec = nova_spec(sim)
    instance_id, _ = await create_like_flow(driver, spec)
    sim.faults.slow_stops(None)  # a guest that ignores the ACPI shutdown
    await driver.request_stop(instance_id, spec)
    assert not await driver.is_stopped(instance_id, spec)
    await driver.request_stop(instance_id, spec)  # powering off already: not asked again
    assert [e.action for e in sim.cloud.power_events] == ["stop"]
    with pytest.raises(DeviceDriverError):
        # A forceful stop cannot hurry Nova's: its wait is bounded by the poll timeout.
        await driver.stop(
            instance_id,
            dataclasses.replace(
                spec,
                template_attributes={**spec.template_attributes, "ready_timeout_seconds": "0.3"},
            ),
        )
    await driver.delete(instance_id, spec)
    assert await driver.is_stopped(instance_id, spec)  # gone counts as off
    assert [(e.action, e.status) for e in sim.cloud.power_events] == [
        ("stop", "ACTIVE"),
        ("delete", "ACTIVE"),
    ]


async def test_nova_request_stop_of_a_slow_guest(
    sim: CloudSimulator, sessions: VimSessions
) -> None:
    driver = NovaDeviceDriver(sessions)
    spec = nova_spec(sim)
    instance_id, _ = await create_like_flow(driver, spec)
    sim.faults.slow_stops(0.3)
    await driver.request_stop(instance_id, spec)
    assert sim.servers[0].status == "ACTIVE"
    for _ in range(100):  # a few polls: it powers off 0.3 s after the ask
        if await driver.is_stopped(instance_id, spec):
            break
        await asyncio.sleep(0.05)
    assert sim.servers[0].status == "SHUTOFF"
    await driver.request_stop(instance_id, spec)  # stopped already: nothing asked
    assert len(sim.cloud.power_events) == 1
    await driver.delete(instance_id, spec)


async def test_nova_existing_port_and_zone(sim: CloudSimulator, sessions: VimSessions) -> None:
    port = sim.cloud.create_port(sim.cloud.network_named("ext-net").id, name="pre-made")
    spec = make_spec(
        password_vim(sim),
        {**NOVA_ATTRS, "availability_zone": "az-2", "user_data": "#cloud-config\n"},
        [ServiceContext(port_id=uuid.UUID(port.id), role="management")],
    )
    driver = NovaDeviceDriver(sessions)
    instance_id, facts = await create_like_flow(driver, spec)

    assert facts.mgmt_address == port.ip_address
    assert facts.availability_zone == "az-2" and HOSTS[facts.host or ""] == "az-2"
    assert sim.servers[0].user_data == "#cloud-config\n"
    await driver.delete(instance_id, spec)
    assert_nothing_left(sim)
    assert sim.cloud.ports[port.id].device_id == ""  # a port we were given outlives the server


async def test_nova_application_credential(sim: CloudSimulator, sessions: VimSessions) -> None:
    driver = NovaDeviceDriver(sessions)
    spec = make_spec(app_credential_vim(sim), dict(NOVA_ATTRS), contexts(sim))
    instance_id, facts = await create_like_flow(driver, spec)
    assert facts.mgmt_address is not None
    await driver.delete(instance_id, spec)
    assert_nothing_left(sim)


# --- nova: failures ------------------------------------------------------------------------
async def test_nova_wrong_password(sim: CloudSimulator, sessions: VimSessions) -> None:
    spec = make_spec(password_vim(sim, password="wrong"), dict(NOVA_ATTRS), contexts(sim))
    reason = await flow_failure(NovaDeviceDriver(sessions), spec)
    assert "VIM authentication failed" in reason and "401" in reason
    assert_nothing_left(sim)


async def test_nova_no_vim(sessions: VimSessions) -> None:
    with pytest.raises(DeviceDriverError, match="no VIM"):
        await NovaDeviceDriver(sessions).create(make_spec(None, dict(NOVA_ATTRS)))


async def test_nova_boot_error_no_valid_host(sim: CloudSimulator, sessions: VimSessions) -> None:
    sim.faults.fail_boots(1)
    reason = await flow_failure(NovaDeviceDriver(sessions), nova_spec(sim))
    assert "went to ERROR" in reason and NO_VALID_HOST in reason
    assert_nothing_left(sim)


async def test_nova_quota_exceeded(sim: CloudSimulator, sessions: VimSessions) -> None:
    sim.cloud.quota_instances = 0
    reason = await flow_failure(NovaDeviceDriver(sessions), nova_spec(sim))
    assert "Quota exceeded for instances" in reason and "403" in reason
    assert_nothing_left(sim)


async def test_nova_missing_image(sim: CloudSimulator, sessions: VimSessions) -> None:
    sim.cloud.remove_image("cirros")
    reason = await flow_failure(NovaDeviceDriver(sessions), nova_spec(sim))
    assert "image 'cirros' not found" in reason
    assert_nothing_left(sim)


async def test_nova_missing_flavor(sim: CloudSimulator, sessions: VimSessions) -> None:
    spec = make_spec(password_vim(sim), {**NOVA_ATTRS, "flavor": "m1.huge"}, contexts(sim))
    reason = await flow_failure(NovaDeviceDriver(sessions), spec)
    assert "flavor 'm1.huge' not found" in reason


async def test_nova_transient_5xx_is_retried(sim: CloudSimulator, sessions: VimSessions) -> None:
    sim.faults.add_http(HttpFault(status=503, count=2, method="POST", path_contains="/servers"))
    sim.faults.add_http(HttpFault(status=502, count=1, method="GET", path_contains="/ports"))
    driver = NovaDeviceDriver(sessions)
    spec = nova_spec(sim)
    instance_id, _ = await create_like_flow(driver, spec)

    posts = [r for r in sim.requests("/compute/v2.1/servers") if r[0] == "POST"]
    assert [status for _, _, status in posts] == [503, 503, 202]
    assert [s.id for s in sim.servers] == [instance_id]  # retries booted exactly one
    assert ("GET", "/network/v2.0/ports", 502) in sim.requests("/ports")
    await driver.delete(instance_id, spec)
    assert_nothing_left(sim)


async def test_nova_persistent_5xx(sim: CloudSimulator, sessions: VimSessions) -> None:
    sim.faults.add_http(HttpFault(status=503, count=None, method="POST", path_contains="/servers"))
    reason = await flow_failure(NovaDeviceDriver(sessions), nova_spec(sim))
    assert "after 3 tries" in reason and "503" in reason
    assert_nothing_left(sim)


async def test_nova_slow_cloud_times_out(sim: CloudSimulator, sessions: VimSessions) -> None:
    # Every status poll answers after 0.3 s and the server never becomes ACTIVE in time.
    sim.cloud.timing.boot_seconds = 60
    sim.faults.add_http(HttpFault(delay=0.3, count=None, method="GET", path_contains="/servers/"))
    spec = make_spec(
        password_vim(sim), {**NOVA_ATTRS, "ready_timeout_seconds": "0.5"}, contexts(sim)
    )
    reason = await flow_failure(NovaDeviceDriver(sessions), spec)
    assert "timed out after 0.5 s waiting for server" in reason and "BUILD" in reason
    sim.faults.clear()
    assert_nothing_left(sim)


async def test_nova_request_timeout(sim: CloudSimulator) -> None:
    # Every try answers slower than vim_api_timeout_seconds: a clear timeout error.
    sessions = VimSessions(FAST_SETTINGS.model_copy(update={"vim_api_timeout_seconds": 0.2}))
    sim.faults.add_http(HttpFault(delay=0.4, count=None, method="GET", path_contains="/flavors"))
    try:
        reason = await flow_failure(NovaDeviceDriver(sessions), nova_spec(sim))
    finally:
        await asyncio.to_thread(sessions.close)
    assert "after 3 tries" in reason and "timed out" in reason
    sim.faults.clear()
    assert_nothing_left(sim)


# --- heat ----------------------------------------------------------------------------------
CUSTOM_HOT = """
heat_template_version: 2018-08-31
parameters:
  image: {type: string, default: cirros}
  flavor: {type: string}
  network: {type: string}
resources:
  vm:
    type: OS::Nova::Server
    properties:
      image: {get_param: image}
      flavor: {get_param: flavor}
      networks: [{network: {get_param: network}}]
outputs:
  mgmt_ip:
    value: {get_attr: [vm, first_address]}
"""


def heat_spec(sim: CloudSimulator, attrs: dict[str, str], **kwargs: object) -> DeviceSpec:
    return make_spec(password_vim(sim), attrs, contexts(sim), **kwargs)


def same_device(spec: DeviceSpec, **kwargs: object) -> DeviceSpec:
    return dataclasses.replace(spec, kwargs=kwargs)


async def test_heat_generated_template(sim: CloudSimulator, sessions: VimSessions) -> None:
    driver = HeatDeviceDriver(sessions)
    spec = heat_spec(sim, dict(NOVA_ATTRS), metadata={"owner": "lb"})
    stack_id, facts = await create_like_flow(driver, spec)

    [stack] = sim.stacks
    [server] = sim.servers
    assert stack.id == stack_id and stack.stack_status == "CREATE_COMPLETE"
    assert facts.mgmt_address is not None and facts.mgmt_address.startswith("10.0.1.")
    assert facts.host == server.host and facts.availability_zone == HOSTS[server.host]
    assert server.metadata["owner"] == "lb"

    await driver.update(stack_id, same_device(spec, metadata={"owner": "fw"}))
    [stack] = sim.stacks
    assert stack.stack_status == "UPDATE_COMPLETE"
    assert [(s.id, s.metadata["owner"]) for s in sim.servers] == [(server.id, "fw")]
    assert await driver.status(stack_id) == "UPDATE_COMPLETE"

    await driver.delete(stack_id, spec)
    assert_nothing_left(sim)


async def test_heat_custom_template_and_parameters(
    sim: CloudSimulator, sessions: VimSessions
) -> None:
    driver = HeatDeviceDriver(sessions)
    spec = heat_spec(
        sim, {"heat_template": CUSTOM_HOT}, flavor="m1.tiny", parameters={"network": "data-net"}
    )
    stack_id, facts = await create_like_flow(driver, spec)

    [server] = sim.servers
    assert facts.mgmt_address is not None and facts.mgmt_address.startswith("10.0.2.")  # data-net
    assert facts.host is None  # the template has no host output
    assert sim.stacks[0].parameters == {
        "image": "cirros",
        "flavor": "m1.tiny",
        "network": "data-net",
    }

    # A new image replaces the server, as Heat does.
    await driver.update(
        stack_id,
        same_device(spec, flavor="m1.tiny", image="vyos", parameters={"network": "data-net"}),
    )
    [replaced] = sim.servers
    assert replaced.id != server.id and replaced.image_id == sim.cloud.image_named("vyos").id

    await driver.delete(stack_id, spec)
    assert_nothing_left(sim)


async def test_heat_suspend_and_resume(sim: CloudSimulator, sessions: VimSessions) -> None:
    """stop/start (SOL003 OPERATE) are Heat's stack suspend and resume."""
    driver = HeatDeviceDriver(sessions)
    spec = heat_spec(sim, dict(NOVA_ATTRS))
    stack_id, _ = await create_like_flow(driver, spec)
    await driver.stop(stack_id, spec)
    assert sim.stacks[0].stack_status == "SUSPEND_COMPLETE"
    assert [s.status for s in sim.servers] == ["SUSPENDED"]
    await driver.stop(stack_id, spec)  # suspended already: not asked again
    await driver.start(stack_id, spec)
    assert sim.stacks[0].stack_status == "RESUME_COMPLETE"
    assert [s.status for s in sim.servers] == ["ACTIVE"]
    await driver.start(stack_id, spec)  # resumed already: Heat would refuse a second resume
    assert await driver.status(stack_id) == "RESUME_COMPLETE"
    await driver.delete(stack_id, spec)
    assert_nothing_left(sim)
    with pytest.raises(DeviceDriverError, match="does not exist"):
        await driver.start(stack_id, spec)


async def test_heat_request_stop_suspends_without_waiting(
    sim: CloudSimulator, sessions: VimSessions
) -> None:
    driver = HeatDeviceDriver(sessions)
    spec = heat_spec(sim, dict(NOVA_ATTRS))
    stack_id, _ = await create_like_flow(driver, spec)
    await driver.request_stop(stack_id, spec)
    for _ in range(100):  # the simulator completes a stack action within a few polls
        if await driver.is_stopped(stack_id, spec):
            break
        await asyncio.sleep(0.05)
    assert sim.stacks[0].stack_status == "SUSPEND_COMPLETE"
    await driver.request_stop(stack_id, spec)  # suspended already: not asked again
    assert sim.stacks[0].stack_status == "SUSPEND_COMPLETE"
    await driver.delete(stack_id, spec)
    assert await driver.is_stopped(stack_id, spec)  # gone: off
    assert_nothing_left(sim)


async def test_heat_failing_stack(sim: CloudSimulator, sessions: VimSessions) -> None:
    sim.faults.fail_boots(1)
    reason = await flow_failure(HeatDeviceDriver(sessions), heat_spec(sim, dict(NOVA_ATTRS)))
    assert "CREATE_FAILED" in reason and "ResourceInError" in reason and NO_VALID_HOST in reason
    assert_nothing_left(sim)


async def test_heat_refused_template(sim: CloudSimulator, sessions: VimSessions) -> None:
    spec = heat_spec(sim, {**NOVA_ATTRS, "image": "no-such-image"})
    reason = await flow_failure(HeatDeviceDriver(sessions), spec)
    assert "Image no-such-image could not be found" in reason and "400" in reason
    assert_nothing_left(sim)


async def test_heat_application_credential_and_transient_5xx(
    sim: CloudSimulator, sessions: VimSessions
) -> None:
    sim.faults.add_http(HttpFault(status=503, count=1, method="POST", path_contains="/stacks"))
    driver = HeatDeviceDriver(sessions)
    spec = make_spec(app_credential_vim(sim), dict(NOVA_ATTRS), contexts(sim))
    stack_id, facts = await create_like_flow(driver, spec)
    assert facts.mgmt_address is not None
    assert len(sim.stacks) == 1
    await driver.delete(stack_id, spec)
    assert_nothing_left(sim)


async def test_heat_wrong_password(sim: CloudSimulator, sessions: VimSessions) -> None:
    spec = make_spec(password_vim(sim, password="wrong"), dict(NOVA_ATTRS), contexts(sim))
    reason = await flow_failure(HeatDeviceDriver(sessions), spec)
    assert "VIM authentication failed" in reason


# --- the simulator's control API and the plug-in names -------------------------------------
async def test_control_api_injects_faults_over_http(
    sim: CloudSimulator, sessions: VimSessions
) -> None:
    async with httpx.AsyncClient(base_url=sim.url) as client:
        answer = await client.post(
            "/_sim/faults", json={"kind": "boot_error", "message": "host on fire"}
        )
        assert answer.status_code == 204
        reason = await flow_failure(NovaDeviceDriver(sessions), nova_spec(sim))
        assert "host on fire" in reason
        assert (await client.get("/_sim/servers")).json() == {"servers": []}


def test_drivers_are_found_by_entry_point_name() -> None:
    assert plugins.load(plugins.DEVICE_DRIVERS, "nova") is NovaDeviceDriver
    assert plugins.load(plugins.DEVICE_DRIVERS, "heat") is HeatDeviceDriver
