"""A management driver that configures appliances by running commands over SSH.

Each call opens one connection to the host of the management address, runs one command
and closes it. Configurations travel as JSON on the command's standard input.

Template attributes:

- ``ssh_username`` (required); ``ssh_private_key_file`` or ``ssh_password`` (one of them);
- ``ssh_port``: default the port of the management address, else 22;
- ``ssh_known_hosts``: path of a known_hosts file the appliance's host key must be in.
  Without it the driver refuses to connect, unless ``ssh_insecure_skip_host_key=true``
  says explicitly that any host key will do;
- ``ssh_timeout_seconds``: the bound of one call, connecting included (default 10);
- command templates, where ``{device_id}``, ``{tenant_id}`` and ``{service_id}`` are
  replaced by their shell-quoted values:
  ``ssh_apply_command`` (default ``servicevm-apply``: the configuration on stdin),
  ``ssh_remove_command`` (``servicevm-remove``),
  ``ssh_verify_command`` (``servicevm-show``: prints the configuration as JSON),
  ``ssh_health_command`` (``true``: healthy when it exits 0),
  ``ssh_apply_service_command`` (``servicevm-apply-service {service_id}``: the service
  configuration on stdin), ``ssh_remove_service_command``
  (``servicevm-remove-service {service_id}``).

A command exiting non-zero is a MgmtDriverError carrying its stderr. The user's own SSH
configuration, agent and default keys are never used: only what the template names.
"""

from __future__ import annotations

import asyncio
import json
import shlex
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncssh

from servicevm_mgmt.drivers.base import ManagedDevice, MgmtDriver, MgmtDriverError
from servicevm_mgmt.drivers.http import same_json

T = TypeVar("T", int, float)
DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_COMMANDS = {
    "apply": "servicevm-apply",
    "remove": "servicevm-remove",
    "verify": "servicevm-show",
    "health": "true",
    "apply_service": "servicevm-apply-service {service_id}",
    "remove_service": "servicevm-remove-service {service_id}",
}


@dataclass(frozen=True)
class SshTarget:
    host: str
    port: int
    username: str
    private_key_file: str | None
    password: str | None
    known_hosts: str | None  # None only when host key checking was explicitly skipped
    timeout: float

    @property
    def name(self) -> str:
        return f"{self.username}@{self.host}:{self.port}"


def target_for(device: ManagedDevice) -> SshTarget:
    """Where and as whom to connect, from the device's address and template attributes."""
    params = device.parameters
    if not device.mgmt_address:
        raise MgmtDriverError(f"device {device.device_id} has no management address")
    host, address_port = split_address(device.mgmt_address)
    username = params.get("ssh_username")
    if not username:
        raise MgmtDriverError("ssh_username is required")
    key_file, password = params.get("ssh_private_key_file"), params.get("ssh_password")
    if not key_file and not password:
        raise MgmtDriverError("ssh_private_key_file or ssh_password is required")
    return SshTarget(
        host=host,
        port=_number(params, "ssh_port", int, address_port or 22),
        username=username,
        private_key_file=key_file or None,
        password=password or None,
        known_hosts=_known_hosts(params),
        timeout=_number(params, "ssh_timeout_seconds", float, DEFAULT_TIMEOUT_SECONDS),
    )


def split_address(address: str) -> tuple[str, int | None]:
    """(host, port) of ``host``, ``host:port``, ``[v6]:port`` or a bare IPv6 address."""
    if address.startswith("["):
        host, _, rest = address[1:].partition("]")
        port = rest.removeprefix(":")
    elif address.count(":") == 1:
        host, _, port = address.partition(":")
    else:
        host, port = address, ""
    if port and not port.isdigit():
        raise MgmtDriverError(f"bad port in management address {address!r}")
    return host, int(port) if port else None


def _known_hosts(params: dict[str, str]) -> str | None:
    path = params.get("ssh_known_hosts")
    if path:
        return path
    if params.get("ssh_insecure_skip_host_key", "").lower() == "true":
        return None
    raise MgmtDriverError(
        "refusing to connect without ssh_known_hosts: host keys are verified "
        "(set ssh_insecure_skip_host_key=true to skip that explicitly)"
    )


def _number(params: dict[str, str], name: str, kind: type[T], default: T) -> T:
    value = params.get(name)
    if not value:
        return default
    try:
        return kind(value)
    except ValueError:
        raise MgmtDriverError(f"{name} must be a number, not {value!r}") from None


def render(template: str, device: ManagedDevice, service_id: str | None = None) -> str:
    """The command line from a template; values are shell-quoted, other braces left alone."""
    values = {"device_id": str(device.device_id), "tenant_id": device.tenant_id}
    if service_id is not None:
        values["service_id"] = service_id
    for name, value in values.items():
        template = template.replace("{" + name + "}", shlex.quote(value))
    return template


class SshMgmtDriver(MgmtDriver):
    async def apply(self, device: ManagedDevice) -> None:
        await _run(device, "apply", stdin=json.dumps(device.configuration))

    async def remove(self, device: ManagedDevice) -> None:
        await _run(device, "remove")

    async def verify(self, device: ManagedDevice) -> bool:
        output = await _run(device, "verify")
        try:
            current = json.loads(output)
        except ValueError:
            raise MgmtDriverError(f"the verify command printed no JSON: {output[:300]!r}") from None
        return same_json(device.configuration, current)

    async def health(self, device: ManagedDevice) -> str:
        try:
            await _run(device, "health")
        except MgmtDriverError as exc:
            return f"unhealthy: {exc}"
        return "ok"

    async def apply_service(
        self, device: ManagedDevice, service_id: str, configuration: dict[str, Any]
    ) -> None:
        stdin = json.dumps(configuration)
        await _run(device, "apply_service", stdin=stdin, service_id=service_id)

    async def remove_service(self, device: ManagedDevice, service_id: str) -> None:
        await _run(device, "remove_service", service_id=service_id)


async def _run(
    device: ManagedDevice,
    step: str,
    *,
    stdin: str | None = None,
    service_id: str | None = None,
) -> str:
    """Run the step's command on the device; its stdout. Raises MgmtDriverError."""
    target = target_for(device)
    template = device.parameters.get(f"ssh_{step}_command") or DEFAULT_COMMANDS[step]
    command = render(template, device, service_id)
    try:
        async with asyncio.timeout(target.timeout):
            result = await _execute(target, command, stdin)
    except TimeoutError:
        raise MgmtDriverError(
            f"ssh {target.name}: {command!r} did not finish within {target.timeout:g} s"
        ) from None
    if result.exit_status != 0:
        raise MgmtDriverError(
            f"ssh {target.name}: {command!r} exited {result.exit_status}: "
            f"{_text(result.stderr).strip()[:500]}"
        )
    return _text(result.stdout)


async def _execute(
    target: SshTarget, command: str, stdin: str | None
) -> asyncssh.SSHCompletedProcess:
    try:
        async with asyncssh.connect(
            target.host,
            port=target.port,
            username=target.username,
            password=target.password,
            client_keys=[target.private_key_file] if target.private_key_file else None,
            known_hosts=target.known_hosts,
            config=None,  # not the worker user's ~/.ssh/config
            agent_path=None,
            connect_timeout=target.timeout,
        ) as conn:
            if stdin is None:
                return await conn.run(command, stdin=asyncssh.DEVNULL, check=False)
            return await conn.run(command, input=stdin, check=False)
    except asyncssh.HostKeyNotVerifiable as exc:
        raise MgmtDriverError(
            f"ssh {target.name}: host key not verified against {target.known_hosts}: {exc}"
        ) from exc
    except asyncssh.PermissionDenied as exc:
        raise MgmtDriverError(f"ssh {target.name}: authentication refused: {exc}") from exc
    except (asyncssh.Error, OSError) as exc:
        raise MgmtDriverError(f"ssh {target.name}: {type(exc).__name__}: {exc}") from exc


def _text(data: str | bytes | None) -> str:
    if data is None:
        return ""
    return data.decode(errors="replace") if isinstance(data, bytes) else data
