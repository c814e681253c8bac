"""A crash, a restart or a duplicate message loses nothing and leaves nothing stuck."""

from __future__ import annotations

import time
import uuid

from shared.contracts.commands import CreateDevice
from shared.devstack import Suite
from tests.support.api import Api
from tests.support.bus import (
    NotificationListener,
    envelope_for,
    publish_command,
    publish_raw,
    queue_depth,
)
from tests.support.db import fetch


def _lifecycle_status(suite: Suite, device_id: str) -> str | None:
    rows = fetch(
        suite.settings,
        "lifecycle",
        "SELECT status FROM devices WHERE id = $1",
        uuid.UUID(device_id),
    )
    return rows[0]["status"] if rows else None


def test_lifecycle_killed_mid_create_resumes_after_restart(
    suite: Suite, api: Api, notifications: NotificationListener
) -> None:
    slow = api.create_template(attributes={"noop_delay_seconds": "2"})
    device = api.create_device(slow["id"])
    # Wait until lifecycle is inside the driver call: the record exists, the device is not ready.
    deadline = time.monotonic() + 10
    while (
        _lifecycle_status(suite, device["id"]) != "PENDING_CREATE" and time.monotonic() < deadline
    ):
        time.sleep(0.05)
    suite.kill("lifecycle")
    time.sleep(2.5)  # longer than the driver call: had it survived, it would be done
    assert api.device(device["id"])["status"] == "PENDING_CREATE"  # type: ignore[index]
    suite.start("lifecycle")

    active = api.wait_for_status(device["id"], "ACTIVE", timeout=30)
    assert active["instance_id"]
    notifications.wait_for(lambda _: len(notifications.for_resource(device["id"])) >= 2)
    notifications.drain(0.5)
    assert [k for k, _ in notifications.for_resource(device["id"])] == [
        "device.pending_create",
        "device.active",
    ]


def test_mgmt_down_holds_devices_until_it_returns(suite: Suite, api: Api) -> None:
    # A device mgmt must configure (noop told to fail at apply: a plain noop device needs no
    # mgmt and becomes ACTIVE without it); mgmt's answer, once back, decides its status.
    template = api.create_template(attributes={"noop_mgmt_fail": "apply"})
    suite.stop("mgmt")
    try:
        device = api.create_device(template["id"])
        time.sleep(1.0)
        assert api.device(device["id"])["status"] == "PENDING_CREATE"  # type: ignore[index]
    finally:
        suite.start("mgmt")
    api.wait_for_status(device["id"], "ERROR")


def test_command_delivered_twice_creates_one_device(
    suite: Suite, api: Api, notifications: NotificationListener
) -> None:
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
    publish_command(suite.settings.amqp_url, envelope)
    publish_command(suite.settings.amqp_url, envelope)  # the same message, redelivered
    publish_command(
        suite.settings.amqp_url, envelope_for(command, api.project)
    )  # same order, new id

    notifications.wait_for(
        lambda _: "device.active" in [k for k, _ in notifications.for_resource(str(device_id))]
    )
    notifications.drain(1.0)
    assert [k for k, _ in notifications.for_resource(str(device_id))] == [
        "device.pending_create",
        "device.active",
    ]
    rows = fetch(
        suite.settings, "lifecycle", "SELECT count(*) AS n FROM devices WHERE id = $1", device_id
    )
    assert rows[0]["n"] == 1
    processed = fetch(
        suite.settings,
        "lifecycle",
        "SELECT count(*) AS n FROM processed_messages WHERE message_id = $1",
        envelope.message_id,
    )
    assert processed[0]["n"] == 1


def test_malformed_message_is_parked_not_retried_forever(suite: Suite, api: Api) -> None:
    dead_letters = "servicevm.lifecycle.dead-letter"
    before = queue_depth(suite.settings.amqp_url, dead_letters)
    publish_raw(
        suite.settings.amqp_url, b'{"not": "an envelope"}', routing_key="lifecycle.create_device"
    )
    deadline = time.monotonic() + 10
    while (
        queue_depth(suite.settings.amqp_url, dead_letters) == before and time.monotonic() < deadline
    ):
        time.sleep(0.1)
    assert queue_depth(suite.settings.amqp_url, dead_letters) == before + 1
    # The worker is still alive and working.
    template = api.create_template()
    api.wait_for_status(api.create_device(template["id"])["id"], "ACTIVE")


def test_an_operation_stuck_past_its_deadline_ends_in_error(suite: Suite, api: Api) -> None:
    # Each driver step takes 5 s: the operation is still running when it is given up.
    slow = api.create_template(attributes={"noop_delay_seconds": "5"})
    device = api.create_device(slow["id"])
    deadline = time.monotonic() + 10
    while (
        _lifecycle_status(suite, device["id"]) != "PENDING_CREATE" and time.monotonic() < deadline
    ):
        time.sleep(0.05)
    # As if the operation had hung for two hours (its command lost, say).
    fetch(
        suite.settings,
        "lifecycle",
        "UPDATE devices SET updated_at = now() - interval '2 hours' WHERE id = $1",
        uuid.UUID(device["id"]),
    )
    failed = api.wait_for_status(device["id"], "ERROR", timeout=4)
    assert "PENDING_CREATE did not finish within 3600s" in failed["error_reason"]
    # The late driver call does not bring it back: the give-up stands.
    time.sleep(11)
    assert api.device(device["id"])["status"] == "ERROR"  # type: ignore[index]
    assert _lifecycle_status(suite, device["id"]) == "ERROR"
    assert api.delete(f"/v1.0/devices/{device['id']}").status_code == 204
    api.wait_until_gone(device["id"], timeout=40)
