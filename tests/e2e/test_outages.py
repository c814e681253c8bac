"""A service started while RabbitMQ or PostgreSQL is away starts and waits, and is ready
once its server is back; the api stays ready without the broker (its outbox takes writes).

The servers are made to go away through a TCP proxy each test opens and closes: the shared
RabbitMQ and PostgreSQL are never stopped. The extra processes share the suite's database
and vhost (as more replicas would) and are stopped by pid whatever happens."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import httpx

from shared.devstack import MODULES, Suite
from tests.support.environment import TEST_ENV
from tests.support.proxy import TcpProxy, free_port, proxy_to

RABBITMQ_PORT = 5672


@contextmanager
def started(suite: Suite, service: str, env: dict[str, str]) -> Iterator[str]:
    """One more process of ``service`` on a port of its own; yields its URL."""
    port = free_port()
    full = {**os.environ, **TEST_ENV, **env, f"SERVICEVM_{service.upper()}_PORT": str(port)}
    assert suite.log_dir is not None
    log = (suite.log_dir / f"outage-{service}-{port}.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", MODULES[service]],  # type: ignore[index]
        env=full,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield f"http://127.0.0.1:{port}"
        assert process.poll() is None, f"{service} exited with {process.returncode}"
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _status(url: str, path: str) -> int | None:
    try:
        return httpx.get(f"{url}{path}", timeout=3).status_code
    except httpx.HTTPError:
        return None


def _eventually(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not {what} after {timeout:.0f}s"
        time.sleep(0.2)


def _through(amqp_url: str, proxy: TcpProxy) -> str:
    parts = urlsplit(amqp_url)
    netloc = parts.netloc.rsplit(":", 1)[0] if parts.port else parts.netloc
    return urlunsplit(parts._replace(netloc=f"{netloc}:{proxy.port}"))


def _stays(url: str, path: str, status: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert _status(url, path) == status, f"{url}{path} left {status}"
        time.sleep(0.3)


def test_services_started_without_the_broker_wait_for_it(suite: Suite) -> None:
    with proxy_to(RABBITMQ_PORT) as broker:  # closed: nothing listens there yet
        env = {"SERVICEVM_AMQP_URL": _through(suite.settings.amqp_url, broker)}
        with started(suite, "scheduler", env) as scheduler, started(suite, "api", env) as api:
            _eventually(lambda: _status(scheduler, "/healthz") == 200, 60, "alive")
            _eventually(lambda: _status(api, "/healthz") == 200, 60, "alive")
            # The api accepts writes into its outbox: ready. The scheduler cannot work.
            assert _status(api, "/readyz") == 200
            _stays(scheduler, "/readyz", 503, 3)

            broker.open()
            _eventually(lambda: _status(scheduler, "/readyz") == 200, 30, "ready")

            broker.close()  # the broker goes away under live connections
            _eventually(lambda: _status(scheduler, "/readyz") == 503, 15, "unready")
            _stays(api, "/readyz", 200, 2)
            assert _status(scheduler, "/healthz") == 200

            broker.open()
            _eventually(lambda: _status(scheduler, "/readyz") == 200, 30, "ready again")


def test_a_service_started_without_the_database_waits_for_it(suite: Suite) -> None:
    with proxy_to(suite.settings.db_port) as database:
        env = {"SERVICEVM_DB_PORT": str(database.port)}
        with started(suite, "mgmt", env) as mgmt:
            _eventually(lambda: _status(mgmt, "/healthz") == 200, 60, "alive")
            _stays(mgmt, "/readyz", 503, 3)
            database.open()
            _eventually(lambda: _status(mgmt, "/readyz") == 200, 30, "ready")
