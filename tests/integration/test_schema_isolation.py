"""Each service's role owns its schema and cannot touch another service's tables."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from shared.config import SERVICES, ServiceName, Settings

TABLE_OF: dict[ServiceName, str] = {
    "api": "api.devices",
    "scheduler": "scheduler.devices",
    "lifecycle": "lifecycle.devices",
    "mgmt": "mgmt.managed_devices",
}


async def _try(settings: Settings, role_of: ServiceName, statement: str) -> str:
    connection = await asyncpg.connect(settings.database_url(role_of, driver="postgresql"))
    try:
        await connection.execute(statement)
        return "ok"
    except asyncpg.InsufficientPrivilegeError as exc:
        return f"denied: {exc}"
    finally:
        await connection.close()


@pytest.mark.parametrize("service", SERVICES)
def test_role_reaches_only_its_own_schema(database: Settings, service: ServiceName) -> None:
    assert asyncio.run(_try(database, service, f"SELECT count(*) FROM {TABLE_OF[service]}")) == "ok"
    for other in SERVICES:
        if other == service:
            continue
        for statement in (
            f"SELECT * FROM {TABLE_OF[other]} LIMIT 1",
            f"DELETE FROM {TABLE_OF[other]}",
            f"CREATE TABLE {other}.intruder (id int)",
        ):
            outcome = asyncio.run(_try(database, service, statement))
            assert outcome.startswith("denied"), (service, statement, outcome)
            assert f"schema {other}" in outcome


def test_roles_cannot_create_in_public(database: Settings) -> None:
    for service in SERVICES:
        outcome = asyncio.run(_try(database, service, "CREATE TABLE public.intruder (id int)"))
        assert outcome.startswith("denied"), outcome


def test_each_schema_has_its_own_alembic_version(database: Settings) -> None:
    async def versions() -> dict[str, str]:
        found: dict[str, str] = {}
        for service in SERVICES:
            connection = await asyncpg.connect(database.database_url(service, driver="postgresql"))
            try:
                found[service] = await connection.fetchval(
                    f"SELECT version_num FROM {service}.alembic_version"
                )
            finally:
                await connection.close()
        return found

    assert set(asyncio.run(versions())) == set(SERVICES)
