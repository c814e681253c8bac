"""The ssh mgmt driver's rules, without a server."""

from __future__ import annotations

import uuid

import pytest

from servicevm_mgmt.drivers.base import ManagedDevice, MgmtDriverError
from servicevm_mgmt.drivers.ssh import render, split_address, target_for


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
