"""The relay's batched publish: one write for a batch, a confirm per row, and nothing left
behind in the channel's bookkeeping when the write never happened."""

from __future__ import annotations

import asyncio
import datetime
import uuid
from typing import Any, cast

import aiormq
import pamqp.frame
import pytest
from pamqp import commands
from pamqp.body import ContentBody
from pamqp.header import ContentHeader

from shared.messaging.relay import OutboxRelay
from shared.messaging.topology import COMMANDS

FRAME_MAX = 4096


class FakeChannel:
    """What the relay uses of an aiormq channel, with a write queue a test can read."""

    def __init__(self, queue: asyncio.Queue[Any]) -> None:
        self.lock = asyncio.Lock()
        self.delivery_tag = 7  # some publishes already went on this channel
        self.confirmations: dict[int, Any] = {}
        self.message_id_delivery_tag: dict[str, int] = {}
        self.write_queue = queue
        self.number = 1

    def create_future(self) -> asyncio.Future[Any]:
        return asyncio.get_running_loop().create_future()

    def _split_body(self, body: bytes) -> list[ContentBody]:
        size = FRAME_MAX - 8
        return [ContentBody(body[i : i + size]) for i in range(0, len(body), size)]


class RefusingQueue(asyncio.Queue[Any]):
    async def put(self, item: Any) -> None:
        raise ConnectionError("the connection is gone")


def _row(n: int, body: bytes = b"{}") -> dict[str, Any]:
    return {
        "id": n,
        "message_id": uuid.uuid4(),
        "exchange": COMMANDS,
        "routing_key": f"test.{n}",
        "message_type": "test",
        "correlation_id": "req",
        "body": body,
        "created_at": datetime.datetime.now(datetime.UTC),
    }


def _relay() -> OutboxRelay:
    return OutboxRelay(service="mgmt", engine=cast(Any, None), outbox=cast(Any, None), amqp_url="")


def _unmarshal(payload: bytes) -> list[Any]:
    frames = []
    while payload:
        consumed, _channel, frame = pamqp.frame.unmarshal(payload)
        frames.append(frame)
        payload = payload[consumed:]
    return frames


async def test_a_batch_is_one_write_in_row_order_with_a_confirm_per_row(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("shared.messaging.relay.OutboxSql.of", lambda _outbox: None)
    queue: asyncio.Queue[Any] = asyncio.Queue()
    channel = FakeChannel(queue)
    rows = [_row(1), _row(2, b"x" * (3 * FRAME_MAX)), _row(3)]

    confirms = await _relay()._write_batch(cast(aiormq.Channel, channel), cast(Any, rows))

    assert queue.qsize() == 1
    frames = _unmarshal(queue.get_nowait().payload)
    publishes = [f.routing_key for f in frames if isinstance(f, commands.Basic.Publish)]
    assert publishes == ["test.1", "test.2", "test.3"]
    headers = [f for f in frames if isinstance(f, ContentHeader)]
    assert [h.properties.message_id for h in headers] == [str(r["message_id"]) for r in rows]
    assert sum(len(f.value) for f in frames if isinstance(f, ContentBody)) == 2 + 3 * FRAME_MAX + 2
    assert list(channel.confirmations) == [8, 9, 10]
    assert [channel.confirmations[tag] for tag in (8, 9, 10)] == confirms
    assert channel.message_id_delivery_tag == {
        str(r["message_id"]): 8 + i for i, r in enumerate(rows)
    }


async def test_a_batch_that_was_never_written_leaves_no_tag_confirm_or_message_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("shared.messaging.relay.OutboxSql.of", lambda _outbox: None)
    channel = FakeChannel(RefusingQueue())

    with pytest.raises(ConnectionError):
        await _relay()._write_batch(cast(aiormq.Channel, channel), cast(Any, [_row(1), _row(2)]))

    # The next publish on this channel takes tag 8, as the broker expects.
    assert channel.delivery_tag == 7
    assert channel.confirmations == {}
    assert channel.message_id_delivery_tag == {}
