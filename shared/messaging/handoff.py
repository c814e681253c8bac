"""Handling a service's messages under resource leases, safe with N replicas of the service.

Wraps the dispatcher (dispatch.py) for a service whose handlers call slow drivers:

- **one operation per resource across replicas.** Before a message is handled its subject's
  lease is taken (leases.py); a message finding the lease held (by another replica, or by an
  operation this replica runs detached) waits until it is free, then goes through the
  dispatcher, whose inbox skips it if the holder handled this very message. Every
  transaction of the handler is fenced by the lease's token, so a holder whose lease was
  taken over cannot write any more (LeaseLost) and stops.
- **within the broker's consumer timeout.** A handler still running after
  ``handoff_after`` seconds is detached: the wrapper returns, the consumer acknowledges the
  message, and the handler goes on under its lease, renewed every third of its lifetime.
  The message stays durable meanwhile as the lease row's copy: if this replica dies, the
  lease expires and any replica's sweeper (or a redelivered message waiting for it) takes
  it over with a new token and runs the message again from what the database says was done.
  A detached handler failing transiently (Postgres away) is retried here with a backoff.
- **handing over on stop.** A stopping replica expires the leases of what it still runs,
  so another replica resumes them at once rather than after the lease's lifetime.

Per-resource order across replicas comes from the queue (single active consumer, see
topology.py): the one consuming replica takes messages in queue order and its sequencer
keeps a resource's messages in that order; a message redelivered to another replica finds
the lease and waits for it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from shared.contracts.envelope import Envelope
from shared.messaging.errors import is_transient
from shared.messaging.leases import CURRENT_LEASE, Lease, LeaseLost, LeaseStore

log = logging.getLogger(__name__)
Dispatch = Callable[[Envelope], Coroutine[Any, Any, None]]
FIRST_WAIT = 0.05
MAX_WAIT = 1.0
MAX_RETRY_DELAY = 5.0
SWEEP_BATCH = 20


def replica_name(service: str) -> str:
    """This process among the service's replicas: host, pid and a random part."""
    return f"{service}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class _Operation:
    """One message being handled under its subject's lease, attached or detached."""

    def __init__(self, lease: Lease, envelope: Envelope, *, detached: bool) -> None:
        self.lease = lease
        self.envelope = envelope
        self.detached = detached
        self.lost = False
        self.task: asyncio.Task[None] | None = None


class LeasedDispatch:
    def __init__(
        self,
        dispatch: Dispatch,
        leases: LeaseStore,
        *,
        handoff_after: float,
        lease_seconds: float,
        only: frozenset[str] | None = None,
        unleased: Callable[[Envelope], bool] | None = None,
    ) -> None:
        self._dispatch = dispatch
        # The message types handled under a lease (None: all), but for the messages
        # ``unleased`` names (a handler with nothing to do outside the database for them);
        # the others, whose handlers call nothing outside the database, only wait for this
        # replica's running operation on their subject, as the consumer's sequencer would
        # have them wait.
        self._only = only
        self._unleased = unleased
        self._leases = leases
        self._handoff_after = handoff_after
        self._renew_every = lease_seconds / 3
        # Operations this replica runs, by subject; each ends by releasing its lease.
        self._running: dict[str, _Operation] = {}

    async def __call__(self, envelope: Envelope) -> None:
        if not self._under_lease(envelope):
            await self._after_local(envelope.subject_id)
            await self._dispatch(envelope)
            return
        operation = self._start(await self._acquire(envelope), envelope, detached=False)
        assert operation.task is not None
        finished, _ = await asyncio.wait({operation.task}, timeout=self._handoff_after)
        if operation.task in finished:
            if not operation.lost:
                operation.task.result()  # the consumer settles by its outcome, as before
            return  # lost: the new holder has the message (the lease row's copy)
        # Nothing runs between the wait's return and here: the operation learns it is
        # detached before it can fail, and handles its own failures from now on.
        operation.detached = True
        log.info(
            "long operation handed off; message settled, its lease keeps it",
            extra={"subject_id": envelope.subject_id, "message_id": str(envelope.message_id)},
        )

    def _under_lease(self, envelope: Envelope) -> bool:
        if self._only is not None and envelope.type not in self._only:
            return False
        return self._unleased is None or not self._unleased(envelope)

    async def sweep(self, interval: float) -> None:
        """Background job: resume the operations of replicas that stopped renewing."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self._resume_expired()
            except Exception:
                log.warning("lease sweep failed; trying again later", exc_info=True)

    async def stop(self) -> None:
        """Stop the running operations and expire their leases: another replica resumes."""
        tasks = [op.task for op in self._running.values() if op.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def running(self) -> int:
        return len(self._running)

    def _start(self, lease: Lease, envelope: Envelope, *, detached: bool) -> _Operation:
        operation = _Operation(lease, envelope, detached=detached)
        operation.task = asyncio.create_task(self._run(operation), name=f"op-{lease.subject}")
        self._running[lease.subject] = operation
        operation.task.add_done_callback(lambda _done: self._forget(operation))
        return operation

    async def _after_local(self, subject: str) -> None:
        while (local := self._running.get(subject)) is not None and local.task is not None:
            await asyncio.wait({local.task})  # its outcome is its own message's business

    async def _acquire(self, envelope: Envelope) -> Lease:
        wait = FIRST_WAIT
        subject = envelope.subject_id
        while True:
            await self._after_local(subject)
            lease = await self._leases.try_acquire(envelope)
            if lease is not None:
                return lease
            holder = await self._leases.holder(subject)
            if holder is not None and holder.expired:
                # Its holder died: resume its message here (unless another replica is).
                await self._resume_expired(subject)
            await asyncio.sleep(wait)
            wait = min(wait * 2, MAX_WAIT)

    async def _resume_expired(self, subject: str | None = None) -> None:
        for lease, envelope in await self._leases.take_over_expired(
            limit=SWEEP_BATCH, subject=subject
        ):
            log.warning(
                "resuming an operation whose replica stopped",
                extra={"subject_id": lease.subject, "message_id": str(envelope.message_id)},
            )
            self._start(lease, envelope, detached=True)

    async def _run(self, operation: _Operation) -> None:
        lease = operation.lease
        renewer = asyncio.create_task(self._renew(operation))
        CURRENT_LEASE.set(lease)  # this task's context only: fences its transactions
        try:
            await self._handle(operation)
        except LeaseLost:
            operation.lost = True
        except asyncio.CancelledError:
            if not operation.lost:  # stopping: hand the operation to another replica now
                await _quietly(self._leases.expire(lease))
                raise
        except BaseException:
            await _quietly(self._leases.release(lease))
            raise
        else:
            await _quietly(self._leases.release(lease))
        finally:
            renewer.cancel()
        if operation.lost:
            log.warning(
                "lease taken over by another replica; leaving the operation to it",
                extra={"subject_id": lease.subject},
            )

    async def _handle(self, operation: _Operation) -> None:
        delay = FIRST_WAIT
        while True:
            try:
                await self._dispatch(operation.envelope)
                return
            except LeaseLost:
                raise
            except Exception as exc:
                if not operation.detached:
                    raise  # the consumer requeues or parks it
                if not is_transient(exc):
                    log.error(
                        "detached operation failed; its resource's deadline will end it",
                        exc_info=exc,
                        extra={"subject_id": operation.lease.subject},
                    )
                    return
                log.warning(
                    "detached operation failed transiently; retrying",
                    extra={"subject_id": operation.lease.subject, "retry_in": delay},
                    exc_info=exc,
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_DELAY)

    async def _renew(self, operation: _Operation) -> None:
        while True:
            await asyncio.sleep(self._renew_every)
            try:
                held = await self._leases.renew(operation.lease)
            except Exception as exc:
                log.warning("could not renew a lease; trying again", extra={"error": repr(exc)})
                continue
            if not held:
                log.warning(
                    "lease lost; stopping the operation",
                    extra={"subject_id": operation.lease.subject},
                )
                operation.lost = True
                if operation.task is not None:
                    operation.task.cancel()
                return

    def _forget(self, operation: _Operation) -> None:
        if self._running.get(operation.lease.subject) is operation:
            del self._running[operation.lease.subject]


async def _quietly(work: Coroutine[Any, Any, None]) -> None:
    """A lease statement whose failure only delays another replica (the lease expires)."""
    try:
        await work
    except Exception as exc:
        log.warning("lease statement failed; the lease will expire", extra={"error": repr(exc)})
