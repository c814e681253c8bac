"""The suite as N replicas of every service (each on its own port; one database, one vhost)
and the OpenStack simulator, each a child process the harness can kill -9 and start again."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from chaos.servers import port_open, stop_process, wait_port
from shared.config import SERVICES, ServiceName
from shared.devstack import MODULES, _die_with_parent

Replica = tuple[ServiceName, int]


@dataclass
class Stack:
    """``replicas`` processes of each service; replica ``r`` of the service at position ``i``
    of SERVICES listens on ``port_base + 10 * r + i``. Keep the base below the kernel's
    ephemeral ports (32768 and up on Linux): an outgoing connection may hold one of those."""

    env: Mapping[str, str]
    port_base: int
    replicas: int
    log_dir: Path
    processes: dict[Replica, subprocess.Popen[bytes]] = field(default_factory=dict)

    def port(self, service: ServiceName, index: int) -> int:
        return self.port_base + 10 * index + SERVICES.index(service)

    def url(self, service: ServiceName, index: int) -> str:
        return f"http://127.0.0.1:{self.port(service, index)}"

    @property
    def api_urls(self) -> list[str]:
        return [self.url("api", r) for r in range(self.replicas)]

    def all(self) -> list[Replica]:
        return [(s, r) for s in SERVICES for r in range(self.replicas)]

    def start(self, *replicas: Replica, timeout: float = 90.0) -> None:
        chosen = replicas or tuple(self.all())
        taken = [self.port(*r) for r in chosen if port_open(self.port(*r))]
        if taken:
            raise RuntimeError(f"ports {taken} are taken: another run, or choose another base")
        for replica in chosen:
            self._spawn(replica)
        for replica in chosen:
            self.wait_ready(replica, timeout)

    def _spawn(self, replica: Replica) -> None:
        service, index = replica
        port = {f"SERVICEVM_{service.upper()}_PORT": str(self.port(service, index))}
        env = {**os.environ, **self.env, **port}
        self.processes[replica] = subprocess.Popen(
            [sys.executable, "-m", MODULES[service]],
            env=env,
            stdout=self._log(replica),
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )

    def wait_ready(self, replica: Replica, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        process = self.processes[replica]
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{replica} exited with {process.returncode} while starting")
            try:
                if httpx.get(f"{self.url(*replica)}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{replica} not ready after {timeout:.0f}s")

    def kill(self, replica: Replica) -> None:
        """SIGKILL: no chance to finish, acknowledge or release anything."""
        process = self.processes.pop(replica)
        process.kill()
        process.wait()

    def respawn(self, replica: Replica) -> None:
        """Start a killed replica again (as ``make run`` restarts a service that died)."""
        self._spawn(replica)

    def exited(self) -> list[Replica]:
        return [r for r, p in self.processes.items() if p.poll() is not None]

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()

    def _log(self, replica: Replica) -> IO[bytes]:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        return (self.log_dir / f"{replica[0]}-{replica[1]}.log").open("ab")


@dataclass
class Simulator:
    """``python -m servicevm_cloudsim`` on a port of its own, driven through its control API
    (``/_sim``): faults in, servers out."""

    port: int
    log: Path
    boot_seconds: float = 0.5
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def auth_url(self) -> str:
        return f"{self.url}/identity/v3"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "servicevm_cloudsim", "--port", str(self.port),
             "--boot-seconds", str(self.boot_seconds)],
            stdout=self.log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        wait_port(self.port, "cloud simulator", self.process, self.log)
        # The default quota (10 instances) would refuse the steady load's servers.
        self.fault({"kind": "quota", "instances": 100000})

    def fault(self, body: dict[str, object]) -> None:
        httpx.post(f"{self.url}/_sim/faults", json=body, timeout=10).raise_for_status()

    def clear_faults(self) -> None:
        httpx.delete(f"{self.url}/_sim/faults", timeout=10).raise_for_status()

    def servers(self) -> list[dict[str, object]]:
        """Every server the cloud holds that is not being deleted."""
        found = httpx.get(f"{self.url}/_sim/servers", timeout=10).json()["servers"]
        return [s for s in found if s["status"] != "DELETED" and not s["OS-EXT-STS:task_state"]]

    def stop(self) -> None:
        stop_process(self.process)
