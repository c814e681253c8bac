"""``make run``'s processes: N replicas of each service, each restarted when it dies.

Replica k of a service listens on the service's port + 10 * k (replica 0 on the port itself)
and shares the database and the bus with the others (messaging.handoff, README
"Replicas"). A replica that exits without being asked is started again after a delay that
doubles with each quick death (1 s up to 30 s) and is forgotten once it has run a minute;
every exit and restart is printed, so the suite keeps running through one crashing service.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from shared.config import SERVICES, ServiceName, Settings
from shared.devstack import MODULES, _die_with_parent, _port_taken

REPLICA_PORT_STEP = 10
FIRST_RESTART_DELAY = 1.0
MAX_RESTART_DELAY = 30.0
STABLE_SECONDS = 60.0
PORT_SETTING: dict[ServiceName, str] = {s: f"SERVICEVM_{s.upper()}_PORT" for s in SERVICES}


@dataclass
class Replica:
    service: ServiceName
    index: int
    port: int
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    delay: float = FIRST_RESTART_DELAY
    restart_at: float | None = None
    log: list[IO[bytes]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.service if self.index == 0 else f"{self.service}-{self.index + 1}"


class Supervisor:
    def __init__(
        self, settings: Settings, *, env: Mapping[str, str], log_dir: Path | None = None
    ) -> None:
        self.settings = settings
        self._env = dict(env)
        self._log_dir = log_dir
        self.replicas = [
            Replica(service, k, settings.port(service) + REPLICA_PORT_STEP * k)
            for service in SERVICES
            for k in range(settings.replica_count(service))
        ]

    def url(self, service: ServiceName, index: int = 0) -> str:
        port = self.settings.port(service) + REPLICA_PORT_STEP * index
        return f"http://{self.settings.bind_host}:{port}"

    def start(self, timeout: float = 60.0) -> None:
        for replica in self.replicas:
            if _port_taken(self.settings.bind_host, replica.port):
                raise RuntimeError(
                    f"port {replica.port} for {replica.name} is taken: is another suite running?"
                )
        for replica in self.replicas:
            self._spawn(replica)
        for replica in self.replicas:
            self._wait_ready(replica, timeout)

    def watch(self) -> None:
        """One look at every replica: note deaths, restart those whose delay is over."""
        now = time.monotonic()
        for replica in self.replicas:
            process = replica.process
            if replica.restart_at is not None:
                if now >= replica.restart_at:
                    replica.restart_at = None
                    replica.restarts += 1
                    _say(f"restarting {replica.name} (restart {replica.restarts})")
                    self._spawn(replica)
                continue
            if process is None or process.poll() is None:
                continue
            if now - replica.started_at >= STABLE_SECONDS:
                replica.delay = FIRST_RESTART_DELAY
            _say(
                f"{replica.name} exited with status {process.returncode}; restarting it in "
                f"{replica.delay:.0f}s"
            )
            replica.restart_at = now + replica.delay
            replica.delay = min(replica.delay * 2, MAX_RESTART_DELAY)

    def stop(self, timeout: float = 15.0) -> None:
        running = [r.process for r in self.replicas if r.process and r.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        for process in running:
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for replica in self.replicas:
            replica.process = None
            for opened in replica.log:
                opened.close()
            replica.log.clear()

    def _spawn(self, replica: Replica) -> None:
        env = {**self._env, PORT_SETTING[replica.service]: str(replica.port)}
        replica.process = subprocess.Popen(
            [sys.executable, "-m", MODULES[replica.service]],
            env=env,
            stdout=self._log(replica),
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        replica.started_at = time.monotonic()

    def _wait_ready(self, replica: Replica, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        url = f"http://{self.settings.bind_host}:{replica.port}/readyz"
        while time.monotonic() < deadline:
            process = replica.process
            if process is not None and process.poll() is not None:
                raise RuntimeError(
                    f"{replica.name} exited with status {process.returncode} while starting"
                )
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{replica.name} not ready after {timeout:.0f}s")

    def _log(self, replica: Replica) -> IO[bytes] | None:
        if self._log_dir is None:
            return None
        self._log_dir.mkdir(parents=True, exist_ok=True)
        opened = (self._log_dir / f"{replica.name}.log").open("ab")
        replica.log.append(opened)
        return opened


def _say(line: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {line}", file=sys.stderr, flush=True)
