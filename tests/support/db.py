"""Looking into a service's schema directly, as its own role (for assertions only)."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from shared.config import ServiceName, Settings


def fetch(settings: Settings, service: ServiceName, query: str, *args: Any) -> list[asyncpg.Record]:
    async def run() -> list[asyncpg.Record]:
        connection = await asyncpg.connect(settings.database_url(service, driver="postgresql"))
        try:
            rows: list[asyncpg.Record] = await connection.fetch(query, *args)
            return rows
        finally:
            await connection.close()

    return asyncio.run(run())
