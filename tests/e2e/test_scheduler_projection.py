"""The scheduler keeps its own view of devices and their capacity, fed only by events."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from shared.devstack import Suite
from tests.support.api import Api
from tests.support.db import fetch


def _scheduler_row(suite: Suite, device_id: str) -> dict[str, object] | None:
    rows = fetch(
        suite.settings,
        "scheduler",
        "SELECT status, slot_capacity, slots_used, tenant_id FROM devices WHERE id = $1",
        uuid.UUID(device_id),
    )
    return dict(rows[0]) if rows else None


def _eventually(check: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_scheduler_tracks_device_status_and_capacity(suite: Suite, api: Api) -> None:
    template = api.create_template(attributes={"slot_capacity": "8"})
    device = api.create_device(template["id"])
    api.wait_for_status(device["id"], "ACTIVE")
    _eventually(lambda: (_scheduler_row(suite, device["id"]) or {}).get("status") == "ACTIVE")
    row = _scheduler_row(suite, device["id"])
    assert row == {
        "status": "ACTIVE",
        "slot_capacity": 8,
        "slots_used": 0,
        "tenant_id": api.project,
    }

    api.delete(f"/v1.0/devices/{device['id']}")
    api.wait_until_gone(device["id"])
    _eventually(lambda: _scheduler_row(suite, device["id"]) is None)
