"""Two processes of every service (the suite's and a second set on ports of their own, one
database, one vhost): resources created back to back, each depending on the one before,
end as they should whatever order their messages reach the replicas in.

- templates, devices and service instances naming those new devices, created one right
  after the other through both apis: every device ACTIVE, every instance ACTIVE on its
  device (the scheduler waits for a named device its view has not seen ACTIVE yet);
- a device's create command delivered before its template's: lifecycle waits for the
  template (``shared/messaging/not_yet.py``) and the device becomes ACTIVE, not ERROR.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from shared.contracts.commands import CreateDevice, CreateDeviceTemplate
from shared.contracts.models import ServiceTypeRef
from shared.devstack import Suite, isolated_settings
from tests.support.api import Api
from tests.support.bus import envelope_for, publish_command
from tests.support.db import fetch
from tests.support.environment import _PORT_BASE, TEST_ENV

SECOND_PORTS = {
    "SERVICEVM_API_PORT": str(_PORT_BASE + 40),
    "SERVICEVM_SCHEDULER_PORT": str(_PORT_BASE + 41),
    "SERVICEVM_LIFECYCLE_PORT": str(_PORT_BASE + 42),
    "SERVICEVM_MGMT_PORT": str(_PORT_BASE + 43),
}
ROUNDS = 12


@pytest.fixture(scope="module")
def second(suite: Suite) -> Iterator[Suite]:
    """A second process of every service beside the suite's own."""
    assert suite.log_dir is not None
    env = {**TEST_ENV, **SECOND_PORTS}
    replica = Suite(isolated_settings(env), env=env, log_dir=suite.log_dir / "second-set")
    try:
        replica.start()
        yield replica
    finally:
        replica.stop()


@pytest.fixture
def other_api(api: Api, second: Suite) -> Iterator[Api]:
    """The same project, through the second api process."""
    client = Api(second.url("api"), project=api.project)
    yield client
    client.close()


def test_templates_devices_and_instances_back_to_back_across_replicas(
    api: Api, other_api: Api
) -> None:
    apis = (api, other_api)
    created: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for round_ in range(ROUNDS):
        one, other = apis[round_ % 2], apis[(round_ + 1) % 2]
        template = one.create_template()
        device = other.create_device(template["id"])
        instance = one.create_instance(one.service_type_id(template), devices=[device["id"]])
        created.append((device, instance))
    for device, instance in created:
        api.wait_for_status(device["id"], "ACTIVE", timeout=60)
        placed = api.wait_for_instance(instance["id"], "ACTIVE", "ERROR", timeout=60)
        assert placed["status"] == "ACTIVE", placed
        assert placed["devices"] == [device["id"]]


def lifecycle_status(suite: Suite, device_id: uuid.UUID) -> str | None:
    rows = fetch(suite.settings, "lifecycle", "SELECT status FROM devices WHERE id = $1", device_id)
    return str(rows[0]["status"]) if rows else None


def test_a_device_created_before_its_template_arrives_becomes_active(
    api: Api, suite: Suite, second: Suite
) -> None:
    template_id, device_id = uuid.uuid4(), uuid.uuid4()
    device = CreateDevice(
        id=device_id, tenant_id=api.project, template_id=template_id, kwargs={}, service_contexts=[]
    )
    publish_command(suite.settings.amqp_url, envelope_for(device, api.project))
    time.sleep(1.0)  # the device's command is being handled by now, without its template
    assert lifecycle_status(suite, device_id) is None  # waiting: no row, and no ERROR
    template = CreateDeviceTemplate(
        id=template_id,
        tenant_id=api.project,
        name="late template",
        device_driver="noop",
        mgmt_driver="noop",
        service_types=[ServiceTypeRef(id=uuid.uuid4(), service_type="firewall")],
    )
    publish_command(suite.settings.amqp_url, envelope_for(template, api.project))
    deadline = time.monotonic() + 30
    while (status := lifecycle_status(suite, device_id)) != "ACTIVE":
        assert status in (None, "PENDING_CREATE"), status
        assert time.monotonic() < deadline, f"device {device_id} is {status}"
        time.sleep(0.1)
