"""A unit of work's connection, out of the engine's pool and back, at the least cost.

``engine.connect()``, ``begin()``, ``commit()`` and ``close()`` each cross into a greenlet
and through SQLAlchemy's engine machinery: about a third of what a short transaction costs
the service in CPU, on every message. Here the pooled connection is checked out with one
switch and wrapped in an ``AsyncConnection`` without another; SQLAlchemy's transaction
begins by itself if a Core statement runs. A transaction that only ran raw statements
(``raw.Driver``) commits on the driver, and a connection with nothing left open goes back
to the pool directly. Anything else takes SQLAlchemy's own path, which knows how to roll
back and discard a broken connection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.util import greenlet_spawn

from shared.db.raw import Driver


async def checkout(engine: AsyncEngine) -> AsyncConnection:
    """A connection from the pool, nothing begun on it; a failure to connect raises what
    ``engine.connect()`` raises (the same ``Connection`` checks it out)."""
    return AsyncConnection(engine, await greenlet_spawn(Connection, engine.sync_engine))


async def commit(conn: AsyncConnection) -> None:
    if conn.get_transaction() is not None:
        await conn.commit()  # SQLAlchemy began it: its commit ends the driver's as well
    else:
        await (await Driver.under(conn)).commit()


async def rollback(conn: AsyncConnection) -> None:
    # SQLAlchemy invalidated the connection on an error it saw (its transaction, if any,
    # only needs closing): the driver under it is gone.
    if conn.invalidated or conn.get_transaction() is not None:
        await conn.rollback()
    else:
        await (await Driver.under(conn)).rollback()


async def checkin(conn: AsyncConnection) -> None:
    """Back to the pool, rolled back first if something is still open; a connection that
    died under a raw statement is discarded rather than handed to the next user."""
    if conn.invalidated:
        await conn.close()
        return
    driver = await Driver.under(conn)
    sync = conn.sync_connection
    if sync is not None and conn.get_transaction() is None and driver.idle:
        # Nothing to undo, so the pool's reset awaits nothing: no greenlet needed.
        sync.close()
        return
    if driver.closed:
        await conn.invalidate()
    await conn.close()


@asynccontextmanager
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """``engine.connect()`` at the cost above: for a lone read or a statement of its own."""
    conn = await checkout(engine)
    try:
        yield conn
    finally:
        await rollback(conn)
        await checkin(conn)
