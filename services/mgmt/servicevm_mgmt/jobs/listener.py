"""The LISTEN connection of an mgmt process: subscription changes empty the presence cache
(``subscriptions.presence``), new deliveries wake the deliverer. While it is down, the
cache is not trusted and the deliverer polls at ``delivery_poll_seconds`` again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg

from servicevm_mgmt.subscriptions.presence import PRESENCE, SUBSCRIPTIONS_CHANNEL
from servicevm_mgmt.subscriptions.repository import DELIVERIES_CHANNEL
from shared.messaging.dispatch import ServiceStore

log = logging.getLogger(__name__)

# How often a quiet connection is checked for having been closed under the listener.
_CHECK_SECONDS = 2.0


async def listen(store: ServiceStore, *, on_deliveries: Callable[[], None]) -> None:
    """Forever: listen, and after a lost connection listen again (with backoff)."""
    backoff = 0.5
    while True:
        try:
            await _listen_once(store, on_deliveries)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("mgmt listener lost its connection", extra={"error": repr(exc)})
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, 10.0)


async def _listen_once(store: ServiceStore, on_deliveries: Callable[[], None]) -> None:
    # Closed, never returned to the pool: its LISTENs must not outlive this attempt.
    conn = await store.engine.connect()
    try:
        raw = await conn.get_raw_connection()
        driver: asyncpg.Connection = raw.driver_connection
        lost = asyncio.Event()
        driver.add_termination_listener(lambda *_: lost.set())
        await driver.add_listener(SUBSCRIPTIONS_CHANNEL, lambda *_: PRESENCE.invalidate())
        await driver.add_listener(DELIVERIES_CHANNEL, lambda *_: on_deliveries())
        PRESENCE.listening(True)
        on_deliveries()  # anything added before the LISTEN began is looked for now
        while not driver.is_closed():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(lost.wait(), _CHECK_SECONDS)
    finally:
        PRESENCE.listening(False)
        await conn.invalidate()
        await conn.close()


def listening() -> bool:
    return PRESENCE.is_listening
