"""A unit of work's connection, out of the engine's pool and back, at the least cost.

``engine.connect()``, ``begin()``, ``commit()`` and ``close()`` each cross into a greenlet
and through SQLAlchemy's engine machinery, on every message (``bench.units_of_work``: a
one-statement transaction cost 357 µs that way and 261 µs this way on a quiet machine).
Here the pooled connection is checked out with one switch and wrapped in an
``AsyncConnection`` without another; SQLAlchemy's transaction begins by itself if a Core
statement runs. A transaction that only ran raw statements (``raw.Driver``) commits on the
driver, and a connection with nothing left open goes back to the pool directly. Anything
else takes SQLAlchemy's own path, which knows how to roll back and discard a broken
connection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import Pool, QueuePool
from sqlalchemy.util import greenlet_spawn

from shared.db.raw import Driver


async def checkout(engine: AsyncEngine) -> AsyncConnection:
    """A connection from the pool, nothing begun on it; a failure to connect raises what
    ``engine.connect()`` raises."""
    return AsyncConnection(engine, await greenlet_spawn(engine.sync_engine.connect))


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
    """Back to the pool (after ``commit`` or ``rollback``). A connection with anything
    still open on it, or that died under a raw statement, is discarded rather than handed
    to the next user."""
    if conn.invalidated:
        await conn.close()
        return
    driver = await Driver.under(conn)
    sync = conn.sync_connection
    if sync is not None and driver.idle and _kept_as_is(sync.engine.pool):
        # Nothing to undo and nothing to close, so the pool awaits nothing: no greenlet.
        sync.close()
        return
    if not driver.idle:
        await conn.invalidate()
    await conn.close()


def _kept_as_is(pool: Pool) -> bool:
    """The pool will keep this connection at checkin rather than close it (a queue pool
    with room: closing one would await the driver)."""
    return isinstance(pool, QueuePool) and pool.checkedin() < pool.size()


@asynccontextmanager
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """``engine.connect()`` at the cost above: for a lone read or a statement of its own."""
    conn = await checkout(engine)
    try:
        yield conn
    finally:
        await rollback(conn)
        await checkin(conn)
