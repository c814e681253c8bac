"""A service's schema directly: looked into as its own role (for assertions only), or
worked on in a transaction rolled back at the end (repository tests leave no rows)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_api.adapters.orm import device_templates
from shared.config import ServiceName, Settings
from shared.devstack import drop_database, fresh_database
from shared.runtime import ServiceDefinition, build_store


@contextmanager
def database_of_its_own(settings: Settings, suffix: str) -> Iterator[Settings]:
    """A migrated database beside the session's, dropped at the end: for tests whose rows
    the session's running suite must not touch (its relays publish and delete outbox rows,
    its sweeps take expired leases, its scheduler places onto any device)."""
    own = settings.model_copy(update={"db_name": f"{settings.db_name}_{suffix}"})
    fresh_database(own)
    try:
        yield own
    finally:
        drop_database(own)


def fetch(settings: Settings, service: ServiceName, query: str, *args: Any) -> list[asyncpg.Record]:
    async def run() -> list[asyncpg.Record]:
        connection = await asyncpg.connect(settings.database_url(service, driver="postgresql"))
        try:
            rows: list[asyncpg.Record] = await connection.fetch(query, *args)
            return rows
        finally:
            await connection.close()

    return asyncio.run(run())


def in_rolled_back_transaction(
    definition: ServiceDefinition,
    settings: Settings,
    body: Callable[[AsyncConnection], Awaitable[None]],
) -> None:
    """Run ``body`` on one connection of a service's store, then roll its transaction back."""

    async def run() -> None:
        engine = build_store(definition, settings).engine
        try:
            async with engine.connect() as conn, conn.begin() as transaction:
                await body(conn)
                await transaction.rollback()
        finally:
            await engine.dispose()

    asyncio.run(run())


async def add_api_template(conn: AsyncConnection, template_id: uuid.UUID, tenant_id: str) -> None:
    """A noop device template in the api's schema, for devices to refer to."""
    await conn.execute(
        insert(device_templates).values(
            id=template_id,
            tenant_id=tenant_id,
            name="t",
            description="",
            device_driver="noop",
            mgmt_driver="noop",
            service_types=[],
            attributes={},
        )
    )
