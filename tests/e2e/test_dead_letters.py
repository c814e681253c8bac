"""Poison messages are parked with the reason, and `servicevm dead-letters` lists, shows and
replays them (the CLI against the suite's broker, as an operator would run it)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kombu.connection import Connection
from kombu.entity import Exchange
from kombu.messaging import Producer

from shared.contracts.commands import CreateDevice
from shared.devstack import Suite
from shared.messaging.topology import COMMANDS, DEAD_LETTER, QUEUES
from tests.support.api import Api
from tests.support.bus import NotificationListener, envelope_for, publish_raw
from tests.support.cli import Cli

LIFECYCLE = QUEUES["lifecycle"]


@pytest.fixture(scope="module", autouse=True)
def _leave_no_dead_letters(suite: Suite) -> Iterator[None]:
    """What these tests park stays parked on purpose (that is the feature); once they are
    done, lifecycle's dead-letter queue is emptied so later tests find it as they expect."""
    yield
    with Connection(suite.settings.amqp_url) as connection:
        connection.default_channel.queue_purge(LIFECYCLE.dead_letter_name)


def _cli(suite: Suite) -> Cli:
    return Cli(url=suite.url("api"), amqp_url=suite.settings.amqp_url)


def _parked(cli: Cli, message_id: str, timeout: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        found = cli.json("dead-letters", "list", "--service", "lifecycle")
        match = [item for item in found if item["message_id"] == message_id]
        if match or time.monotonic() > deadline:
            assert match, f"{message_id} never reached the dead-letter queue: {found}"
            first: dict[str, Any] = match[0]
            return first
        time.sleep(0.3)


def _envelope(message_id: str, message_type: str, version: int) -> bytes:
    """A well-formed envelope of a type or version no service reads."""
    envelope = {
        "message_id": message_id,
        "type": message_type,
        "version": version,
        "correlation_id": "req-dead-letters",
        "tenant_id": "t",
        "subject_id": "s",
        "producer": "test",
        "payload": {},
    }
    return json.dumps(envelope).encode()


def test_poison_messages_are_parked_with_their_reason(suite: Suite) -> None:
    cli = _cli(suite)
    url = suite.settings.amqp_url
    not_json, not_envelope, unknown = (str(uuid.uuid4()) for _ in range(3))
    publish_raw(url, b"\x00not json", routing_key="lifecycle.create_device", message_id=not_json)
    publish_raw(url, b'{"not": "an envelope"}', routing_key="lifecycle.x", message_id=not_envelope)
    publish_raw(
        url,
        _envelope(unknown, "lifecycle.no_such_command", 1),
        routing_key="lifecycle.x",
        message_id=unknown,
    )
    too_new = str(uuid.uuid4())
    publish_raw(
        url,
        _envelope(too_new, "lifecycle.create_device", 99),
        routing_key="lifecycle.create_device",
        message_id=too_new,
    )

    assert "malformed message" in _parked(cli, not_json)["reason"]
    assert "malformed message" in _parked(cli, not_envelope)["reason"]
    parked = _parked(cli, unknown)
    assert parked["service"] == "lifecycle"
    assert parked["type"] == "lifecycle.no_such_command"
    assert "unknown message type 'lifecycle.no_such_command'" in parked["reason"]
    assert "version 99 not supported" in _parked(cli, too_new)["reason"]

    shown = cli.json("dead-letters", "show", not_json)
    assert shown["headers"]["x-servicevm-reason"].startswith("malformed message")
    assert shown["headers"]["x-servicevm-routing-key"] == "lifecycle.create_device"
    assert shown["headers"]["x-first-death-queue"] == LIFECYCLE.name
    assert shown["body"] == "\x00not json"
    # Looking does not take: still there.
    assert _parked(cli, not_json)

    # A replayed message that is still poison is parked again, not lost.
    assert cli.json("dead-letters", "replay", not_json)[0]["message_id"] == not_json
    assert "malformed message" in _parked(cli, not_json)["reason"]


def test_a_replayed_message_is_processed_and_leaves_the_queue(
    suite: Suite, api: Api, notifications: NotificationListener
) -> None:
    """As if lifecycle had parked a good command on a bug since fixed: replay runs it."""
    cli = _cli(suite)
    template = api.create_template()
    device_id = uuid.uuid4()
    command = CreateDevice(
        id=device_id,
        tenant_id=api.project,
        template_id=uuid.UUID(template["id"]),
        kwargs={},
        service_contexts=[],
    )
    envelope = envelope_for(command, api.project)
    message_id = str(envelope.message_id)
    with Connection(suite.settings.amqp_url) as connection:
        Producer(connection.channel(), exchange=Exchange(DEAD_LETTER, type="direct")).publish(
            json.dumps(envelope.model_dump(mode="json")).encode(),
            routing_key=LIFECYCLE.name,
            content_type="application/json",
            content_encoding="utf-8",
            delivery_mode=2,
            message_id=message_id,
            headers={
                "x-servicevm-reason": "handler failed: a bug since fixed",
                "x-servicevm-service": "lifecycle",
                "x-servicevm-exchange": COMMANDS,
                "x-servicevm-routing-key": envelope.type,
                "x-servicevm-parked-at": int(time.time()),
            },
        )
    assert _parked(cli, message_id)["reason"] == "handler failed: a bug since fixed"

    replayed = cli.json("dead-letters", "replay", message_id, "--service", "lifecycle")
    assert [item["message_id"] for item in replayed] == [message_id]
    notifications.wait_for(
        lambda _: "device.active" in [k for k, _ in notifications.for_resource(str(device_id))]
    )
    listed = cli.json("dead-letters", "list", "--service", "lifecycle")
    assert message_id not in [item["message_id"] for item in listed]


def test_replay_needs_an_id_or_all(suite: Suite) -> None:
    result = _cli(suite).run("dead-letters", "replay")
    assert result.returncode == 2
    assert "message id or --all" in result.stderr
