"""lifecycle killed in the middle of a respawn: the health message is redelivered to the
restarted lifecycle, which finishes the respawn with exactly one new instance (no device
left PENDING_UPDATE for the reconciler, no second replacement)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import pytest

from shared.devstack import Suite
from tests.support.api import Api
from tests.support.bus import NotificationListener
from tests.support.db import fetch
from tests.support.monitoring import Listener

pytestmark = pytest.mark.e2e

STEP_SECONDS = 2  # each noop driver step: a respawn's delete, create and wait take 6 s


@pytest.fixture
def listener() -> Iterator[Listener]:
    opened = Listener()
    yield opened
    opened.close()


def lifecycle_row(suite: Suite, device_id: str) -> tuple[str, str | None]:
    query = "SELECT status, instance_id FROM devices WHERE id = $1"
    (row,) = fetch(suite.settings, "lifecycle", query, uuid.UUID(device_id))
    return row["status"], row["instance_id"]


def test_lifecycle_killed_mid_respawn_finishes_it_with_one_new_instance(
    suite: Suite, api: Api, engine: None, listener: Listener, notifications: NotificationListener
) -> None:
    ping = {"type": "ping", "interval": 1, "timeout": 0.5, "threshold": 2}
    template = api.create_template(
        attributes={
            "noop_delay_seconds": str(STEP_SECONDS),
            "monitoring": json.dumps({"monitors": [ping], "action": "respawn"}),
        }
    )
    kwargs = {"mgmt_address": f"127.0.0.1:{listener.port}"}
    device = api.create_device(template["id"], kwargs=kwargs)
    device = api.wait_for_status(device["id"], "ACTIVE", timeout=30)
    old = device["instance_id"]
    time.sleep(1)

    listener.close()  # the appliance stops answering: DEAD, then respawned
    deadline = time.monotonic() + 15
    while lifecycle_row(suite, device["id"])[0] != "PENDING_UPDATE":
        assert time.monotonic() < deadline, lifecycle_row(suite, device["id"])
        time.sleep(0.05)
    listener.open()  # the replacement will answer at the same address
    suite.kill("lifecycle")  # inside the respawn's first driver step
    time.sleep(STEP_SECONDS + 0.5)  # had it survived, that step would be over
    assert lifecycle_row(suite, device["id"]) == ("PENDING_UPDATE", old)
    suite.start("lifecycle")

    deadline = time.monotonic() + 40
    while lifecycle_row(suite, device["id"])[0] != "ACTIVE":
        assert time.monotonic() < deadline, lifecycle_row(suite, device["id"])
        time.sleep(0.2)
    _, new = lifecycle_row(suite, device["id"])
    assert new is not None and new != old
    respawns = fetch(
        suite.settings,
        "lifecycle",
        "SELECT replaced_instance_id FROM respawns WHERE device_id = $1",
        uuid.UUID(device["id"]),
    )
    assert [row["replaced_instance_id"] for row in respawns] == [old]  # one respawn
    notifications.drain(1.0)
    keys = [key for key, _ in notifications.for_resource(device["id"])]
    after_dead = keys[keys.index("device.dead") :]
    assert after_dead == ["device.dead", "device.pending_update", "device.active"], keys
    time.sleep(2)  # healthy at its address again: not DEAD, not respawned once more
    assert lifecycle_row(suite, device["id"]) == ("ACTIVE", new)
