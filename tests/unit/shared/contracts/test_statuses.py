"""The statuses: one StrEnum per resource, whose members travel as their plain words."""

from __future__ import annotations

import json
import uuid

from shared.contracts import events
from shared.contracts.models import ServiceInstanceSnapshot
from shared.contracts.statuses import DeviceStatus, ServiceInstanceStatus


def test_groups_are_values_in_the_blueprint_order_and_not_members() -> None:
    assert DeviceStatus.ALL == (
        "PENDING_CREATE",
        "ACTIVE",
        "PENDING_UPDATE",
        "PENDING_DELETE",
        "ERROR",
        "DEAD",
    )
    assert DeviceStatus.PENDING == ("PENDING_CREATE", "PENDING_UPDATE", "PENDING_DELETE")
    assert (DeviceStatus.UPDATABLE, DeviceStatus.DELETABLE) == (
        ("ACTIVE",),
        ("ACTIVE", "ERROR", "DEAD"),
    )
    assert ServiceInstanceStatus.DELETABLE == DeviceStatus.DELETABLE
    # DELETED is only announced, never held; the groups are not members.
    assert [m.name for m in DeviceStatus] == [*DeviceStatus.ALL, "DELETED"]
    assert [m.name for m in ServiceInstanceStatus] == [*ServiceInstanceStatus.ALL, "DELETED"]


def test_the_two_vocabularies_are_apart_but_speak_the_same_words() -> None:
    assert not isinstance(ServiceInstanceStatus.ACTIVE, DeviceStatus)
    assert ServiceInstanceStatus.ACTIVE == "ACTIVE" and DeviceStatus.ACTIVE == "ACTIVE"
    assert f"{ServiceInstanceStatus.PENDING_DELETE}" == "PENDING_DELETE"


def test_a_member_in_a_message_becomes_its_plain_word() -> None:
    snapshot = ServiceInstanceSnapshot(
        id=uuid.uuid4(),
        tenant_id="p",
        service_type_id=uuid.uuid4(),
        devices=[],
        status=ServiceInstanceStatus.ACTIVE,
        error_reason=None,
        revision=2,
    )
    event = events.ServiceInstanceStatusChanged(
        instance=snapshot, previous_status=ServiceInstanceStatus.PENDING_CREATE
    )
    assert type(event.instance.status) is str and type(event.previous_status) is str
    body = json.loads(event.model_dump_json())
    assert (body["instance"]["status"], body["previous_status"]) == ("ACTIVE", "PENDING_CREATE")
