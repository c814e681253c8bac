"""``make run`` anywhere: PostgreSQL, RabbitMQ and Redis that do not answer locally are
started from deploy/docker-compose.yml (published on localhost) when Docker is there.

A server that answers but refuses the login is never replaced (its port is taken): the
message says so. Without Docker, the message names each missing server and how to get it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from shared.config import Settings
from shared.preflight import Probe, Server, ServersNotReady, probe_servers

COMPOSE_FILE = Path(__file__).resolve().parent.parent / "deploy" / "docker-compose.yml"
COMPOSE_SERVICE: dict[Server, str] = {
    "PostgreSQL": "postgres",
    "RabbitMQ": "rabbitmq",
    "Redis": "redis",
}
# The setting that reaches each server, and what the compose file's server accepts
# (its POSTGRES_PASSWORD, RabbitMQ's default user; ports published on 127.0.0.1).
SETTING: dict[Server, str] = {
    "PostgreSQL": "db_admin_url",
    "RabbitMQ": "amqp_url",
    "Redis": "redis_url",
}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", ""}
WAIT_SECONDS = 120.0

Runner = Callable[[Sequence[str]], subprocess.CompletedProcess[str]]
Prober = Callable[[Settings], list[Probe]]


def compose_urls() -> dict[Server, str]:
    password = os.environ.get("POSTGRES_PASSWORD", "postgres")
    return {
        "PostgreSQL": f"postgresql://postgres:{password}@127.0.0.1:5432/postgres",
        "RabbitMQ": "amqp://guest:guest@127.0.0.1:5672/%2F",
        "Redis": "redis://127.0.0.1:6379/0",
    }


def _run(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, check=False)


def docker_compose(run: Runner = _run) -> list[str] | None:
    """The compose command of this machine: ``docker compose`` (v2) or ``docker-compose``."""
    if shutil.which("docker") and run(["docker", "compose", "version"]).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def _is_local(probe: Probe) -> bool:
    return (urlsplit(probe.address).hostname or "") in LOCAL_HOSTS


def _probe(settings: Settings) -> list[Probe]:
    return asyncio.run(probe_servers(settings))


def ensure_servers(
    settings: Settings,
    *,
    probe: Prober = _probe,
    run: Runner = _run,
    compose: list[str] | None = None,
    wait_seconds: float = WAIT_SECONDS,
) -> tuple[Settings, dict[str, str]]:
    """Settings (and SERVICEVM_* variables for the services) that reach every server,
    starting the missing local ones with Docker Compose; else SystemExit saying why."""
    probes = probe(settings)
    missing = [p for p in probes if p.outcome == "missing"]
    if all(p.outcome == "ok" for p in probes):
        return settings, {}
    # A login failure, or a server elsewhere than this machine: Docker would not help.
    if any(p.outcome == "login" for p in probes) or not all(_is_local(p) for p in missing):
        raise ServersNotReady(probes)
    command = compose or docker_compose(run)
    if command is None:
        raise ServersNotReady(probes)
    servers = [p.server for p in missing]
    print(f"Not running here: {', '.join(servers)}. Starting them with Docker ({COMPOSE_FILE}).")
    services = [COMPOSE_SERVICE[server] for server in servers]
    started = run([*command, "-f", str(COMPOSE_FILE), "up", "-d", *services])
    if started.returncode != 0:
        raise SystemExit(f"docker compose could not start {', '.join(servers)}:\n{started.stderr}")
    urls = compose_urls()
    updates = {SETTING[s]: urls[s] for s in servers}
    settings = settings.model_copy(update=updates)
    env = {f"SERVICEVM_{field.upper()}": value for field, value in updates.items()}
    _wait(settings, servers, probe, wait_seconds)
    return settings, env


def _wait(settings: Settings, servers: list[Server], probe: Prober, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        probes = [p for p in probe(settings) if p.server in servers]
        if all(p.outcome == "ok" for p in probes):
            return
        if time.monotonic() > deadline:
            raise ServersNotReady(probes)
        time.sleep(1.0)
