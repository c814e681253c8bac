"""The create command becomes a new service instance, field for field."""

from __future__ import annotations

import uuid

from servicevm_scheduler.handlers import new_instance
from shared.contracts import commands
from shared.contracts.models import ServiceContext
from shared.contracts.statuses import ServiceInstanceStatus


def test_a_create_command_becomes_a_pending_instance_on_no_device() -> None:
    asked = [uuid.uuid4(), uuid.uuid4()]
    context = ServiceContext(network_id=uuid.uuid4(), role="inside")
    cmd = commands.CreateServiceInstance(
        id=uuid.uuid4(),
        tenant_id="p",
        name="fw",
        service_type_id=uuid.uuid4(),
        service_table_id="t1",
        mgmt_driver="noop",
        mgmt_address="10.0.0.9",
        service_contexts=[context],
        devices=asked,
        kwargs={"ha": True},
        managed_by_user=True,
    )
    instance = new_instance(cmd)
    assert (instance.status, instance.revision, instance.error_reason) == (
        ServiceInstanceStatus.PENDING_CREATE,
        1,
        None,
    )
    assert (instance.requested_devices, instance.devices) == (asked, [])
    assert instance.previous_status is None
    same = {"id", "tenant_id", "name", "service_type_id", "service_table_id", "mgmt_driver"}
    same |= {"mgmt_address", "service_contexts", "kwargs", "managed_by_user"}
    assert instance.model_dump(include=same) == cmd.model_dump(include=same)
