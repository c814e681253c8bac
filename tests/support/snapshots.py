"""Snapshots as the services publish them, for tests that build one: every field a plain
default (an ACTIVE device of project ``p`` at revision 1) unless the test says otherwise."""

from __future__ import annotations

import uuid
from typing import Any

from shared.contracts.models import DeviceSnapshot


def device_snapshot(**fields: Any) -> DeviceSnapshot:
    defaults: dict[str, Any] = {
        "id": uuid.uuid4(),
        "tenant_id": "p",
        "template_id": uuid.uuid4(),
        "instance_id": None,
        "mgmt_address": None,
        "kwargs": {},
        "service_contexts": [],
        "status": "ACTIVE",
        "error_reason": None,
        "revision": 1,
    }
    return DeviceSnapshot(**(defaults | fields))
