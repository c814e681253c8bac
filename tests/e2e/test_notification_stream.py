"""The notification stream (servicevm.notifications.stream): a subscriber that connects after
N operations replays every notification they made, by timestamp, in order per resource, as
the README's aio-pika subscriber does; `servicevm notifications replay` does the same; a
project's broker user cannot read the stream, a stream reader can."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import aio_pika
import aiormq
import pytest

from shared.devstack import Suite
from shared.messaging.topology import NOTIFICATION_STREAM
from tests.support.api import Api
from tests.support.bus import NotificationListener
from tests.support.cli import Cli
from tests.support.rabbitmq import project_subscriber, stream_reader

DEVICES = 40
DELETED = 9
OPERATIONS = 1 + DEVICES + DELETED  # a template, devices, some deleted again: 50
Body = dict[str, Any]


async def replay_since(
    amqp_url: str, since: datetime, *, tenant: str, idle: float = 3.0
) -> list[Body]:
    """A subscriber coming back: the README's example, collecting one project's instead of
    printing."""
    connection = await aio_pika.connect(amqp_url)
    bodies: list[Body] = []
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=200)  # streams need a prefetch
        stream = await channel.get_queue(NOTIFICATION_STREAM, ensure=True)
        try:
            async with stream.iterator(
                arguments={"x-stream-offset": since}, timeout=idle
            ) as messages:
                async for message in messages:
                    await message.ack()
                    body = json.loads(message.body)
                    if body.get("tenant_id") != tenant:
                        continue
                    # The broker starts at the chunk holding `since`: skip what came before.
                    if datetime.fromisoformat(body["timestamp"]) >= since:
                        bodies.append(body)
        except TimeoutError:
            pass  # nothing more for `idle` seconds: caught up
    return bodies


def _operate(api: Api) -> list[str]:
    """OPERATIONS operations; returns the ids of the devices deleted."""
    template = api.create_template()
    devices = [api.create_device(template["id"]) for _ in range(DEVICES)]
    for device in devices:
        api.wait_for_status(device["id"], "ACTIVE")
    deleted = [device["id"] for device in devices[:DELETED]]
    for device_id in deleted:
        assert api.delete(f"/v1.0/devices/{device_id}").status_code == 204
    for device_id in deleted:
        api.wait_until_gone(device_id)
    return deleted


def _live(notifications: NotificationListener, project: str, deleted: list[str]) -> list[Body]:
    """What a subscriber connected all along received: the ground truth."""

    def done(received: list[tuple[str, Body]]) -> bool:
        ours = [body for _, body in received if body["tenant_id"] == project]
        active = sum(body["event_type"] == "device.active" for body in ours)
        gone = {body["resource_id"] for body in ours if body["event_type"] == "device.deleted"}
        return active >= DEVICES and gone >= set(deleted)

    notifications.wait_for(done, timeout=60)
    notifications.drain(1.0)  # and whatever else these operations made
    return [body for _, body in notifications.received if body["tenant_id"] == project]


def _per_resource(bodies: list[Body]) -> dict[str, list[str]]:
    ids: dict[str, list[str]] = defaultdict(list)
    for body in bodies:
        ids[body["resource_id"]].append(body["id"])
    return dict(ids)


def test_a_late_subscriber_replays_every_notification_by_timestamp(
    suite: Suite, api: Api, notifications: NotificationListener
) -> None:
    since = datetime.now(UTC)
    deleted = _operate(api)
    live = _live(notifications, api.project, deleted)

    replayed = asyncio.run(replay_since(suite.settings.amqp_url, since, tenant=api.project))

    assert len(replayed) == len(live) >= 1 + 2 * DEVICES + 2 * DELETED
    assert _per_resource(replayed) == _per_resource(live)  # all of them, in order per resource
    for device_id in deleted:
        events = [b["event_type"] for b in replayed if b["resource_id"] == device_id]
        assert events == [
            "device.pending_create",
            "device.active",
            "device.pending_delete",
            "device.deleted",
        ]


def test_the_cli_replays_from_a_moment_and_from_an_offset(suite: Suite, api: Api) -> None:
    cli = Cli(url=suite.url("api"), amqp_url=suite.settings.amqp_url, project=api.project)
    since = datetime.now(UTC)
    template = api.create_template()
    device = api.create_device(template["id"])
    api.wait_for_status(device["id"], "ACTIVE")

    out = cli.ok(
        "notifications", "replay", "--since", since.isoformat(), "--tenant", api.project,
        "--idle", "2", "-f", "json",
    )  # fmt: skip
    events = [json.loads(line)["event_type"] for line in out.splitlines()]
    assert events == ["device_template.created", "device.pending_create", "device.active"]

    # --count stops with prefetched messages unacknowledged: a clean exit all the same.
    table = cli.run(
        "notifications", "replay", "--offset", "0", "--resource", device["id"], "--count", "2"
    )
    assert (table.returncode, table.stderr) == (0, ""), table.stderr
    offsets = [int(line.split()[0]) for line in table.stdout.splitlines()]
    assert len(offsets) == 2 and offsets[0] < offsets[1]
    # From the offset of the second one on: only it.
    again = cli.ok(
        "notifications", "replay", "--offset", str(offsets[1]), "--resource", device["id"]
    )
    assert [int(line.split()[0]) for line in again.splitlines()] == offsets[1:]

    refused = cli.run("notifications", "replay", "--since", "2026-11-30", "--offset", "3")
    assert refused.returncode == 2 and "either --since or --offset" in refused.stderr


def test_only_a_stream_reader_may_read_the_stream(suite: Suite, api: Api) -> None:
    amqp_url = suite.settings.amqp_url
    since = datetime.now(UTC)
    template = api.create_template()
    with (
        project_subscriber(amqp_url, api.project) as project_user,
        pytest.raises(aiormq.exceptions.ChannelAccessRefused),
    ):
        asyncio.run(replay_since(project_user.url(amqp_url), since, tenant=api.project, idle=1))
    with stream_reader(amqp_url) as reader:
        replayed = asyncio.run(
            replay_since(reader.url(amqp_url), since, tenant=api.project, idle=2)
        )
    assert template["id"] in {body["resource_id"] for body in replayed}
