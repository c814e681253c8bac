"""Settling one channel's deliveries with as few frames as the broker allows.

A batch (batching.py) finishes its messages together, after one commit. Acknowledged one by
one, each message costs a frame, a socket write and a wait for the write to drain. AMQP's
``multiple`` flag acknowledges with one frame every delivery of the channel up to a tag,
so it may only be used for a tag with no unsettled delivery before it: a message still
being handled (or being parked) must not be acknowledged by another's frame.

So the channel's unsettled delivery tags are kept in delivery order (ascending), and the
acknowledgements asked for are sent together a little later (``delay``): those that
complete the oldest run of settled tags as one ``multiple`` frame, the others (behind a
message still being handled) one frame each. The broker's prefetch window counts a
message until its acknowledgement arrives, so they go at once when ``enough`` of them
wait (half the window, say): the broker is never kept from sending more for long.

A rejection (requeue, or the dead-lettering fallback of parking) is sent at once. Frames
are queued one sender at a time (aiormq's write queue is bounded: two coroutines waiting to
put may be overtaken), and which tags an acknowledgement covers is decided by the sender
holding that turn: a rejected tag leaves the unsettled ones only once its frame is queued,
so a later ``multiple`` frame, queued after it, never covers it; nor one acknowledged alone
before.

Nothing here waits for a frame to reach the socket: an acknowledgement is never certain
anyway (the broker redelivers what it did not get, and the inbox skips it).
"""

from __future__ import annotations

import asyncio
import logging

import aiormq

log = logging.getLogger(__name__)


class Acknowledger:
    """Must be used from its event loop's thread only, for one channel's deliveries."""

    def __init__(
        self, channel: aiormq.abc.AbstractChannel, *, delay: float = 0.0, enough: int = 1
    ) -> None:
        self._channel = channel
        self._delay = delay
        self._enough = enough
        # Delivered, not yet settled, in delivery order: True once its ack is asked for.
        self._unsettled: dict[int, bool] = {}
        self._asked = 0  # of the unsettled
        self._later: asyncio.TimerHandle | None = None
        self._sending: asyncio.Task[None] | None = None
        # One coroutine at a time queues frames (see the module).
        self._turn = asyncio.Lock()

    @property
    def channel(self) -> aiormq.abc.AbstractChannel:
        return self._channel

    def delivered(self, tag: int) -> None:
        """Before anything else happens to the delivery: it is unsettled until settled here."""
        self._unsettled[tag] = False

    def ack(self, tag: int) -> None:
        """Acknowledge the delivery, with the others asked for until the acks are sent."""
        if self._unsettled.get(tag) is not False:
            return  # settled or asked for already (twice, the broker would close the channel)
        self._unsettled[tag] = True
        self._asked += 1
        if self._asked >= self._enough or self._delay <= 0:
            self._send_soon()
        elif self._later is None and self._sending is None:
            self._later = asyncio.get_running_loop().call_later(self._delay, self._send_soon)

    def _send_soon(self) -> None:
        """At the next turn of the loop: the acks asked for in this one go with them."""
        if self._later is not None:
            self._later.cancel()
            self._later = None
        if self._sending is None:
            self._sending = asyncio.get_running_loop().create_task(self._send_acks())

    async def reject(self, tag: int, *, requeue: bool) -> None:
        async with self._turn:
            try:
                await self._channel.basic_reject(tag, requeue=requeue, wait=False)
            finally:
                self._unsettled.pop(tag, None)

    async def flushed(self) -> None:
        """Once the acknowledgements asked for so far are queued (on stopping)."""
        if self._asked:
            self._send_soon()
        if self._sending is not None:
            await asyncio.shield(self._sending)
        async with self._turn:
            pass  # a sender that took its turn before has queued its frames

    def acks_due(self) -> tuple[int | None, list[int]]:
        """Takes the asked-for acknowledgements out of the unsettled ones: the last tag of
        the oldest run of them (None if the oldest unsettled delivery is still being
        handled), and the others, each behind an unsettled delivery."""
        last_of_run: int | None = None
        for tag, asked in self._unsettled.items():
            if not asked:
                break
            last_of_run = tag
        after_run = [
            tag
            for tag, asked in self._unsettled.items()
            if asked and (last_of_run is None or tag > last_of_run)
        ]
        settled = [tag for tag, asked in self._unsettled.items() if asked]
        for tag in settled:
            del self._unsettled[tag]
        self._asked = 0
        return last_of_run, after_run

    async def _send_acks(self) -> None:
        async with self._turn:
            # Asked for from now on: the next sender's (this one decides what it covers now).
            self._sending = None
            if self._later is not None:  # what it was set for is sent now
                self._later.cancel()
                self._later = None
            last_of_run, after_run = self.acks_due()
            try:
                if last_of_run is not None:
                    await self._channel.basic_ack(last_of_run, multiple=True, wait=False)
                for tag in after_run:
                    await self._channel.basic_ack(tag, wait=False)
            except Exception:
                # They came on a channel that has since closed: the broker redelivers them.
                log.warning("could not acknowledge messages; they are redelivered", exc_info=True)
