"""The AsyncAPI document built from the notification catalogue: every event type is a
message of every channel, each with its model's JSON Schema, and that schema accepts the
bodies mgmt makes and refuses anything else (a missing schema version, an unknown field)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel

from servicevm_api.asyncapi import build_document
from servicevm_api.schemas.asyncapi import AsyncApiDocument
from servicevm_mgmt.domain.notifications import device_notification
from shared.contracts import events
from shared.contracts.envelope import Envelope
from shared.contracts.notification_catalogue import (
    NOTIFICATION_KINDS,
    NotificationKind,
    by_event_type,
)
from shared.contracts.notifications import EVENT_TYPES, SCHEMA_VERSION, DeviceCapacityNotification
from shared.messaging.topology import NOTIFICATION_STREAM, NOTIFICATIONS, PROJECT_NOTIFICATIONS
from tests.support.asyncapi import Contract
from tests.support.snapshots import device_snapshot

AMQP_URL = "amqp://admin:s3cret@broker.example:5671/servicevm"
DOCUMENT = build_document(AMQP_URL)
DEVICE = device_snapshot(instance_id="i-1", mgmt_address="10.0.0.9", revision=2)


def _device_body() -> dict[str, Any]:
    event = events.DeviceStatusChanged(device=DEVICE, previous_status="PENDING_CREATE")
    envelope = Envelope.wrap(event, correlation_id="req-1", tenant_id="p", producer="lifecycle")
    notification = device_notification(
        envelope, DEVICE, status="ACTIVE", previous_status="PENDING_CREATE"
    )
    return notification.model_dump(mode="json")


def test_every_event_type_is_a_message_of_every_channel() -> None:
    messages = DOCUMENT["components"]["messages"]
    assert set(messages) == set(by_event_type()) >= EVENT_TYPES  # servicevm's own among them
    for channel in DOCUMENT["channels"].values():
        assert set(channel["messages"]) == set(messages)
        for name, ref in channel["messages"].items():
            assert ref == {"$ref": f"#/components/messages/{name}"}
    schemas = DOCUMENT["components"]["schemas"]
    for message in messages.values():
        assert message["payload"]["$ref"].removeprefix("#/components/schemas/") in schemas


def test_channels_are_the_two_exchanges_and_the_stream() -> None:
    channels = DOCUMENT["channels"]
    assert channels["notifications"]["bindings"]["amqp"]["exchange"]["name"] == NOTIFICATIONS
    project = channels["projectNotifications"]
    assert project["address"] == "{project}.{eventType}"
    assert project["bindings"]["amqp"]["exchange"]["name"] == PROJECT_NOTIFICATIONS
    stream = channels["notificationStream"]["bindings"]["amqp"]
    assert (stream["is"], stream["queue"]["name"]) == ("queue", NOTIFICATION_STREAM)
    assert DOCUMENT["servers"]["rabbitmq"]["host"] == "broker.example:5671"
    assert "s3cret" not in str(DOCUMENT)  # never the api's own broker credentials
    AsyncApiDocument.model_validate(DOCUMENT)  # what the OpenAPI document says it answers


def test_a_body_mgmt_makes_is_valid_and_anything_else_is_not() -> None:
    contract = Contract(DOCUMENT)
    body = _device_body()
    assert body["schema_version"] == SCHEMA_VERSION == DOCUMENT["info"]["version"]
    assert contract.errors(body) == []
    assert contract.errors({k: v for k, v in body.items() if k != "schema_version"})
    assert contract.errors({**body, "schema_version": "2.0"})
    assert contract.errors({**body, "surprise": 1})
    assert contract.errors({**body, "device_id": "not-a-uuid"})
    assert contract.errors({**body, "event_type": "device.capacity"})  # another model's


def test_every_registered_model_carries_a_required_schema_version() -> None:
    for kind in NOTIFICATION_KINDS:
        assert "schema_version" in kind.model.model_fields, kind.model
        schema = kind.model.model_json_schema(mode="serialization")
        assert "schema_version" in schema["required"], kind.model


def test_an_event_type_has_one_model() -> None:
    assert set(by_event_type()) >= EVENT_TYPES

    class Other(BaseModel):
        schema_version: str = "1.0"

    twice = (*NOTIFICATION_KINDS, NotificationKind(Other, ("device.capacity",), "again"))
    with pytest.raises(ValueError, match=r"device\.capacity registered twice"):
        by_event_type(twice)
    assert by_event_type()["device.capacity"].model is DeviceCapacityNotification


def test_one_more_kind_is_one_more_message_with_its_schema() -> None:
    class VnfThing(BaseModel):
        id: str
        timeStamp: datetime
        schema_version: str = "1.0"

    kind = NotificationKind(VnfThing, ("vnflcm.VnfThing",), "a SOL003 notification")
    document = build_document(AMQP_URL, (*NOTIFICATION_KINDS, kind))
    contract = Contract(document)
    good = {"event_type": "vnflcm.VnfThing", "id": "x", "timeStamp": datetime.now(UTC).isoformat()}
    assert "vnflcm.VnfThing" in contract.channel_messages("projectNotifications")
    assert contract.errors(good) == []
    assert contract.errors({**good, "timeStamp": 5})
