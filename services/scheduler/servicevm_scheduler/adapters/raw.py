"""The asyncpg connection under an adapter's SQLAlchemy one, for the placement's statements.

A placement runs a handful of statements per service instance; through SQLAlchemy Core each
costs a statement build, a cache-key walk and a result wrapper, several times the CPU of the
asyncpg call. The hottest are written once as SQL (asyncpg prepares each on first use and
keeps it per connection) and run inside the transaction the unit of work opened.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from sqlalchemy import Column
from sqlalchemy.dialects import registry
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db.raw import Driver

_POSTGRES = registry.load("postgresql")()


def cast(number: int, column: Column[Any]) -> str:
    """Parameter ``$number`` cast to the column's type (an INSERT ... SELECT or an
    expression does not infer it)."""
    return f"${number}::{column.type.compile(dialect=_POSTGRES)}"


class Raw:
    """The driver connection of one SQLAlchemy connection, found once, its transaction begun."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self._driver: Driver | None = None

    async def __call__(self) -> asyncpg.Connection:
        if self._driver is None:
            self._driver = await Driver.under(self._conn)
        return await self._driver.in_transaction()

    async def first_read(self) -> asyncpg.Connection:
        """The driver connection for a read that takes no lock: outside the transaction if
        nothing has begun it yet (a statement of its own, no BEGIN round trip; what runs
        next begins the transaction), else in it."""
        if self._driver is None:
            self._driver = await Driver.under(self._conn)
        if self._driver.began:
            return await self._driver.in_transaction()
        return self._driver.outside_transaction()
