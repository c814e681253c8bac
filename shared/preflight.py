"""Check the local servers before starting anything, and say precisely what is wrong.

Each server is probed once: it answers (ok), refuses our login (a login failure: the server
is there, the credentials are not right), or does not answer (missing). ``make run`` then
starts the missing ones from deploy/docker-compose.yml when Docker is there
(shared.compose_servers); otherwise the message names the server and how to get it.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote, urlparse, urlsplit, urlunsplit

import aio_pika
import aiormq.exceptions
import asyncpg
import redis.asyncio as aioredis
import redis.exceptions

from shared.config import Settings

Server = Literal["PostgreSQL", "RabbitMQ", "Redis"]
Outcome = Literal["ok", "login", "missing"]

# How to get each server: Debian/Ubuntu, macOS (Homebrew), or Docker (this repository's
# compose file publishes it on localhost).
INSTALL: dict[Server, tuple[str, str, str]] = {
    "PostgreSQL": (
        "sudo apt-get install -y postgresql && sudo service postgresql start",
        "brew install postgresql@16 && brew services start postgresql@16",
        "postgres",
    ),
    "RabbitMQ": (
        "sudo apt-get install -y rabbitmq-server && sudo service rabbitmq-server start",
        "brew install rabbitmq && brew services start rabbitmq",
        "rabbitmq",
    ),
    "Redis": (
        "sudo apt-get install -y redis-server && sudo service redis-server start",
        "brew install redis && brew services start redis",
        "redis",
    ),
}
LOGIN_HINTS: dict[Server, str] = {
    "PostgreSQL": (
        "Set SERVICEVM_DB_ADMIN_URL to a superuser's login, e.g. "
        "postgresql://postgres:PASSWORD@127.0.0.1:5432/postgres (it only creates the database, "
        "roles and schemas), or allow local logins in pg_hba.conf."
    ),
    "RabbitMQ": (
        "Set SERVICEVM_AMQP_URL with a user the broker knows, e.g. "
        "amqp://USER:PASSWORD@127.0.0.1:5672/%2F (guest logs in only from localhost)."
    ),
    "Redis": "Set SERVICEVM_REDIS_URL with the password, e.g. redis://:PASSWORD@127.0.0.1:6379/0.",
}


@dataclass(frozen=True)
class Probe:
    server: Server
    address: str
    outcome: Outcome
    error: str = ""

    @property
    def message(self) -> str:
        if self.outcome == "ok":
            return f"{self.server} answers at {self.address}."
        if self.outcome == "login":
            return (
                f"{self.server} at {self.address} refused the login ({self.error}): the server "
                f"is running, the credentials are not accepted.\n  {LOGIN_HINTS[self.server]}"
            )
        debian, macos, compose = INSTALL[self.server]
        return (
            f"{self.server} is not running or not reachable at {self.address} ({self.error}).\n"
            f"  Debian/Ubuntu: {debian}\n"
            f"  macOS:         {macos}\n"
            f"  Docker:        docker compose -f deploy/docker-compose.yml up -d {compose}"
        )


def redact(url: str) -> str:
    """The URL without its password (messages are printed and logged)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _describe(exc: BaseException) -> str:
    return f"{exc.__class__.__name__}: {exc}".rstrip(": ")


def postgres_outcome(exc: BaseException) -> Outcome:
    """A refused login (wrong or missing password, pg_hba rejection) versus no server."""
    if isinstance(exc, asyncpg.InvalidAuthorizationSpecificationError):
        return "login"
    if isinstance(exc, asyncpg.PostgresError) and "password" in str(exc).lower():
        return "login"
    return "missing"


def rabbitmq_outcome(exc: BaseException) -> Outcome:
    if isinstance(
        exc, aiormq.exceptions.ProbableAuthenticationError | aiormq.exceptions.AuthenticationError
    ):
        return "login"
    return "missing"


def redis_outcome(exc: BaseException) -> Outcome:
    if isinstance(exc, redis.exceptions.AuthenticationError):
        return "login"
    if isinstance(exc, redis.exceptions.ResponseError) and "NOAUTH" in str(exc):
        return "login"
    return "missing"


async def probe_postgres(url: str) -> Probe:
    try:
        connection = await asyncpg.connect(url, timeout=5)
        await connection.close()
    except Exception as exc:
        return Probe("PostgreSQL", redact(url), postgres_outcome(exc), _describe(exc))
    return Probe("PostgreSQL", redact(url), "ok")


async def probe_rabbitmq(url: str) -> Probe:
    try:
        amqp = await aio_pika.connect(url, timeout=5)
        await amqp.close()
    except Exception as exc:
        return Probe("RabbitMQ", redact(url), rabbitmq_outcome(exc), _describe(exc))
    return Probe("RabbitMQ", redact(url), "ok")


async def probe_redis(url: str) -> Probe:
    client = aioredis.from_url(url, socket_connect_timeout=5)
    try:
        await client.ping()
    except Exception as exc:
        return Probe("Redis", redact(url), redis_outcome(exc), _describe(exc))
    finally:
        await client.aclose()
    return Probe("Redis", redact(url), "ok")


async def probe_servers(settings: Settings) -> list[Probe]:
    return list(
        await asyncio.gather(
            probe_postgres(settings.db_admin_url),
            probe_rabbitmq(settings.amqp_url),
            probe_redis(settings.redis_url),
        )
    )


class ServersNotReady(SystemExit):
    def __init__(self, probes: list[Probe]) -> None:
        failed = [probe.message for probe in probes if probe.outcome != "ok"]
        super().__init__("servicevm needs these servers:\n" + "\n".join(failed))
        self.probes = probes

    @property
    def worth_waiting(self) -> bool:
        """Only servers that do not answer (yet): no refused login, which waiting won't fix."""
        return all(probe.outcome != "login" for probe in self.probes)


Prober = Callable[[Settings], list[Probe]]
WAIT_INTERVAL = 2.0
# While waiting, a reminder of what is still missing this often.
REMIND_EVERY = 30.0


def _probe_all(settings: Settings) -> list[Probe]:
    return asyncio.run(probe_servers(settings))


def wait_for_servers(
    settings: Settings,
    *,
    probe: Prober = _probe_all,
    sleep: Callable[[float], None] = time.sleep,
    say: Callable[[str], None] = print,
    interval: float = WAIT_INTERVAL,
) -> None:
    """Wait for servers that do not answer (``make run`` started before one of them),
    saying which and how to start it, then how long it has waited; a refused login raises
    ServersNotReady at once."""
    waited = 0.0
    reminded = 0.0
    while True:
        probes = probe(settings)
        missing = [p for p in probes if p.outcome != "ok"]
        if not missing:
            if waited:
                say(f"All servers answer after {waited:.0f}s; starting.")
            return
        if any(p.outcome == "login" for p in missing):
            raise ServersNotReady(probes)
        if waited == 0.0:
            say("Waiting for servers that do not answer (Ctrl-C to give up):")
            say("\n".join(p.message for p in missing))
        elif waited - reminded >= REMIND_EVERY:
            names = ", ".join(p.server for p in missing)
            say(f"Still waiting for {names} ({waited:.0f}s)...")
            reminded = waited
        if any(p.server == "RabbitMQ" for p in missing):
            ensure_vhost(settings.amqp_url)  # a broker just started has none of ours yet
        sleep(interval)
        waited += interval


def ensure_vhost(amqp_url: str) -> None:
    """Create the URL's RabbitMQ vhost if it is not the default one (needs rabbitmqctl)."""
    vhost = unquote(urlparse(amqp_url).path.lstrip("/")) or "/"
    user = urlparse(amqp_url).username or "guest"
    if vhost == "/" or shutil.which("rabbitmqctl") is None:
        return
    listed = subprocess.run(
        ["rabbitmqctl", "-q", "list_vhosts", "name"], capture_output=True, text=True, check=False
    )
    if vhost in listed.stdout.split():
        return
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], capture_output=True, check=False)
    subprocess.run(
        ["rabbitmqctl", "-q", "set_permissions", "-p", vhost, user, ".*", ".*", ".*"],
        capture_output=True,
        check=False,
    )


def preflight(settings: Settings) -> None:
    """Every server answers and accepts our login, or SystemExit saying which does not."""
    ensure_vhost(settings.amqp_url)
    probes = asyncio.run(probe_servers(settings))
    if any(probe.outcome != "ok" for probe in probes):
        raise ServersNotReady(probes)
