"""Start, watch and stop the four service processes on this machine (``make run``, e2e tests)."""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO

import asyncpg
import httpx
from kombu.connection import Connection

from shared.config import SERVICES, ServiceName, Settings
from shared.db.bootstrap import create_database_and_roles, migrate
from shared.messaging.topology import NOTIFICATION_STREAM, QUEUES

MODULES: dict[ServiceName, str] = {service: f"servicevm_{service}" for service in SERVICES}


def _die_with_parent() -> None:
    """Linux: the service gets SIGTERM if the process that started it dies (no orphans)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


def _port_taken(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def isolated_settings(env: Mapping[str, str]) -> Settings:
    """Settings from SERVICEVM_* overrides, as child processes given the same env see them."""
    prefix = "SERVICEVM_"
    overrides = {
        key.removeprefix(prefix).lower(): value
        for key, value in env.items()
        if key.startswith(prefix)
    }
    return Settings.model_validate(overrides)


def fresh_database(settings: Settings) -> None:
    """Drop, recreate and migrate the database (never the one `make run` uses)."""
    asyncio.run(_drop_database(settings))
    asyncio.run(create_database_and_roles(settings))
    migrate(settings)


def drop_database(settings: Settings) -> None:
    asyncio.run(_drop_database(settings))


def fresh_environment(settings: Settings) -> None:
    """Drop and recreate the database and the service queues: a clean slate for a test
    session or a benchmark run (never pointed at the database `make run` uses)."""
    fresh_database(settings)
    with Connection(settings.amqp_url) as connection:
        channel = connection.default_channel
        for service in SERVICES:
            for name in (QUEUES[service].name, QUEUES[service].dead_letter_name):
                channel.queue_delete(name)
        # The notification stream too: a session replays only what it published.
        channel.queue_delete(NOTIFICATION_STREAM)


async def _drop_database(settings: Settings) -> None:
    admin = await asyncpg.connect(settings.db_admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{settings.db_name}" WITH (FORCE)')
    finally:
        await admin.close()


class Suite:
    def __init__(
        self,
        settings: Settings,
        *,
        env: Mapping[str, str] | None = None,
        log_dir: Path | None = None,
    ) -> None:
        self.settings = settings
        self._env = {**os.environ, **(env or {})}
        self.log_dir = log_dir
        self.processes: dict[ServiceName, subprocess.Popen[bytes]] = {}

    def url(self, service: ServiceName) -> str:
        return f"http://{self.settings.bind_host}:{self.settings.port(service)}"

    def start(self, *services: ServiceName, timeout: float = 60.0) -> None:
        for service in services or SERVICES:
            if _port_taken(self.settings.bind_host, self.settings.port(service)):
                raise RuntimeError(
                    f"port {self.settings.port(service)} for {service} is taken: is another suite running?"
                )
        for service in services or SERVICES:
            self.processes[service] = subprocess.Popen(
                [sys.executable, "-m", MODULES[service]],
                env=self._env,
                stdout=self._log(service),
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        for service in services or SERVICES:
            self.wait_ready(service, timeout=timeout)

    def wait_ready(self, service: ServiceName, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        process = self.processes[service]
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(
                    f"{service} exited with status {process.returncode} while starting"
                )
            try:
                if httpx.get(f"{self.url(service)}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{service} not ready after {timeout:.0f}s")

    def kill(self, service: ServiceName) -> None:
        """SIGKILL: the process gets no chance to finish or acknowledge anything."""
        process = self.processes.pop(service)
        process.kill()
        process.wait()

    def stop(self, *services: ServiceName, timeout: float = 15.0) -> None:
        chosen = [s for s in (services or tuple(self.processes)) if s in self.processes]
        for service in chosen:
            self.processes[service].send_signal(signal.SIGTERM)
        for service in chosen:
            process = self.processes.pop(service)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def first_exited(self) -> ServiceName | None:
        return next((s for s, p in self.processes.items() if p.poll() is not None), None)

    def _log(self, service: ServiceName) -> IO[bytes] | None:
        if self.log_dir is None:
            return None
        self.log_dir.mkdir(parents=True, exist_ok=True)
        return (self.log_dir / f"{service}.log").open("ab")
