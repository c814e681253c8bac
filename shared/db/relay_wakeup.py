"""How a commit that wrote outbox rows wakes its schema's relay.

One relay per schema runs at a time, in whichever process holds its advisory lock
(``messaging.relay``). A commit in that process wakes it directly, in memory; a commit in
any other process (a replica's) has a NOTIFY sent on the schema's channel, which that relay
LISTENs to. A NOTIFY is not sent from every commit's own transaction because PostgreSQL
serializes the commits of all transactions that notify: each holds one cluster-wide lock
from its pre-commit through the flush of its commit record, so they cannot share a WAL
flush (``bench.outbox_commits``: 16 writers each committing a row and 3 outbox rows commit
about 1.4 times as many transactions per second without the NOTIFY as with it).

The NOTIFY of other processes is sent after the commit, by one task per schema and
process, at most one at a time: the commits made while one is on its way are covered by
the next, so a busy replica sends a few NOTIFYs rather than one per commit, and a commit
never waits for one. The relay's poll is the net for a wake-up lost anyway (a NOTIFY that
failed, a relay that moved to another process). A process whose event loop stops between
pieces of work (mgmt's monitoring worker) awaits ``flush`` before it does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Callable, Iterator

from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import pooled
from shared.db.raw import Driver
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


def wake_relay(engine: AsyncEngine, schema: str) -> None:
    """After a commit that wrote outbox rows to ``schema``: wake its relay, here in memory
    or elsewhere by a NOTIFY sent soon after (never awaited by the committer)."""
    wake = _here.get(_key(engine, schema))
    if wake is not None:
        wake()
        return
    by_schema = _notifiers.setdefault(engine, {})
    notifier = by_schema.get(schema)
    if notifier is None:
        notifier = by_schema[schema] = _Notifier(schema)
    notifier.request(engine)


class _Notifier:
    """Sends the NOTIFYs of one engine's commits to one schema, one at a time. (It keeps
    no reference to the engine, which keys it weakly: only its running task does.)"""

    def __init__(self, schema: str) -> None:
        self._channel = outbox_channel(schema)
        self._again = False
        self._task: asyncio.Task[None] | None = None

    def request(self, engine: AsyncEngine) -> None:
        self._again = True
        # A task that never ran its ``finally`` (cancelled before it started, its loop gone)
        # is done: a new one replaces it.
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._send(engine))

    @property
    def sending(self) -> asyncio.Task[None] | None:
        return self._task

    async def _send(self, engine: AsyncEngine) -> None:
        try:
            # A commit made while a NOTIFY is on its way asks again: one more goes after it.
            while self._again:
                self._again = False
                await self._notify(engine)
        finally:
            # Before the task ends, with no await after the loop's last check: a request
            # seeing a task still set is one this loop will serve.
            self._task = None

    async def _notify(self, engine: AsyncEngine) -> None:
        try:
            conn = await pooled.checkout(engine)
            try:
                driver = await Driver.under(conn)
                # A simple query, one round trip: with parameters asyncpg would prepare it
                # first. The channel is a name of ours (outbox_channel), quoted as LISTEN's.
                await driver.outside_transaction().execute(f'NOTIFY "{self._channel}"')
            finally:
                await pooled.checkin(conn)
        except Exception as exc:  # best effort: the relay's poll is the net
            log.warning(
                "could not wake the outbox relay; it polls for the rows",
                extra={"channel": self._channel, "error": repr(exc)},
            )


async def flush(engine: AsyncEngine) -> None:
    """Wait for the NOTIFYs this engine's commits asked for so far to be sent."""
    sending = [
        notifier.sending
        for notifier in _notifiers.get(engine, {}).values()
        if notifier.sending is not None
    ]
    await asyncio.gather(*sending, return_exceptions=True)


# Per engine (one per process and event loop), forgotten with it.
_notifiers: weakref.WeakKeyDictionary[AsyncEngine, dict[str, _Notifier]] = (
    weakref.WeakKeyDictionary()
)
