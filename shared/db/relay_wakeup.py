"""How a commit that wrote outbox rows wakes its schema's relay.

One relay per schema runs at a time, in whichever process holds its advisory lock
(``messaging.relay``). A commit in that process wakes it directly, in memory; a commit in
any other process (a replica's) sends a NOTIFY on the schema's channel, which that relay
LISTENs to. A NOTIFY is not sent with every commit because PostgreSQL serializes the commits
of all transactions that notify: each holds one cluster-wide lock from its pre-commit
through the flush of its commit record, so they cannot share a WAL flush. Measured on the
development machine, 16 writers each inserting a row and 3 outbox rows per transaction:
2,635 commits/s with the NOTIFY of a trigger, 3,654/s without. The relay's poll is the net
for a wake-up lost anyway (a NOTIFY that failed after its commit, a relay that moved).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.tables import outbox_channel

log = logging.getLogger(__name__)

# (database, schema) -> how to wake the relay running in this process for it.
_Key = tuple[str, str]
_here: dict[_Key, Callable[[], None]] = {}


def _key(engine: AsyncEngine, schema: str) -> _Key:
    url = engine.url
    return (f"{url.host}:{url.port}/{url.database}", schema)


@contextlib.contextmanager
def relay_here(engine: AsyncEngine, schema: str, wake: Callable[[], None]) -> Iterator[None]:
    """While the block runs, this process's commits to ``schema`` wake the relay by calling
    ``wake`` instead of sending a NOTIFY: for the relay that holds the schema's lock."""
    key = _key(engine, schema)
    _here[key] = wake
    try:
        yield
    finally:
        if _here.get(key) is wake:
            del _here[key]


async def wake_relay(engine: AsyncEngine, schema: str, conn: asyncpg.Connection) -> None:
    """After a commit that wrote outbox rows to ``schema``: wake its relay, here in memory
    or elsewhere by a NOTIFY sent on ``conn`` (idle: the statement commits on its own).
    A NOTIFY that fails is logged, not raised: the commit it follows stands, and the relay
    finds the rows at its next poll."""
    wake = _here.get(_key(engine, schema))
    if wake is not None:
        wake()
        return
    try:
        await conn.execute("SELECT pg_notify($1, '')", outbox_channel(schema))
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        log.warning(
            "could not wake the outbox relay; it polls for the rows",
            extra={"schema": schema, "error": repr(exc)},
        )
