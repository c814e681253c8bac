"""A driver whose devices are local appliance processes (``python -m servicevm_appliance``).

It lets a whole device lifecycle run on one machine without a cloud: each device is a
small HTTP appliance on 127.0.0.1 that the ``http`` management driver configures.

- Instance ids are ``local-<uuid>`` (a respawn gets a new one). create is idempotent by
  device id: an appliance of the device still running (a create redelivered after a crash
  that lost its id) is returned, never a second one started; that includes one a worker
  killed between the launch and the state file left unrecorded (found in /proc by its log
  file, which names the instance, and adopted).
- Each instance has a JSON state file (pid, port, device id) and a log under ``SERVICEVM_LOCAL_STATE_DIR``, so any lifecycle worker on this machine can find
  it; the process runs in a session of its own and outlives worker restarts.
- The management address is ``127.0.0.1:<port>`` (host and port, no scheme, as a cloud
  driver's would be an address): the ``http`` management driver reads the port from it.
- Facts: host is this machine's hostname (or the device's kwargs ``host``), availability
  zone ``local``.
- Template attributes: ``mgmt_token`` (the appliance then requires it as a bearer token;
  the same attribute the ``http`` management driver sends) and
  ``local_ready_timeout_seconds`` (how long wait_until_ready polls /health, default 10).
- State files are a few hundred bytes on a local disk: read and written inline, while
  processes are started, polled and stopped without blocking the event loop.
- stop / start (VNF OPERATE) freeze and thaw the appliance (SIGSTOP / SIGCONT to its
  session): like a VM powered off and on again, it comes back as it was, with its port, its
  management address and the configuration mgmt gave it; a respawn would lose that
  configuration (the appliance keeps it in memory) and nobody would re-apply it.
- status: ``ACTIVE`` (running and healthy), ``ERROR`` (running, not answering /health),
  ``SHUTOFF`` (stopped, or the process is gone), ``DELETED`` (no such instance).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

from servicevm_lifecycle.drivers.base import (
    DeviceDriver,
    DeviceDriverError,
    DeviceSpec,
    InstanceFacts,
    OwnedInstance,
    VimCredentials,
)
from servicevm_lifecycle.drivers.local_process import (
    ApplianceRecord,
    StateDir,
    free_port,
    is_running,
    is_stopped,
    launch_detached,
    signal_group,
    start_ticks,
)
from shared.config import get_settings

HOST = "127.0.0.1"
TOKEN_ENV = "SERVICEVM_APPLIANCE_TOKEN"  # read by servicevm_appliance; keeps it out of ps
DEFAULT_READY_TIMEOUT_SECONDS = 10.0
HEALTH_TIMEOUT_SECONDS = 2.0
POLL_SECONDS = 0.05
STOP_GRACE_SECONDS = 5.0


class LocalDeviceDriver(DeviceDriver):
    def __init__(self, state_dir: Path | None = None) -> None:
        # Settings are read here, not at import, so tests and workers choose the dir.
        self._dir = StateDir(state_dir or get_settings().local_state_dir)

    async def create(self, spec: DeviceSpec) -> str:
        running = await self.find_instance(spec)
        if running is not None:
            return running  # an earlier try started it (its id was lost): never start two
        instance_id = f"local-{uuid.uuid4()}"
        try:
            self._dir.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise DeviceDriverError(f"cannot use the local state dir: {exc}") from exc
        port = free_port(HOST)
        argv = [sys.executable, "-m", "servicevm_appliance", "--host", HOST, "--port", str(port)]
        argv += ["--device-id", str(spec.device_id)]
        env = dict(os.environ)
        env.pop(TOKEN_ENV, None)
        if token := spec.template_attributes.get("mgmt_token"):
            env[TOKEN_ENV] = token
        log_file = self._dir.log_file(instance_id)
        pid = await launch_detached(argv, log_file=log_file, env=env)
        record = ApplianceRecord(instance_id, str(spec.device_id), pid, port, start_ticks(pid))
        try:
            self._dir.save(record)
        except OSError as exc:
            signal_group(record, signal.SIGKILL)  # untracked, nobody could delete it later
            raise DeviceDriverError(f"could not record appliance {instance_id}: {exc}") from exc
        return instance_id

    async def wait_until_ready(self, instance_id: str, spec: DeviceSpec) -> InstanceFacts:
        record = self._require(instance_id)
        timeout = _ready_timeout(spec)
        deadline = time.monotonic() + timeout
        token = spec.template_attributes.get("mgmt_token")
        while not (is_running(record) and await _healthy(record, token)):
            if not is_running(record):
                raise DeviceDriverError(
                    f"appliance {instance_id} exited before it was ready; its log ends: "
                    f"{self._dir.log_tail(instance_id)!r}"
                )
            if time.monotonic() > deadline:
                raise DeviceDriverError(
                    f"appliance {instance_id} did not answer /health within {timeout:g} s"
                )
            await asyncio.sleep(POLL_SECONDS)
        return InstanceFacts(
            mgmt_address=f"{HOST}:{record.port}",
            # kwargs ``host``: a host name of its own, so HA pairs (anti-affinity by host)
            # can be tried on one machine.
            host=str(spec.kwargs.get("host") or socket.gethostname())[:255],
            availability_zone="local",
        )

    async def update(self, instance_id: str, spec: DeviceSpec) -> None:
        # A process has nothing to resize: new kwargs are configuration, which the
        # management driver applies. The instance must still be there to be updated.
        if not is_running(self._require(instance_id)):
            raise DeviceDriverError(f"appliance {instance_id} is not running")

    async def start(self, instance_id: str, spec: DeviceSpec) -> None:
        record = self._require(instance_id)
        if not is_running(record):
            raise DeviceDriverError(f"appliance {instance_id} is gone; it cannot be started")
        signal_group(record, signal.SIGCONT)
        deadline = time.monotonic() + _ready_timeout(spec)
        token = spec.template_attributes.get("mgmt_token")
        while is_stopped(record) or not await _healthy(record, token):
            if time.monotonic() > deadline:
                raise DeviceDriverError(f"appliance {instance_id} did not come back after SIGCONT")
            await asyncio.sleep(POLL_SECONDS)

    async def stop(
        self, instance_id: str, spec: DeviceSpec, graceful_timeout: float | None = None
    ) -> None:
        # A frozen process needs no time to shut down: graceful_timeout is not needed.
        record = self._require(instance_id)
        if not is_running(record):
            raise DeviceDriverError(f"appliance {instance_id} is gone; it cannot be stopped")
        signal_group(record, signal.SIGSTOP)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while not is_stopped(record):
            if time.monotonic() > deadline:
                raise DeviceDriverError(f"appliance {instance_id} did not stop on SIGSTOP")
            await asyncio.sleep(POLL_SECONDS)

    async def request_stop(self, instance_id: str, spec: DeviceSpec) -> None:
        """SIGSTOP, not waited for (``is_stopped`` tells): the appliance freezes as it is."""
        record = self._require(instance_id)
        if not is_running(record):
            raise DeviceDriverError(f"appliance {instance_id} is gone; it cannot be stopped")
        signal_group(record, signal.SIGSTOP)

    async def is_stopped(self, instance_id: str, spec: DeviceSpec) -> bool:
        record = self._dir.load(instance_id)
        return record is None or not is_running(record) or is_stopped(record)

    async def delete(self, instance_id: str, spec: DeviceSpec) -> None:
        record = self._dir.load(instance_id)
        if record is None:
            return  # absent is not an error
        # A stopped appliance would hold SIGTERM until continued.
        signal_group(record, signal.SIGCONT)
        # A polite stop first, so the appliance may close its connections.
        stopped = await _stop(record, signal.SIGTERM, STOP_GRACE_SECONDS)
        if not stopped and not await _stop(record, signal.SIGKILL, STOP_GRACE_SECONDS):
            raise DeviceDriverError(f"appliance {instance_id} (pid {record.pid}) survived SIGKILL")
        self._dir.forget(instance_id)

    async def status(self, instance_id: str) -> str:
        record = self._dir.load(instance_id)
        if record is None:
            return "DELETED"
        if not is_running(record) or is_stopped(record):
            return "SHUTOFF"
        return "ACTIVE" if await _healthy(record, token=None, any_answer=True) else "ERROR"

    async def find_instance(self, spec: DeviceSpec) -> str | None:
        """The device's appliance that still runs (one whose process is gone is not),
        adopting one a killed worker launched but never recorded."""
        await asyncio.to_thread(self._dir.adopt_untracked)
        for record, _ in self._dir.records():
            if record.device_id == str(spec.device_id) and is_running(record):
                return record.instance_id
        return None

    async def owned_instances(self, vim: VimCredentials | None) -> list[OwnedInstance]:
        # Unrecorded appliances are adopted first, so the orphan reaper sees them too (their
        # grace period starts now, with their new state file).
        await asyncio.to_thread(self._dir.adopt_untracked)
        return [
            OwnedInstance(record.instance_id, record.device_id, datetime.fromtimestamp(mtime, UTC))
            for record, mtime in self._dir.records()
        ]

    def _require(self, instance_id: str) -> ApplianceRecord:
        record = self._dir.load(instance_id)
        if record is None:
            raise DeviceDriverError(f"no local appliance {instance_id} on {socket.gethostname()}")
        return record


def _ready_timeout(spec: DeviceSpec) -> float:
    value = spec.template_attributes.get("local_ready_timeout_seconds")
    try:
        return float(value) if value else DEFAULT_READY_TIMEOUT_SECONDS
    except ValueError:
        raise DeviceDriverError(
            f"local_ready_timeout_seconds must be a number, not {value!r}"
        ) from None


async def _healthy(record: ApplianceRecord, token: str | None, *, any_answer: bool = False) -> bool:
    """Whether the appliance answers /health with ok. With any_answer, an authentication
    refusal counts too (status() knows no token; a 401 still proves the appliance serves)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = f"http://{HOST}:{record.port}/health"
    try:
        async with httpx.AsyncClient(timeout=HEALTH_TIMEOUT_SECONDS) as client:
            response = await client.get(url, headers=headers)
    except httpx.HTTPError:
        return False
    if any_answer and response.status_code == 401:
        return True
    try:
        body = response.json()
    except ValueError:
        return False
    # The device id proves it is this appliance, not another process now on its port.
    return (
        response.status_code == 200
        and isinstance(body, dict)
        and body.get("status") == "ok"
        and body.get("device_id") == record.device_id
    )


async def _stop(record: ApplianceRecord, signum: signal.Signals, grace: float) -> bool:
    """Send signum and wait up to grace seconds; whether the process is gone."""
    signal_group(record, signum)
    deadline = time.monotonic() + grace
    while is_running(record):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(POLL_SECONDS)
    return True
