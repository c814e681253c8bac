"""Settings of the test suite: its own database, vhost and ports, beside any `make run`."""

from __future__ import annotations

import asyncio
import os

import asyncpg
from kombu.connection import Connection

from shared.config import SERVICES, Settings
from shared.db.bootstrap import create_database_and_roles, migrate
from shared.messaging.topology import QUEUES

TEST_ENV = {
    "SERVICEVM_DB_NAME": os.environ.get("SERVICEVM_TEST_DB_NAME", "servicevm_test"),
    "SERVICEVM_AMQP_URL": os.environ.get(
        "SERVICEVM_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/servicevm_test"
    ),
    "SERVICEVM_API_PORT": "19890",
    "SERVICEVM_SCHEDULER_PORT": "19891",
    "SERVICEVM_LIFECYCLE_PORT": "19892",
    "SERVICEVM_MGMT_PORT": "19893",
    "SERVICEVM_RELAY_POLL_SECONDS": "0.5",
    "SERVICEVM_LOG_LEVEL": "INFO",
}


def suite_settings() -> Settings:
    return Settings(
        db_name=TEST_ENV["SERVICEVM_DB_NAME"],
        amqp_url=TEST_ENV["SERVICEVM_AMQP_URL"],
        api_port=int(TEST_ENV["SERVICEVM_API_PORT"]),
        scheduler_port=int(TEST_ENV["SERVICEVM_SCHEDULER_PORT"]),
        lifecycle_port=int(TEST_ENV["SERVICEVM_LIFECYCLE_PORT"]),
        mgmt_port=int(TEST_ENV["SERVICEVM_MGMT_PORT"]),
    )


async def _drop_database(settings: Settings) -> None:
    admin = await asyncpg.connect(settings.db_admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{settings.db_name}" WITH (FORCE)')
    finally:
        await admin.close()


def fresh_database(settings: Settings) -> None:
    """A new empty database for this test session, migrated like `make run` does it."""
    asyncio.run(_drop_database(settings))
    asyncio.run(create_database_and_roles(settings))
    migrate(settings)


def purge_queues(settings: Settings) -> None:
    """Drop the service queues left by an earlier session so no stale message is consumed."""
    with Connection(settings.amqp_url) as connection:
        channel = connection.default_channel
        for service in SERVICES:
            for name in (QUEUES[service].name, QUEUES[service].dead_letter_name):
                channel.queue_delete(name)
