"""The AsyncAPI document served at /v1.0/asyncapi.json is the notifications' contract: every
body published while a template, a device and a service instance go through their lives
validates against the JSON Schema of its message there, on the admin exchange (routing key
= event type) and on the per-project exchange (``<project>.<event type>``), and carries the
document's schema version."""

from __future__ import annotations

from typing import Any

from shared.contracts.notifications import project_routing_key
from shared.devstack import Suite
from shared.messaging.topology import PROJECT_NOTIFICATIONS
from tests.support.api import Api
from tests.support.asyncapi import Contract
from tests.support.bus import NotificationListener
from tests.support.vnflcm_api import INSTANCES, create_vnf, onboard_noop, task, wait_op

# What the operations below must yield at least (the rest is checked all the same).
EXPECTED = {
    "device_template.created",
    "device_template.updated",
    "device_template.deleted",
    "device.pending_create",
    "device.active",
    "device.pending_update",
    "device.pending_delete",
    "device.deleted",
    "device.capacity",
    "service_instance.pending_create",
    "service_instance.active",
    "service_instance.pending_delete",
    "service_instance.deleted",
}


def _operate(api: Api) -> list[str]:
    """A template, a device and a service instance through their lives; their ids."""
    template = api.create_template(service_types=["firewall"], attributes={"slot_capacity": "2"})
    (device,) = api.active_devices(template["id"], 1)
    assert api.put(f"/v1.0/devices/{device['id']}", {"device": {"kwargs": {"x": 1}}}).is_success
    api.wait_for_status(device["id"], "ACTIVE")
    instance = api.create_instance(api.service_type_id(template))
    api.wait_for_instance(instance["id"], "ACTIVE")
    assert api.delete(f"/v1.0/service_instances/{instance['id']}").status_code == 204
    api.wait_until_instance_gone(instance["id"])
    assert api.delete(f"/v1.0/devices/{device['id']}").status_code == 204
    api.wait_until_gone(device["id"])
    renamed = {"device_template": {"description": "renamed"}}
    assert api.put(f"/v1.0/device_templates/{template['id']}", renamed).is_success
    assert api.delete(f"/v1.0/device_templates/{template['id']}").status_code == 204
    return [template["id"], device["id"], instance["id"]]


def test_published_notifications_validate_against_the_served_asyncapi_document(
    suite: Suite, api: Api, notifications: NotificationListener
) -> None:
    response = api.get("/v1.0/asyncapi.json")
    assert response.status_code == 200, response.text
    contract = Contract(response.json())
    assert contract.document["asyncapi"] == "3.0.0"
    projects = NotificationListener(suite.settings.amqp_url, exchange_name=PROJECT_NOTIFICATIONS)
    try:
        _operate(api)
        notifications.wait_for(lambda _: _events(notifications, api.project) >= EXPECTED, 60)
        projects.wait_for(lambda _: _events(projects, api.project) >= EXPECTED, 30)
        notifications.drain(0.5)
    finally:
        projects.close()

    admin = [
        (key, body) for key, body in notifications.received if body["tenant_id"] == api.project
    ]
    for key, body in admin:
        assert key == body["event_type"]
        assert key in contract.channel_messages("notifications")
        _assert_valid(contract, body)
    ours = [(key, body) for key, body in projects.received if body["tenant_id"] == api.project]
    assert sorted(b["id"] for _, b in ours) == sorted(b["id"] for _, b in admin)
    for key, body in ours:
        assert key == project_routing_key(api.project, body["event_type"])
        assert body["event_type"] in contract.channel_messages("projectNotifications")
        _assert_valid(contract, body)


def _events(listener: NotificationListener, project: str) -> set[str]:
    return {body["event_type"] for _, body in listener.received if body["tenant_id"] == project}


def _assert_valid(contract: Contract, body: dict[str, Any]) -> None:
    assert contract.errors(body) == [], body
    assert body["schema_version"] == contract.document["info"]["version"]


def test_sol003_notifications_validate_against_the_served_asyncapi_document(
    suite: Suite, api: Api
) -> None:
    """A VNF created, instantiated, terminated and deleted: each SOL003 notification on the
    admin exchange (``vnflcm.<notificationType>``) validates against its message's schema."""
    contract = Contract(api.get("/v1.0/asyncapi.json").json())
    listener = NotificationListener(suite.settings.amqp_url, binding="vnflcm.#")
    try:
        package = onboard_noop(api)
        vnf = create_vnf(api, package["vnfdId"])
        wait_op(api, task(api, vnf["id"], "instantiate", {"flavourId": "simple"}), "COMPLETED")
        terminate = {"terminationType": "FORCEFUL"}
        wait_op(api, task(api, vnf["id"], "terminate", terminate), "COMPLETED")
        assert api.delete(f"{INSTANCES}/{vnf['id']}").status_code == 204
        listener.wait_for(
            lambda _: _sol003_types(listener, vnf["id"]) >= SOL003_EXPECTED, timeout=60
        )
    finally:
        listener.close()
    ours = [(k, b) for k, b in listener.received if b["vnfInstanceId"] == vnf["id"]]
    for key, body in ours:
        assert key == f"vnflcm.{body['notificationType']}"
        assert key in contract.channel_messages("notifications")
        errors = [e.message for e in contract.validator(key).iter_errors(body)]
        assert errors == [], body
        assert body["schema_version"] == contract.document["info"]["version"]


SOL003_EXPECTED = {
    "VnfIdentifierCreationNotification",
    "VnfLcmOperationOccurrenceNotification",
    "VnfIdentifierDeletionNotification",
}


def _sol003_types(listener: NotificationListener, vnf_id: str) -> set[str]:
    return {b["notificationType"] for _, b in listener.received if b["vnfInstanceId"] == vnf_id}
