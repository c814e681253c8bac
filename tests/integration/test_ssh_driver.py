"""The ssh management driver against a real SSH server (asyncssh's) started by the test.

The server runs each requested command through a tiny in-test interpreter that stands for
an appliance's command line, so what the driver configured can be read back here.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from servicevm_mgmt.drivers.base import ManagedDevice, MgmtDriverError
from servicevm_mgmt.drivers.ssh import SshMgmtDriver

PASSWORD = "appliance-password"
CONFIGURATION = {"hostname": "vpn-1", "peers": ["10.0.0.1", "10.0.0.2"]}


@dataclass
class FakeApplianceShell:
    """The appliance's command line: what each command does to its stored state."""

    config: dict[str, Any] = field(default_factory=dict)
    services: dict[str, Any] = field(default_factory=dict)
    commands: list[str] = field(default_factory=list)

    async def handle(self, process: asyncssh.SSHServerProcess[str]) -> None:
        command = process.command or ""
        self.commands.append(command)
        stdin = await process.stdin.read()
        status, out, err = await self.run(shlex.split(command), stdin)
        process.stdout.write(out)
        process.stderr.write(err)
        process.exit(status)

    async def run(self, argv: list[str], stdin: str) -> tuple[int, str, str]:
        match argv:
            case ["servicevm-apply"]:
                self.config = json.loads(stdin)
            case ["servicevm-show"]:
                return 0, json.dumps(self.config), ""
            case ["servicevm-remove"]:
                self.config = {}
            case ["servicevm-apply-service", service_id]:
                self.services[service_id] = json.loads(stdin)
            case ["servicevm-remove-service", service_id]:
                self.services.pop(service_id, None)
            case ["true"]:
                pass
            case ["hang"]:
                await asyncio.sleep(30)
            case _:
                return 127, "", f"{argv[0] if argv else ''}: command not found\n"
        return 0, "", ""


class PasswordOrKeyServer(asyncssh.SSHServer):
    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return username == "admin" and password == PASSWORD


@dataclass
class SshAppliance:
    port: int
    shell: FakeApplianceShell
    known_hosts: Path
    client_key: Path
    other_key: Path
    tmp: Path

    def device(self, **parameters: str) -> ManagedDevice:
        return ManagedDevice(
            device_id=uuid.uuid4(),
            tenant_id="tenant-ssh",
            mgmt_address="127.0.0.1",
            parameters={
                "ssh_port": str(self.port),
                "ssh_username": "admin",
                "ssh_private_key_file": str(self.client_key),
                "ssh_known_hosts": str(self.known_hosts),
                "ssh_timeout_seconds": "3",
                **parameters,
            },
            configuration=dict(CONFIGURATION),
        )


def _write_key(path: Path) -> asyncssh.SSHKey:
    key = asyncssh.generate_private_key("ssh-ed25519")
    key.write_private_key(str(path))
    return key


@pytest.fixture
async def appliance(tmp_path: Path) -> AsyncIterator[SshAppliance]:
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    client_key = _write_key(tmp_path / "client_key")
    _write_key(tmp_path / "other_key")
    shell = FakeApplianceShell()
    server = await asyncssh.create_server(
        PasswordOrKeyServer,
        "127.0.0.1",
        0,
        server_host_keys=[host_key],
        authorized_client_keys=asyncssh.import_authorized_keys(
            client_key.export_public_key().decode()
        ),
        process_factory=shell.handle,
    )
    port = server.get_port()
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {host_key.export_public_key().decode()}")
    try:
        yield SshAppliance(
            port, shell, known_hosts, tmp_path / "client_key", tmp_path / "other_key", tmp_path
        )
    finally:
        server.close()
        await server.wait_closed()


async def test_apply_verify_remove_and_health(appliance: SshAppliance) -> None:
    driver = SshMgmtDriver()
    device = appliance.device()
    await driver.apply(device)
    assert appliance.shell.config == CONFIGURATION
    assert await driver.verify(device) is True
    assert await driver.verify(replace(device, configuration={"hostname": "x"})) is False
    assert await driver.health(device) == "ok"
    await driver.remove(device)
    assert appliance.shell.config == {}
    assert await driver.verify(device) is False


async def test_service_instances_are_configured_and_removed(appliance: SshAppliance) -> None:
    driver = SshMgmtDriver()
    device = appliance.device()
    service_id = str(uuid.uuid4())
    await driver.apply_service(device, service_id, {"psk": "x y; rm -rf /"})
    assert appliance.shell.services == {str(service_id): {"psk": "x y; rm -rf /"}}
    await driver.remove_service(device, service_id)
    assert appliance.shell.services == {}


async def test_command_templates_are_rendered_with_quoted_values(
    appliance: SshAppliance,
) -> None:
    device = appliance.device(ssh_apply_command="servicevm-apply-service {device_id}")
    await SshMgmtDriver().apply(device)
    assert appliance.shell.services == {str(device.device_id): CONFIGURATION}


async def test_password_authentication(appliance: SshAppliance) -> None:
    device = appliance.device(ssh_private_key_file="", ssh_password=PASSWORD)
    await SshMgmtDriver().apply(device)
    assert appliance.shell.config == CONFIGURATION


async def test_an_unknown_host_key_is_refused(appliance: SshAppliance) -> None:
    other_host = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()
    wrong_known_hosts = appliance.tmp / "wrong_known_hosts"
    wrong_known_hosts.write_text(f"[127.0.0.1]:{appliance.port} {other_host}")
    device = appliance.device(ssh_known_hosts=str(wrong_known_hosts))
    with pytest.raises(MgmtDriverError, match=r"host key not verified against .*wrong_known_hosts"):
        await SshMgmtDriver().apply(device)
    assert appliance.shell.commands == []


async def test_no_known_hosts_is_refused_unless_explicitly_insecure(
    appliance: SshAppliance,
) -> None:
    device = appliance.device(ssh_known_hosts="")
    with pytest.raises(MgmtDriverError, match="refusing to connect without ssh_known_hosts"):
        await SshMgmtDriver().apply(device)
    assert appliance.shell.commands == []
    insecure = appliance.device(ssh_known_hosts="", ssh_insecure_skip_host_key="true")
    await SshMgmtDriver().apply(insecure)
    assert appliance.shell.config == CONFIGURATION


async def test_a_failing_command_reports_its_stderr(appliance: SshAppliance) -> None:
    device = appliance.device(ssh_apply_command="no-such-tool --now")
    with pytest.raises(MgmtDriverError, match="exited 127: no-such-tool: command not found"):
        await SshMgmtDriver().apply(device)
    health = await SshMgmtDriver().health(appliance.device(ssh_health_command="broken"))
    assert health.startswith("unhealthy:") and "broken: command not found" in health


async def test_a_wrong_key_is_refused(appliance: SshAppliance) -> None:
    device = appliance.device(ssh_private_key_file=str(appliance.other_key))
    with pytest.raises(MgmtDriverError, match=r"admin@127\.0\.0\.1:\d+: authentication refused"):
        await SshMgmtDriver().apply(device)
    assert appliance.shell.commands == []


async def test_a_hanging_command_is_given_up_within_the_timeout(appliance: SshAppliance) -> None:
    device = appliance.device(ssh_apply_command="hang", ssh_timeout_seconds="0.5")
    started = time.monotonic()
    with pytest.raises(MgmtDriverError, match=r"'hang' did not finish within 0\.5 s"):
        await SshMgmtDriver().apply(device)
    assert time.monotonic() - started < 1.5
