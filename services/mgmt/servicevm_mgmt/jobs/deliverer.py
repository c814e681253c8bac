"""Periodic job: deliver the pending HTTP notifications (mgmt's deliveries table).

Each subscription's notifications go out one at a time, in order; different subscriptions
in parallel, at most ``delivery_concurrency`` POSTs at once, each bounded by
``delivery_timeout_seconds``, so a callback that never answers holds one slot for a while
and delays no one else. A delivery is leased (claimed with FOR UPDATE SKIP LOCKED) for
longer than a send can take, so two mgmt processes never send the same one at once; a
process that dies mid-send leaves a lease that expires, and the delivery is sent again
(receivers deduplicate on the notification id). 5xx answers, timeouts and lost connections
are retried with capped exponential backoff for ``delivery_retry_window_seconds`` after
the notification was made (and at most ``delivery_attempts`` times, if set); then, or on
any other refusal, the delivery is given up and kept with its last error, for an admin to
re-send (``RedeliverNotifications``). OAuth2 tokens are cached per subscription.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from servicevm_mgmt.jobs.listener import listen, listening
from servicevm_mgmt.subscriptions import repository as sub_repo
from servicevm_mgmt.subscriptions.delivery import Outcome, send
from servicevm_mgmt.subscriptions.rules import retry_delay
from shared.callback_http import TokenCache
from shared.config import Settings
from shared.messaging.dispatch import ServiceStore
from shared.observability.metrics import DELIVERY_SECONDS, NOTIFICATIONS_DELIVERED
from shared.secrets import get_cipher

log = logging.getLogger(__name__)


async def deliver_notifications(store: ServiceStore, settings: Settings) -> None:
    await Deliverer(store, settings).run()


class Deliverer:
    def __init__(self, store: ServiceStore, settings: Settings) -> None:
        self._store = store
        self._settings = settings
        self._in_flight: set[asyncio.Task[None]] = set()
        # Set when a send finishes: its subscription's next delivery may be due now.
        self._wake = asyncio.Event()
        # Resolution and connection, plus the POST itself, with room to record the outcome.
        # Two POSTs (a 401 refreshes the OAuth2 token once) and a token request each.
        self._lease_seconds = 5 * settings.delivery_timeout_seconds + 10
        self._tokens = TokenCache()

    async def run(self) -> None:
        timeout = httpx.Timeout(self._settings.delivery_timeout_seconds)
        # trust_env=False: no proxy from the environment sees (or reroutes) the callbacks.
        async with httpx.AsyncClient(
            timeout=timeout, follow_redirects=False, trust_env=False
        ) as client:
            listener = asyncio.create_task(listen(self._store, on_deliveries=self._wake.set))
            try:
                while True:
                    try:
                        await self._claim_and_start(client)
                    except Exception:
                        log.warning("claiming deliveries failed; trying again", exc_info=True)
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self._poll_seconds())
            finally:
                listener.cancel()
                await asyncio.gather(listener, return_exceptions=True)
                for task in self._in_flight:
                    task.cancel()
                await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def _claim_and_start(self, client: httpx.AsyncClient) -> None:
        free = self._settings.delivery_concurrency - len(self._in_flight)
        if free <= 0:
            return
        async with self._store.unit_of_work(f"req-deliver-{uuid.uuid4()}") as uow:
            rows = await sub_repo.claim_due(uow.conn, limit=free, lease_seconds=self._lease_seconds)
            await uow.commit()
        for row in rows:
            task = asyncio.create_task(self._deliver(client, row))
            self._in_flight.add(task)
            task.add_done_callback(self._finished)

    def _poll_seconds(self) -> float:
        # New deliveries wake the loop (NOTIFY); a retry falling due is woken by _record.
        # The slow poll is the safety net: a retry another process scheduled, then died.
        if listening():
            return self._settings.delivery_safety_poll_seconds
        return self._settings.delivery_poll_seconds

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._wake.set()

    async def _deliver(self, client: httpx.AsyncClient, row: Any) -> None:
        # A callback trickling its answer byte by byte outlasts httpx's per-read timeout.
        limit = 4 * self._settings.delivery_timeout_seconds
        try:
            try:
                async with asyncio.timeout(limit):
                    cipher = get_cipher(self._settings)
                    outcome = await send(client, row, self._settings, cipher, self._tokens)
            except TimeoutError:
                outcome = Outcome(delivered=False, retry=True, error=f"no answer in {limit:.0f}s")
            await self._record(row, outcome)
        except Exception:
            # The lease runs out and the delivery is tried again.
            log.warning("delivery failed unexpectedly", exc_info=True, extra=_ids(row))

    async def _record(self, row: Any, outcome: Outcome) -> None:
        attempts = row.attempts + 1
        settings = self._settings
        async with self._store.unit_of_work(f"req-deliver-{uuid.uuid4()}") as uow:
            if outcome.delivered:
                result = "delivered"
                await sub_repo.delivered(uow.conn, delivery_id=row.id)
                DELIVERY_SECONDS.observe((datetime.now(UTC) - row.created_at).total_seconds())
            elif outcome.retry and _may_retry(row, attempts, settings):
                result = "retried"
                delay = retry_delay(
                    attempts,
                    base=settings.delivery_retry_base_seconds,
                    cap=settings.delivery_retry_max_seconds,
                )
                await sub_repo.retry_later(
                    uow.conn,
                    delivery_id=row.id,
                    attempts=attempts,
                    delay_seconds=delay,
                    error=outcome.error or "",
                )
                asyncio.get_running_loop().call_later(delay, self._wake.set)
            else:
                result = "given_up"
                await sub_repo.give_up(
                    uow.conn, delivery_id=row.id, attempts=attempts, error=outcome.error or ""
                )
            await uow.commit()
        NOTIFICATIONS_DELIVERED.labels(result).inc()
        if result != "delivered":
            # Never the URI: its query string may carry the receiver's token.
            log.log(
                logging.WARNING if result == "given_up" else logging.INFO,
                "notification not delivered",
                extra={
                    **_ids(row),
                    "outcome": result,
                    "attempts": attempts,
                    "error": outcome.error,
                },
            )


def _may_retry(row: Any, attempts: int, settings: Settings) -> bool:
    if settings.delivery_attempts and attempts >= settings.delivery_attempts:
        return False
    age = (datetime.now(UTC) - row.created_at).total_seconds()
    return bool(age < settings.delivery_retry_window_seconds)


def _ids(row: Any) -> dict[str, str]:
    return {
        "subscription_id": str(row.subscription_id),
        "notification_id": str(row.notification_id),
    }
