"""Fixtures for tests that need the real servers: a fresh database, a vhost and the suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.config import Settings
from shared.devstack import Suite, fresh_environment, isolated_settings
from shared.preflight import preflight
from tests.support.api import Api
from tests.support.appliances import kill_leftovers
from tests.support.bus import NotificationListener
from tests.support.environment import (
    APPLIANCE_STATE_DIR,
    KEYSTONE_API_PORT,
    KEYSTONE_WRITE_LIMIT,
    NOAUTH_PAGE_SIZE,
    NOAUTH_PROJECT,
    NOAUTH_PROJECT_API_PORT,
    TEST_ENV,
    suite_settings,
)
from tests.support.keystone import Keystone, running_keystone
from tests.support.secrets import leaks


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
    kill_leftovers(APPLIANCE_STATE_DIR)  # of an earlier run that was itself killed
    try:
        running.start()
        yield running
    finally:
        running.stop()
        # Appliances outlive lifecycle by design (a device survives its restart): whatever a
        # test left running is stopped here, so no test leaves processes behind.
        kill_leftovers(APPLIANCE_STATE_DIR)
    # Whatever the tests sent (tokens, passwords) must not be in any service's log.
    leaked = leaks(log_dir)
    assert not leaked, f"secrets found in the suite's logs: {leaked}"


@pytest.fixture(scope="session")
def keystone() -> Iterator[Keystone]:
    yield from running_keystone()


def second_api(suite: Suite, overrides: dict[str, str], log_name: str) -> Iterator[Suite]:
    """A second api process with these overrides, sharing the suite's database, bus and
    workers; small pool, and only for the module using it (PostgreSQL's connections are
    shared with every suite on this machine)."""
    env = {
        **TEST_ENV,
        **overrides,
        "SERVICEVM_DB_POOL_SIZE": "3",
        "SERVICEVM_DB_MAX_OVERFLOW": "2",
    }
    assert suite.log_dir is not None
    running = Suite(isolated_settings(env), env=env, log_dir=suite.log_dir / log_name)
    try:
        running.start("api")
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def keystone_suite(suite: Suite, keystone: Keystone) -> Iterator[Suite]:
    """A second api process that authenticates with Keystone."""
    overrides = {
        **keystone.env(),
        "SERVICEVM_API_PORT": str(KEYSTONE_API_PORT),
        "SERVICEVM_WRITE_RATE_LIMIT": str(KEYSTONE_WRITE_LIMIT),
    }
    yield from second_api(suite, overrides, "keystone")


@pytest.fixture(scope="module")
def noauth_project_suite(suite: Suite) -> Iterator[Suite]:
    """A second noauth api process where a request naming no project acts in
    NOAUTH_PROJECT (SERVICEVM_NOAUTH_PROJECT), with ETSI pages of NOAUTH_PAGE_SIZE."""
    overrides = {
        "SERVICEVM_API_PORT": str(NOAUTH_PROJECT_API_PORT),
        "SERVICEVM_NOAUTH_PROJECT": NOAUTH_PROJECT,
        "SERVICEVM_ETSI_PAGE_SIZE": str(NOAUTH_PAGE_SIZE),
    }
    yield from second_api(suite, overrides, "noauth-project")


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
