"""The notifications mgmt makes of events: their fields, without servers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from servicevm_mgmt.domain.notifications import (
    device_deleted_notification,
    device_notification,
    template_notification,
)
from shared.contracts import events
from shared.contracts.envelope import Envelope
from shared.contracts.models import DeviceTemplateSnapshot
from tests.support.snapshots import device_snapshot

DEVICE = device_snapshot(
    instance_id="i-1", mgmt_address="10.0.0.9", status="PENDING_DELETE", revision=5
)


SENT_AT = datetime(2026, 11, 24, 22, 0, tzinfo=UTC)


def _envelope(event: events.Event) -> Envelope:
    envelope = Envelope.wrap(event, correlation_id="req-42", tenant_id="p", producer="lifecycle")
    return envelope.model_copy(update={"timestamp": SENT_AT})


def test_device_notification_fields() -> None:
    event = events.DeviceStatusChanged(device=DEVICE, previous_status="ACTIVE")
    notification = device_notification(
        _envelope(event), DEVICE, status=DEVICE.status, previous_status="ACTIVE"
    )
    assert notification.event_type == "device.pending_delete"
    assert notification.previous_status == "ACTIVE"
    assert notification.request_id == "req-42"
    assert notification.timestamp == SENT_AT
    assert notification.device_id == DEVICE.id
    assert notification.template_id == DEVICE.template_id
    assert notification.payload["mgmt_address"] == "10.0.0.9"


def test_deleted_notification() -> None:
    event = events.DeviceDeleted(device=DEVICE, previous_status="PENDING_DELETE")
    notification = device_deleted_notification(
        _envelope(event), DEVICE, previous_status="PENDING_DELETE"
    )
    assert notification.event_type == "device.deleted"
    assert notification.status == "DELETED"


def test_template_notification() -> None:
    template = DeviceTemplateSnapshot(
        id=uuid.uuid4(),
        tenant_id="p",
        name="fw",
        description="",
        device_driver="noop",
        mgmt_driver="noop",
        service_types=[],
        attributes={},
    )
    event = events.DeviceTemplateCreated(template=template)
    notification = template_notification(_envelope(event), template, action="created")
    assert notification.event_type == "device_template.created"
    assert notification.template_id == template.id
    assert notification.resource_id == template.id
    assert notification.payload["name"] == "fw"
