"""Pure logic of the local device driver and the http and ssh management drivers."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from servicevm_lifecycle.drivers.base import DeviceDriverError, DeviceSpec
from servicevm_lifecycle.drivers.local import LocalDeviceDriver
from servicevm_lifecycle.drivers.local_process import ApplianceRecord, StateDir, parse_stat
from servicevm_mgmt.drivers.base import ManagedDevice, MgmtDriverError
from servicevm_mgmt.drivers.http import HttpMgmtDriver, base_url_for, endpoint, same_json
from servicevm_mgmt.drivers.ssh import SshMgmtDriver, render, split_address, target_for
from shared import plugins


def _device(address: str | None = "10.0.0.5", **parameters: str) -> ManagedDevice:
    return ManagedDevice(
        device_id=uuid.UUID(int=1),
        tenant_id="tenant one",
        mgmt_address=address,
        parameters=parameters,
        configuration={},
    )


SSH_BASE = {"ssh_username": "admin", "ssh_password": "pw", "ssh_known_hosts": "/kh"}


@pytest.mark.parametrize(
    ("address", "scheme", "port", "expected"),
    [
        ("127.0.0.1:8080", "http", None, "http://127.0.0.1:8080"),
        ("127.0.0.1:8080", "http", "9000", "http://127.0.0.1:8080"),  # the address's port wins
        ("10.0.0.5", "https", "8443", "https://10.0.0.5:8443"),
        ("10.0.0.5", "http", None, "http://10.0.0.5"),
        ("fe80::1", "http", "80", "http://[fe80::1]:80"),
        ("[::1]:9000", "http", None, "http://[::1]:9000"),
        ("https://box.example:8443/api/", "http", "1", "https://box.example:8443/api"),
    ],
)
def test_http_base_url(address: str, scheme: str, port: str | None, expected: str) -> None:
    assert base_url_for(address, scheme=scheme, port=port) == expected


def test_http_endpoint_reads_its_parameters() -> None:
    where = endpoint(
        _device("10.0.0.5", mgmt_port="8080", mgmt_token="t", mgmt_timeout_seconds="2.5")
    )
    assert (where.base_url, where.token, where.timeout) == ("http://10.0.0.5:8080", "t", 2.5)
    assert endpoint(_device()).timeout == 10.0


@pytest.mark.parametrize(
    ("device", "message"),
    [
        (_device(None), "has no management address"),
        (_device(mgmt_timeout_seconds="soon"), "mgmt_timeout_seconds must be a number"),
        (_device(mgmt_scheme="ftp"), "mgmt_scheme must be http or https"),
    ],
)
def test_http_endpoint_rejects_bad_parameters(device: ManagedDevice, message: str) -> None:
    with pytest.raises(MgmtDriverError, match=message):
        endpoint(device)


def test_same_json_compares_as_json() -> None:
    assert same_json({"a": (1, 2)}, {"a": [1, 2]})
    assert not same_json({"a": 1}, {"a": 1, "b": 2})


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("10.0.0.5", ("10.0.0.5", None)),
        ("10.0.0.5:2222", ("10.0.0.5", 2222)),
        ("[::1]:2222", ("::1", 2222)),
        ("fe80::1", ("fe80::1", None)),
    ],
)
def test_ssh_split_address(address: str, expected: tuple[str, int | None]) -> None:
    assert split_address(address) == expected


def test_ssh_port_from_parameter_then_address_then_22() -> None:
    assert target_for(_device("10.0.0.5", **SSH_BASE)).port == 22
    assert target_for(_device("10.0.0.5:2222", **SSH_BASE)).port == 2222
    assert target_for(_device("10.0.0.5:2222", ssh_port="2200", **SSH_BASE)).port == 2200


def test_ssh_host_keys_are_checked_unless_explicitly_skipped() -> None:
    no_known_hosts = {**SSH_BASE, "ssh_known_hosts": ""}
    with pytest.raises(MgmtDriverError, match="refusing to connect without ssh_known_hosts"):
        target_for(_device(**no_known_hosts))
    with pytest.raises(MgmtDriverError, match="refusing"):
        target_for(_device(ssh_insecure_skip_host_key="yes", **no_known_hosts))
    skipped = target_for(_device(ssh_insecure_skip_host_key="true", **no_known_hosts))
    assert skipped.known_hosts is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ssh_username": ""}, "ssh_username is required"),
        ({"ssh_password": ""}, "ssh_private_key_file or ssh_password is required"),
        ({"ssh_port": "ssh"}, "ssh_port must be a number"),
        ({"ssh_timeout_seconds": "x"}, "ssh_timeout_seconds must be a number"),
    ],
)
def test_ssh_rejects_bad_parameters(changes: dict[str, str], message: str) -> None:
    with pytest.raises(MgmtDriverError, match=message):
        target_for(_device(**{**SSH_BASE, **changes}))


def test_ssh_command_templates_quote_their_values() -> None:
    device = _device()
    service_id = str(uuid.UUID(int=2))
    rendered = render("apply {service_id} --tenant {tenant_id} '{\"x\": 1}'", device, service_id)
    assert rendered == f"apply {service_id} --tenant 'tenant one' '{{\"x\": 1}}'"


def test_appliance_record_round_trips_through_json() -> None:
    record = ApplianceRecord("local-1", str(uuid.UUID(int=3)), 4321, 45678, 99)
    assert ApplianceRecord.from_json(record.to_json()) == record


def test_parse_stat_survives_parentheses_in_the_command_name() -> None:
    fields = " ".join(["S", *[str(n) for n in range(1, 19)], "777", "0"])
    assert parse_stat(f"42 (odd) name (x)) {fields}") == ("S", 777)


def test_state_dir_never_leaves_its_directory(tmp_path: Path) -> None:
    state = StateDir(tmp_path)
    for bad in ("../etc/passwd", ".hidden", ""):
        with pytest.raises(DeviceDriverError, match="not a local instance id"):
            state.state_file(bad)
    assert state.load("local-absent") is None
    (tmp_path / "local-broken.json").write_text("{not json")
    with pytest.raises(DeviceDriverError, match="unreadable"):
        state.load("local-broken")


def test_drivers_are_registered_by_entry_point_name() -> None:
    assert plugins.load(plugins.DEVICE_DRIVERS, "local") is LocalDeviceDriver
    assert plugins.load(plugins.MGMT_DRIVERS, "http") is HttpMgmtDriver
    assert plugins.load(plugins.MGMT_DRIVERS, "ssh") is SshMgmtDriver


async def test_local_driver_on_an_unknown_instance(tmp_path: Path) -> None:
    driver = LocalDeviceDriver(tmp_path)
    spec = DeviceSpec(uuid.UUID(int=4), "t", {}, {}, [])
    with pytest.raises(DeviceDriverError, match="no local appliance local-gone"):
        await driver.wait_until_ready("local-gone", spec)
    assert await driver.status("local-gone") == "DELETED"
    await driver.delete("local-gone", spec)  # absent is not an error


async def test_local_driver_rejects_a_bad_ready_timeout(tmp_path: Path) -> None:
    StateDir(tmp_path).save(ApplianceRecord("local-1", "d", 1, 1, None))
    spec = DeviceSpec(uuid.UUID(int=4), "t", {"local_ready_timeout_seconds": "soon"}, {}, [])
    with pytest.raises(DeviceDriverError, match="local_ready_timeout_seconds must be a number"):
        await LocalDeviceDriver(tmp_path).wait_until_ready("local-1", spec)
