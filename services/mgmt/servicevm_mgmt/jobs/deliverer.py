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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection

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


@dataclass(frozen=True)
class _Sent:
    """A finished attempt, to be recorded with the next claim."""

    row: Any
    outcome: Outcome
    result: str  # delivered, retried, given_up
    delay: float = 0.0


class Deliverer:
    def __init__(self, store: ServiceStore, settings: Settings) -> None:
        self._store = store
        self._settings = settings
        self._in_flight: set[asyncio.Task[None]] = set()
        # Attempts that finished since the last round; each round records them and claims
        # in one transaction (the delivered ones in one statement).
        self._sent: list[_Sent] = []
        # Set when a send finishes: its subscription's next delivery may be due now.
        self._wake = asyncio.Event()
        # Resolution and connection, plus the POST itself, with room to record the outcome.
        # Two POSTs (a 401 refreshes the OAuth2 token once) and a token request each.
        self._lease_seconds = 5 * settings.delivery_timeout_seconds + 10
        self._tokens = TokenCache()
        # The keys are the process's settings: read (the key file) once, not at every send.
        self._cipher = get_cipher(settings)

    async def run(self) -> None:
        settings = self._settings
        timeout = httpx.Timeout(settings.delivery_timeout_seconds)
        # One client for every send: its pool keeps a connection per callback host alive,
        # as many as there may be POSTs at once.
        limits = httpx.Limits(max_keepalive_connections=max(20, settings.delivery_concurrency))
        # trust_env=False: no proxy from the environment sees (or reroutes) the callbacks.
        async with httpx.AsyncClient(
            timeout=timeout, limits=limits, follow_redirects=False, trust_env=False
        ) as client:
            listener = asyncio.create_task(listen(self._store, on_deliveries=self._wake.set))
            try:
                while True:
                    self._wake.clear()
                    try:
                        await self._record_and_claim(client)
                    except Exception:
                        log.warning("claiming deliveries failed; trying again", exc_info=True)
                    if self._wake.is_set():
                        continue  # a send finished (or deliveries came) meanwhile
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self._poll_seconds())
            finally:
                listener.cancel()
                await asyncio.gather(listener, return_exceptions=True)
                for task in self._in_flight:
                    task.cancel()
                await asyncio.gather(*self._in_flight, return_exceptions=True)
                # What was sent is recorded if the database lets it, else sent again.
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(5):
                        await self._record_and_claim(client, claim=False)

    async def _record_and_claim(self, client: httpx.AsyncClient, *, claim: bool = True) -> None:
        """One transaction: record the finished attempts (a delivered one frees its
        subscription's next notification, claimed in the same round) and lease as many
        due deliveries as there are free slots."""
        sent, self._sent = self._sent, []
        free = self._settings.delivery_concurrency - len(self._in_flight) if claim else 0
        if not sent and free <= 0:
            return
        try:
            async with self._store.unit_of_work(f"req-deliver-{uuid.uuid4()}") as uow:
                await _record(uow.conn, sent)
                rows = []
                if free > 0:
                    rows = await sub_repo.claim_due(
                        uow.conn, limit=free, lease_seconds=self._lease_seconds
                    )
                await uow.commit()
        except BaseException:
            self._sent[:0] = sent  # recorded next round (or their leases run out)
            raise
        _recorded(sent)
        loop = asyncio.get_running_loop()
        for s in sent:
            if s.result == "retried":
                # Due at the transaction's now() + delay: woken no earlier than that.
                loop.call_later(s.delay, self._wake.set)
        for row in rows:
            task = asyncio.create_task(self._deliver(client, row))
            self._in_flight.add(task)
            task.add_done_callback(self._finished)

    def _poll_seconds(self) -> float:
        # New deliveries wake the loop (NOTIFY); a retry falling due is woken once recorded.
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
                    outcome = await send(client, row, self._settings, self._cipher, self._tokens)
            except TimeoutError:
                outcome = Outcome(delivered=False, retry=True, error=f"no answer in {limit:.0f}s")
            self._sent.append(self._judge(row, outcome))
        except Exception:
            # The lease runs out and the delivery is tried again.
            log.warning("delivery failed unexpectedly", exc_info=True, extra=_ids(row))

    def _judge(self, row: Any, outcome: Outcome) -> _Sent:
        settings = self._settings
        if outcome.delivered:
            return _Sent(row, outcome, "delivered")
        if outcome.retry and _may_retry(row, row.attempts + 1, settings):
            delay = retry_delay(
                row.attempts + 1,
                base=settings.delivery_retry_base_seconds,
                cap=settings.delivery_retry_max_seconds,
            )
            return _Sent(row, outcome, "retried", delay)
        return _Sent(row, outcome, "given_up")


async def _record(conn: AsyncConnection, sent: list[_Sent]) -> None:
    await sub_repo.delivered(conn, delivery_ids=[s.row.id for s in sent if s.result == "delivered"])
    for s in sent:
        attempts, error = s.row.attempts + 1, s.outcome.error or ""
        if s.result == "retried":
            await sub_repo.retry_later(
                conn, delivery_id=s.row.id, attempts=attempts, delay_seconds=s.delay, error=error
            )
        elif s.result == "given_up":
            await sub_repo.give_up(conn, delivery_id=s.row.id, attempts=attempts, error=error)


def _recorded(sent: list[_Sent]) -> None:
    now = datetime.now(UTC)
    for s in sent:
        NOTIFICATIONS_DELIVERED.labels(s.result).inc()
        if s.result == "delivered":
            DELIVERY_SECONDS.observe((now - s.row.created_at).total_seconds())
            continue
        # Never the URI: its query string may carry the receiver's token.
        log.log(
            logging.WARNING if s.result == "given_up" else logging.INFO,
            "notification not delivered",
            extra={
                **_ids(s.row),
                "outcome": s.result,
                "attempts": s.row.attempts + 1,
                "error": s.outcome.error,
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
