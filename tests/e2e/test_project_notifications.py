"""Per-project AMQP notifications: a broker user confined to its project (topic permissions
on servicevm.notifications.projects) receives its project's notifications and cannot bind
to another project's keys, nor to the admins' exchange."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import amqp
import pytest
from kombu.connection import Connection

from shared.contracts.notifications import project_routing_key
from shared.devstack import Suite
from shared.messaging.topology import NOTIFICATIONS, PROJECT_NOTIFICATIONS
from tests.support.api import Api
from tests.support.rabbitmq import BrokerUser, project_subscriber


def _refused(connection: Connection, queue: str, exchange: str, key: str) -> None:
    channel = connection.channel()
    with pytest.raises(amqp.exceptions.AccessRefused):
        channel.queue_bind(queue, exchange, routing_key=key)


def _drain(channel: Any, queue: str, until: float, want: str) -> list[tuple[str, dict[str, Any]]]:
    got: list[tuple[str, dict[str, Any]]] = []
    while time.monotonic() < until:
        message = channel.basic_get(queue, no_ack=True)
        if message is None:
            time.sleep(0.1)
            continue
        got.append((message.delivery_info["routing_key"], json.loads(message.body)))
        if got[-1][1]["resource_id"] == want and got[-1][1]["event_type"] == "device.active":
            break
    return got


def test_a_project_user_reads_its_own_notifications_only(suite: Suite, api: Api) -> None:
    other = api.as_project(f"other-{uuid.uuid4().hex[:8]}")
    amqp_url = suite.settings.amqp_url
    with (
        project_subscriber(amqp_url, api.project) as user,
        Connection(user.url(amqp_url)) as connection,
    ):
        queue = _own_queue(connection, user)
        _refused(connection, queue, PROJECT_NOTIFICATIONS, f"{other.project}.#")
        _refused(connection, queue, PROJECT_NOTIFICATIONS, "#")
        _refused(connection, queue, NOTIFICATIONS, "#")
        channel = connection.channel()
        channel.queue_bind(queue, PROJECT_NOTIFICATIONS, routing_key=f"{api.project}.device.*")
        foreign = other.create_device(other.create_template()["id"])
        own = api.create_device(api.create_template()["id"])
        other.wait_for_status(foreign["id"], "ACTIVE")
        got = _drain(channel, queue, time.monotonic() + 20, want=own["id"])
    other.close()
    assert ("device.active", own["id"]) in [(b["event_type"], b["resource_id"]) for _, b in got]
    assert {body["tenant_id"] for _, body in got} == {api.project}
    for key, body in got:
        assert key == project_routing_key(api.project, body["event_type"])


def _own_queue(connection: Connection, user: BrokerUser) -> str:
    name = f"{user.queue_prefix}{uuid.uuid4().hex[:8]}"
    connection.channel().queue_declare(name, exclusive=True, auto_delete=True)
    return name
