"""The local device driver and the http management driver against real appliance processes."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from servicevm_lifecycle.drivers.base import DeviceDriverError, DeviceSpec, InstanceFacts
from servicevm_lifecycle.drivers.local import LocalDeviceDriver
from servicevm_lifecycle.drivers.local_process import ApplianceRecord
from servicevm_mgmt.drivers.base import ManagedDevice, MgmtDriverError
from servicevm_mgmt.drivers.http import HttpMgmtDriver
from tests.support.appliances import kill_leftovers, stat_fields

TOKEN = "s3cret-token"
CONFIGURATION = {"hostname": "fw-1", "rules": [{"allow": "tcp/22"}], "mtu": 1450}


@dataclass
class Appliance:
    instance_id: str
    spec: DeviceSpec
    facts: InstanceFacts
    record: ApplianceRecord

    @property
    def url(self) -> str:
        return f"http://{self.facts.mgmt_address}"

    def managed(self, **parameters: str) -> ManagedDevice:
        return ManagedDevice(
            device_id=self.spec.device_id,
            tenant_id=self.spec.tenant_id,
            mgmt_address=self.facts.mgmt_address,
            parameters={"mgmt_token": TOKEN, "mgmt_timeout_seconds": "2", **parameters},
            configuration=dict(CONFIGURATION),
        )


def _spec(**attributes: str) -> DeviceSpec:
    return DeviceSpec(
        device_id=uuid.uuid4(),
        tenant_id="tenant-local",
        template_attributes={"mgmt_token": TOKEN, **attributes},
        kwargs=dict(CONFIGURATION),
        service_contexts=[],
    )


def _process_gone(pid: int) -> bool:
    """No such process, or only its zombie."""
    fields = stat_fields(pid)
    return fields is None or fields[0] in "ZX"


def _group_gone(pgid: int) -> bool:
    """No live process left in the appliance's process group (it leads its own), so nothing
    of it still serves its port. (Connecting to the port instead was flaky: a freed port is
    soon another process's, or the kernel's pick for the probe's own end, which connects.)"""
    for entry in Path("/proc").iterdir():
        fields = stat_fields(int(entry.name)) if entry.name.isdigit() else None
        if fields is not None and fields[2] == str(pgid) and fields[0] not in "ZX":
            return False
    return True


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def state_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    kill_leftovers(tmp_path)


@pytest.fixture
def driver(state_dir: Path) -> LocalDeviceDriver:
    return LocalDeviceDriver(state_dir)


@pytest.fixture
async def appliance(driver: LocalDeviceDriver, state_dir: Path) -> AsyncIterator[Appliance]:
    spec = _spec()
    instance_id = await driver.create(spec)
    facts = await driver.wait_until_ready(instance_id, spec)
    state = (state_dir / f"{instance_id}.json").read_text()
    yield Appliance(instance_id, spec, facts, ApplianceRecord.from_json(state))
    await driver.delete(instance_id, spec)


async def _get(appliance: Appliance, path: str, token: str = TOKEN) -> Any:
    async with httpx.AsyncClient(timeout=2) as client:
        response = await client.get(
            appliance.url + path, headers={"Authorization": f"Bearer {token}"}
        )
    response.raise_for_status()
    return response.json()


async def test_create_starts_a_detached_appliance_that_answers_health(
    appliance: Appliance,
) -> None:
    assert appliance.instance_id.startswith("local-")
    assert appliance.facts.mgmt_address == f"127.0.0.1:{appliance.record.port}"
    assert appliance.facts.host == socket.gethostname()
    assert appliance.facts.availability_zone == "local"
    health = await _get(appliance, "/health")
    assert health["status"] == "ok"
    assert health["device_id"] == str(appliance.spec.device_id)
    # Its own session: a signal to the worker's process group does not reach it.
    assert os.getsid(appliance.record.pid) == appliance.record.pid
    assert os.getsid(appliance.record.pid) != os.getsid(0)


async def test_another_driver_instance_finds_the_appliance(
    appliance: Appliance, state_dir: Path
) -> None:
    """A restarted worker (a new driver over the same state dir) still manages it."""
    other = LocalDeviceDriver(state_dir)
    assert await other.status(appliance.instance_id) == "ACTIVE"
    await other.delete(appliance.instance_id, appliance.spec)
    assert _process_gone(appliance.record.pid)


async def test_http_driver_applies_configuration_the_appliance_holds(
    appliance: Appliance,
) -> None:
    mgmt = HttpMgmtDriver()
    device = appliance.managed()
    await mgmt.apply(device)
    assert await _get(appliance, "/config") == CONFIGURATION
    assert await mgmt.verify(device) is True
    assert await mgmt.health(device) == "ok"
    # Changed behind the driver's back: verify notices.
    assert await mgmt.verify(replace(device, configuration={"hostname": "other"})) is False


async def test_http_driver_remove_clears_the_configuration(appliance: Appliance) -> None:
    mgmt = HttpMgmtDriver()
    await mgmt.apply(appliance.managed())
    await mgmt.remove(appliance.managed())
    assert await _get(appliance, "/config") == {}


async def test_http_driver_configures_and_removes_service_instances(
    appliance: Appliance,
) -> None:
    mgmt = HttpMgmtDriver()
    device = appliance.managed()
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    await mgmt.apply_service(device, first, {"vip": "10.0.0.5", "port": 443})
    await mgmt.apply_service(device, second, {"vip": "10.0.0.6"})
    services = (await _get(appliance, "/services"))["services"]
    assert services == {
        str(first): {"vip": "10.0.0.5", "port": 443},
        str(second): {"vip": "10.0.0.6"},
    }
    await mgmt.remove_service(device, first)
    await mgmt.remove_service(device, first)  # already absent: fine
    assert (await _get(appliance, "/services"))["services"] == {str(second): {"vip": "10.0.0.6"}}


async def test_delete_stops_the_process_and_forgets_it(
    driver: LocalDeviceDriver, state_dir: Path
) -> None:
    spec = _spec()
    instance_id = await driver.create(spec)
    await driver.wait_until_ready(instance_id, spec)
    record = ApplianceRecord.from_json((state_dir / f"{instance_id}.json").read_text())
    assert not _process_gone(record.pid)
    await driver.delete(instance_id, spec)
    assert _process_gone(record.pid)
    assert _group_gone(record.pid)
    assert os.listdir(state_dir) == []
    assert await driver.status(instance_id) == "DELETED"
    await driver.delete(instance_id, spec)  # absent is not an error


async def test_delete_of_an_unknown_instance_is_fine(driver: LocalDeviceDriver) -> None:
    await driver.delete(f"local-{uuid.uuid4()}", _spec())


async def test_appliance_killed_behind_the_drivers_back(
    driver: LocalDeviceDriver, appliance: Appliance
) -> None:
    os.kill(appliance.record.pid, signal.SIGKILL)
    for _ in range(250):  # its parent (init) reaps it soon
        if _process_gone(appliance.record.pid):
            break
        await asyncio.sleep(0.02)
    assert await driver.status(appliance.instance_id) == "SHUTOFF"
    health = await HttpMgmtDriver().health(appliance.managed())
    assert health.startswith("unreachable:"), health
    with pytest.raises(DeviceDriverError, match="not running"):
        await driver.update(appliance.instance_id, appliance.spec)


async def test_wait_reports_an_appliance_that_died_while_starting(
    driver: LocalDeviceDriver, state_dir: Path
) -> None:
    spec = _spec()
    instance_id = await driver.create(spec)
    record = ApplianceRecord.from_json((state_dir / f"{instance_id}.json").read_text())
    os.kill(record.pid, signal.SIGKILL)
    with pytest.raises(DeviceDriverError, match="exited before it was ready"):
        await driver.wait_until_ready(instance_id, spec)
    await driver.delete(instance_id, spec)


async def test_http_driver_against_a_closed_port_fails_fast_with_the_reason() -> None:
    device = ManagedDevice(
        device_id=uuid.uuid4(),
        tenant_id="t",
        mgmt_address=f"127.0.0.1:{_closed_port()}",
        parameters={"mgmt_timeout_seconds": "2"},
        configuration={"a": 1},
    )
    started = time.monotonic()
    with pytest.raises(
        MgmtDriverError,
        match=r"PUT http://127\.0\.0\.1:\d+/config failed: ConnectError.*ConnectionRefusedError",
    ):
        await HttpMgmtDriver().apply(device)
    assert time.monotonic() - started < 2


async def test_http_driver_gives_up_on_a_silent_appliance_within_its_timeout() -> None:
    # Accepts connections (the kernel's backlog) but never answers.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        device = ManagedDevice(
            device_id=uuid.uuid4(),
            tenant_id="t",
            mgmt_address=f"127.0.0.1:{silent.getsockname()[1]}",
            parameters={"mgmt_timeout_seconds": "0.5"},
            configuration={"a": 1},
        )
        started = time.monotonic()
        with pytest.raises(MgmtDriverError, match=r"GET .*/config"):
            await HttpMgmtDriver().verify(device)
        assert time.monotonic() - started < 1.5


async def test_a_wrong_token_is_refused(appliance: Appliance) -> None:
    mgmt = HttpMgmtDriver()
    device = appliance.managed(mgmt_token="wrong")
    with pytest.raises(MgmtDriverError, match=r"HTTP 401: .*wrong bearer token"):
        await mgmt.apply(device)
    assert await mgmt.health(device) != "ok"
    assert await _get(appliance, "/config") == {}  # nothing was applied


async def _forgetful_appliance(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accepts every request and answers ``{}``: it keeps nothing it is sent."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ),
        0,
    )
    await reader.readexactly(length)
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Content-Length: 2\r\nConnection: close\r\n\r\n{}"
    )
    await writer.drain()
    writer.close()


async def test_http_driver_notices_an_appliance_that_did_not_keep_the_configuration() -> None:
    server = await asyncio.start_server(_forgetful_appliance, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    device = ManagedDevice(
        device_id=uuid.uuid4(),
        tenant_id="t",
        mgmt_address=f"127.0.0.1:{port}",
        parameters={"mgmt_timeout_seconds": "2"},
        configuration={"a": 1},
    )
    try:
        with pytest.raises(MgmtDriverError, match=r"holds \{\} after applying \{'a': 1\}"):
            await HttpMgmtDriver().apply(device)
        with pytest.raises(MgmtDriverError, match=r"stored \{\} for service"):
            await HttpMgmtDriver().apply_service(device, str(uuid.uuid4()), {"vip": "10.0.0.9"})
    finally:
        server.close()
        await server.wait_closed()


async def test_stop_freezes_the_appliance_and_start_brings_it_back_as_it_was(
    driver: LocalDeviceDriver, appliance: Appliance
) -> None:
    await HttpMgmtDriver().apply(appliance.managed())
    await driver.stop(appliance.instance_id, appliance.spec)
    await driver.stop(appliance.instance_id, appliance.spec)  # stopped already: fine
    assert await driver.status(appliance.instance_id) == "SHUTOFF"
    with pytest.raises(httpx.TimeoutException):
        async with httpx.AsyncClient(timeout=0.5) as client:
            await client.get(appliance.url + "/health")
    await driver.start(appliance.instance_id, appliance.spec)
    await driver.start(appliance.instance_id, appliance.spec)  # running already: fine
    assert await driver.status(appliance.instance_id) == "ACTIVE"
    assert await _get(appliance, "/config") == CONFIGURATION
    # A stopped appliance is deleted as promptly as a running one.
    await driver.stop(appliance.instance_id, appliance.spec)
    await asyncio.wait_for(driver.delete(appliance.instance_id, appliance.spec), 3)
    assert _process_gone(appliance.record.pid)


async def test_start_or_stop_of_an_unknown_appliance_fails_clearly(
    driver: LocalDeviceDriver,
) -> None:
    with pytest.raises(DeviceDriverError, match="no local appliance"):
        await driver.stop(f"local-{uuid.uuid4()}", _spec())
    with pytest.raises(DeviceDriverError, match="no local appliance"):
        await driver.start(f"local-{uuid.uuid4()}", _spec())


async def test_request_stop_freezes_the_appliance_without_waiting(
    driver: LocalDeviceDriver, appliance: Appliance
) -> None:
    assert not await driver.is_stopped(appliance.instance_id, appliance.spec)
    await driver.request_stop(appliance.instance_id, appliance.spec)
    for _ in range(250):  # the kernel stops it within a few polls
        if await driver.is_stopped(appliance.instance_id, appliance.spec):
            break
        await asyncio.sleep(0.02)
    assert await driver.status(appliance.instance_id) == "SHUTOFF"
    await driver.request_stop(appliance.instance_id, appliance.spec)  # stopped already: fine
    await driver.delete(appliance.instance_id, appliance.spec)
    assert await driver.is_stopped(appliance.instance_id, appliance.spec)  # gone: off
