"""lifecycle keeps a copy of each device template it has read: the copy never lets a device
be created from a template that is gone."""

from __future__ import annotations

import uuid

from shared.contracts.commands import CreateDevice
from shared.devstack import Suite
from tests.support.api import Api
from tests.support.bus import NotificationListener, envelope_for, publish_command
from tests.support.db import fetch


def test_a_create_after_another_replica_deleted_its_template_ends_in_error(
    suite: Suite, api: Api, notifications: NotificationListener
) -> None:
    template = api.create_template()
    template_id = uuid.UUID(template["id"])
    first = api.create_device(template["id"])
    api.wait_for_status(first["id"], "ACTIVE")  # lifecycle has read (and kept) the template
    # As another lifecycle replica would delete it: the rows go, this process is not told.
    fetch(suite.settings, "lifecycle", "DELETE FROM devices WHERE id = $1", uuid.UUID(first["id"]))
    fetch(suite.settings, "lifecycle", "DELETE FROM device_templates WHERE id = $1", template_id)

    # A create the api accepted before it learnt of the deletion.
    device_id = uuid.uuid4()
    command = CreateDevice(
        id=device_id, tenant_id=api.project, template_id=template_id, kwargs={}, service_contexts=[]
    )
    publish_command(suite.settings.amqp_url, envelope_for(command, api.project))

    def kinds() -> list[str]:
        return [kind for kind, _ in notifications.for_resource(str(device_id))]

    notifications.wait_for(lambda _: "device.error" in kinds())
    notifications.drain(0.5)
    assert kinds() == ["device.error"]  # recorded in ERROR at once, never built
    rows = fetch(
        suite.settings,
        "lifecycle",
        "SELECT status, error_reason FROM devices WHERE id = $1",
        device_id,
    )
    assert rows[0]["status"] == "ERROR"
    assert f"device template {template_id} not found" in rows[0]["error_reason"]
