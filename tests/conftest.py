"""Fixtures for tests that need the real servers: a fresh database, a vhost and the suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.config import Settings
from shared.devstack import Suite, fresh_environment
from shared.preflight import preflight
from tests.support.api import Api
from tests.support.bus import NotificationListener
from tests.support.environment import TEST_ENV, suite_settings


@pytest.fixture(scope="session")
def settings() -> Settings:
    return suite_settings()


@pytest.fixture(scope="session")
def database(settings: Settings) -> Settings:
    preflight(settings)
    fresh_environment(settings)
    return settings


@pytest.fixture(scope="session")
def suite(database: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    log_dir: Path = tmp_path_factory.mktemp("logs")
    running = Suite(database, env=TEST_ENV, log_dir=log_dir)
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture
def api(suite: Suite) -> Iterator[Api]:
    """A client speaking as a new project of its own."""
    client = Api(suite.url("api"))
    yield client
    client.close()


@pytest.fixture
def admin(suite: Suite) -> Iterator[Api]:
    client = Api(suite.url("api"), project="admin-project", roles="admin,member")
    yield client
    client.close()


@pytest.fixture
def notifications(suite: Suite) -> Iterator[NotificationListener]:
    listener = NotificationListener(suite.settings.amqp_url)
    yield listener
    listener.close()
