"""make run's server checks: a refused login is reported as a login failure, a missing
server with how to get it, and Docker starts only the missing local servers."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

import aiormq.exceptions
import asyncpg
import pytest
import redis.exceptions

from shared import preflight
from shared.compose_servers import ensure_servers
from shared.config import Settings
from shared.preflight import Probe, ServersNotReady, postgres_outcome, redact


def test_password_refusals_are_login_failures_and_refused_connections_missing() -> None:
    refused = asyncpg.InvalidPasswordError('password authentication failed for user "postgres"')
    assert postgres_outcome(refused) == "login"
    rejected = asyncpg.InvalidAuthorizationSpecificationError("no pg_hba.conf entry for host")
    assert postgres_outcome(rejected) == "login"
    assert postgres_outcome(ConnectionRefusedError(111, "Connect call failed")) == "missing"
    assert postgres_outcome(TimeoutError()) == "missing"
    assert preflight.rabbitmq_outcome(aiormq.exceptions.ProbableAuthenticationError()) == "login"
    assert preflight.rabbitmq_outcome(aiormq.exceptions.AMQPConnectionError()) == "missing"
    assert preflight.redis_outcome(redis.exceptions.AuthenticationError("invalid")) == "login"
    assert preflight.redis_outcome(redis.exceptions.ConnectionError("refused")) == "missing"


async def test_a_stock_postgres_with_password_auth_is_reported_as_a_login_failure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def connect(*_args: object, **_kwargs: object) -> None:
        raise asyncpg.InvalidPasswordError('password authentication failed for user "postgres"')

    monkeypatch.setattr(asyncpg, "connect", connect)
    probe = await preflight.probe_postgres("postgresql://postgres:secret@127.0.0.1:5432/postgres")
    assert probe.outcome == "login"
    assert "refused the login" in probe.message and "not reachable" not in probe.message
    assert "SERVICEVM_DB_ADMIN_URL" in probe.message
    assert "secret" not in probe.message and "***" in probe.address


async def test_a_missing_postgres_says_how_to_get_it_on_debian_and_macos(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def connect(*_args: object, **_kwargs: object) -> None:
        raise ConnectionRefusedError(111, "Connect call failed")

    monkeypatch.setattr(asyncpg, "connect", connect)
    probe = await preflight.probe_postgres("postgresql://postgres@127.0.0.1:5432/postgres")
    assert probe.outcome == "missing"
    assert "apt-get install -y postgresql" in probe.message
    assert "brew install postgresql@16" in probe.message
    assert "docker compose -f deploy/docker-compose.yml up -d postgres" in probe.message


def test_redact_hides_only_the_password() -> None:
    assert redact("amqp://guest:pw@h:5672/%2F") == "amqp://guest:***@h:5672/%2F"
    assert redact("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


class FakeDocker:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        self.calls.append(list(argv))
        return subprocess.CompletedProcess(argv, 0, "", "")


def probes(**outcomes: str) -> list[Probe]:
    addresses = {
        "PostgreSQL": "postgresql://postgres@127.0.0.1:5432/postgres",
        "RabbitMQ": "amqp://guest:***@127.0.0.1:5672/%2F",
        "Redis": "redis://127.0.0.1:6379/0",
    }
    return [
        Probe(server, address, outcomes.get(server, "ok"), "error")  # type: ignore[arg-type]
        for server, address in addresses.items()
    ]


def test_only_the_missing_servers_are_started_with_docker_and_then_used() -> None:
    docker = FakeDocker()
    answers = iter([probes(RabbitMQ="missing", Redis="missing"), probes()])
    settings, env = ensure_servers(
        Settings(), probe=lambda _s: next(answers), run=docker, compose=["docker", "compose"]
    )
    [call] = docker.calls
    assert call[:2] == ["docker", "compose"] and call[-4:] == ["up", "-d", "rabbitmq", "redis"]
    assert env == {
        "SERVICEVM_AMQP_URL": "amqp://guest:guest@127.0.0.1:5672/%2F",
        "SERVICEVM_REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    assert settings.amqp_url == env["SERVICEVM_AMQP_URL"]


def test_a_login_failure_never_starts_docker() -> None:
    docker = FakeDocker()
    with pytest.raises(ServersNotReady, match=r"PostgreSQL .* refused the login"):
        ensure_servers(
            Settings(),
            probe=lambda _s: probes(PostgreSQL="login", Redis="missing"),
            run=docker,
            compose=["docker", "compose"],
        )
    assert docker.calls == []


def test_without_docker_the_message_names_each_missing_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("shutil.which", lambda _name: None)
    with pytest.raises(ServersNotReady) as raised:
        ensure_servers(Settings(), probe=lambda _s: probes(RabbitMQ="missing", Redis="missing"))
    message = str(raised.value)
    assert "RabbitMQ is not running" in message and "Redis is not running" in message
    assert "PostgreSQL" not in message
    assert "brew install rabbitmq" in message and "apt-get install -y redis-server" in message


def test_nothing_is_started_when_every_server_answers() -> None:
    docker = FakeDocker()
    settings = Settings()
    assert ensure_servers(settings, probe=lambda _s: probes(), run=docker) == (settings, {})
    assert docker.calls == []
