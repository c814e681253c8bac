"""The acknowledgements of one turn of the loop go out together: one ``multiple`` frame for
the oldest run of settled deliveries, never covering one still being handled or rejected."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import aiormq
import pytest

from shared.messaging.acknowledging import Acknowledger


class _Channel:
    """Records the frames queued, in order; a rejection may be held back (a full queue)."""

    def __init__(self) -> None:
        self.frames: list[tuple[Any, ...]] = []
        self.hold_rejects: asyncio.Event | None = None
        self.closed = False
        self.acked = asyncio.Event()

    async def basic_ack(self, tag: int, multiple: bool = False, wait: bool = True) -> None:
        if self.closed:
            raise aiormq.exceptions.ChannelInvalidStateError("closed")
        self.frames.append(("ack", tag, multiple))
        self.acked.set()

    async def basic_reject(self, tag: int, *, requeue: bool = True, wait: bool = True) -> None:
        if self.hold_rejects is not None:
            await self.hold_rejects.wait()
        self.frames.append(("reject", tag, requeue))


def _acknowledger(channel: _Channel, tags: range) -> Acknowledger:
    acks = Acknowledger(cast(aiormq.abc.AbstractChannel, channel))
    for tag in tags:
        acks.delivered(tag)
    return acks


async def test_a_batch_of_the_oldest_deliveries_is_acknowledged_with_one_frame() -> None:
    channel = _Channel()
    acks = _acknowledger(channel, range(1, 5))

    for tag in (2, 1, 3):
        acks.ack(tag)
    await acks.flushed()

    assert channel.frames == [("ack", 3, True)]  # 4 is still being handled


async def test_a_delivery_still_being_handled_is_never_covered() -> None:
    channel = _Channel()
    acks = _acknowledger(channel, range(1, 5))

    for tag in (2, 4):
        acks.ack(tag)
    await acks.flushed()
    assert channel.frames == [("ack", 2, False), ("ack", 4, False)]

    acks.ack(1)
    await acks.flushed()
    assert channel.frames[2:] == [("ack", 1, True)]  # 3 is still being handled


async def test_acknowledgements_asked_for_later_go_in_a_frame_of_their_own() -> None:
    channel = _Channel()
    acks = _acknowledger(channel, range(1, 4))

    acks.ack(1)
    await acks.flushed()
    acks.ack(2)
    acks.ack(2)  # twice: one frame (a second would close the channel)
    await acks.flushed()

    assert channel.frames == [("ack", 1, True), ("ack", 2, True)]


async def test_a_rejection_is_queued_before_an_acknowledgement_that_would_cover_it() -> None:
    channel = _Channel()
    channel.hold_rejects = asyncio.Event()
    acks = _acknowledger(channel, range(1, 4))

    rejecting = asyncio.create_task(acks.reject(2, requeue=True))
    await asyncio.sleep(0)  # the rejection waits for room in the write queue
    acks.ack(1)
    acks.ack(3)
    await asyncio.sleep(0.01)
    assert channel.frames == []  # the acknowledgements wait for the rejection's turn

    channel.hold_rejects.set()
    await rejecting
    await acks.flushed()
    assert channel.frames == [("reject", 2, True), ("ack", 3, True)]


async def test_a_rejection_being_queued_keeps_its_place_among_the_unsettled() -> None:
    channel = _Channel()
    channel.hold_rejects = asyncio.Event()
    acks = _acknowledger(channel, range(1, 4))
    rejecting = asyncio.create_task(acks.reject(2, requeue=False))
    await asyncio.sleep(0)
    acks.ack(1)
    acks.ack(3)

    assert acks.acks_due() == (1, [3])  # decided before the rejection is queued: 2 not covered
    channel.hold_rejects.set()
    await rejecting


async def test_a_closed_channel_loses_the_acknowledgements_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    channel = _Channel()
    channel.closed = True
    acks = _acknowledger(channel, range(1, 3))

    acks.ack(1)
    await acks.flushed()

    assert channel.frames == []
    assert "redelivered" in caplog.text


async def test_acknowledgements_wait_for_others_to_share_their_frame() -> None:
    channel = _Channel()
    acks = Acknowledger(cast(aiormq.abc.AbstractChannel, channel), delay=60, enough=3)
    for tag in range(1, 5):
        acks.delivered(tag)

    acks.ack(1)
    await asyncio.sleep(0)
    acks.ack(2)
    for _ in range(5):
        await asyncio.sleep(0)
    assert channel.frames == []  # waiting for the delay, or for a third

    await acks.flushed()
    assert channel.frames == [("ack", 2, True)]


async def test_acknowledgements_go_after_the_delay() -> None:
    channel = _Channel()
    acks = Acknowledger(cast(aiormq.abc.AbstractChannel, channel), delay=0.01, enough=3)
    acks.delivered(1)

    acks.ack(1)
    await asyncio.wait_for(channel.acked.wait(), 5)

    assert channel.frames == [("ack", 1, True)]


async def test_enough_waiting_acknowledgements_go_at_once() -> None:
    channel = _Channel()
    acks = Acknowledger(cast(aiormq.abc.AbstractChannel, channel), delay=60, enough=2)
    for tag in range(1, 5):
        acks.delivered(tag)

    acks.ack(1)
    acks.ack(2)
    await asyncio.sleep(0)
    await asyncio.sleep(0)

    assert channel.frames == [("ack", 2, True)]  # not after a minute: the window is freed
    acks.ack(3)
    await acks.flushed()  # on stopping, whatever waits goes
    assert channel.frames[1:] == [("ack", 3, True)]
