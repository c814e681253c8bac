"""Messages that arrive before the resource they depend on: handled again, a bounded while.

One consumer keeps the order of one producer's messages about related resources (its
sequencer and ``depends_on``: a device after its template). Nothing keeps that order across
replicas that each consume part of a queue, between two producers (mgmt's ``device.spawned``
from lifecycle and the scheduler's placement on that device), or after a transient failure
requeued the earlier message. A handler that finds missing a resource another message
creates calls ``wait_for(ctx.envelope, what)``, which raises ``DependencyNotYetKnown``;
``WaitForDependencies`` then handles the message again after a short, growing delay.
Meanwhile the message stays unacknowledged: a later message about its subject still waits
behind it (the sequencer), and a crash redelivers it. It is neither parked nor requeued (the
broker's delivery count is untouched) and the dispatcher counts it as ``not_yet``, not as a
failure.

The wait is bounded: after ``wait_seconds`` a last attempt runs in which ``wait_for``
returns instead of raising, so the handler fails as it always did, with its reason (a
device whose template never came is ERROR: "device template ... not found"). A handler
that raises even then fails with ``DependencyNeverKnown`` and is parked with that reason.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from shared.contracts.envelope import Envelope
from shared.messaging.consumer import Dispatch
from shared.messaging.errors import DependencyNotYetKnown

log = logging.getLogger(__name__)

# Long enough for the other message's replica to handle it under load (or for a requeued
# one to come round again); short next to the broker's consumer timeout and the hand-off.
WAIT_SECONDS = 30.0
FIRST_DELAY = 0.05
MAX_DELAY = 1.0

# Messages on their last attempt, in this process: their handlers go without what is missing.
_LAST_ATTEMPT: set[uuid.UUID] = set()


class DependencyNeverKnown(Exception):
    """What the message depends on did not come within the wait: a failure, parked."""


def wait_for(envelope: Envelope, what: str) -> None:
    """Called by a handler that found ``what`` missing: raise DependencyNotYetKnown, unless
    the message's wait is over; the handler then goes on to fail for want of it."""
    if envelope.message_id not in _LAST_ATTEMPT:
        raise DependencyNotYetKnown(what)
    log.warning(
        "gave up waiting for a resource another message creates",
        extra={"what": what, "message_type": envelope.type, "subject_id": envelope.subject_id},
    )


class WaitForDependencies:
    """Wraps a service's dispatch (below the leases: a leased message keeps its lease
    while it waits, so its subject sees one operation)."""

    def __init__(
        self,
        dispatch: Dispatch,
        *,
        wait_seconds: float = WAIT_SECONDS,
        first_delay: float = FIRST_DELAY,
        max_delay: float = MAX_DELAY,
    ) -> None:
        self._dispatch = dispatch
        self._wait_seconds = wait_seconds
        self._first_delay = first_delay
        self._max_delay = max_delay

    async def __call__(self, envelope: Envelope) -> None:
        if await self._until_known_or_late(envelope):
            return
        _LAST_ATTEMPT.add(envelope.message_id)
        try:
            await self._dispatch(envelope)
        except DependencyNotYetKnown as exc:
            raise DependencyNeverKnown(
                f"{exc.what}: still not known after {self._wait_seconds:.0f}s"
            ) from exc
        finally:
            _LAST_ATTEMPT.discard(envelope.message_id)

    async def _until_known_or_late(self, envelope: Envelope) -> bool:
        """Handle the message until nothing it needs is missing (True) or the wait is over."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait_seconds
        delay = self._first_delay
        while True:
            try:
                await self._dispatch(envelope)
                return True
            except DependencyNotYetKnown as exc:
                missing = exc.what
            if loop.time() + delay > deadline:
                return False
            log.info(
                "message waits for a resource another message creates",
                extra={
                    "what": missing,
                    "message_type": envelope.type,
                    "subject_id": envelope.subject_id,
                    "retry_in": delay,
                },
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._max_delay)
