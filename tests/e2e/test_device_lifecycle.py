"""The first real path: template → device → ACTIVE → update → delete, through REST and the bus."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.support.api import Api
from tests.support.bus import NotificationListener

DEVICE_EVENTS = [
    "device.pending_create",
    "device.active",
    "device.pending_update",
    "device.active",
    "device.pending_delete",
    "device.deleted",
]


def test_device_goes_active_updates_and_is_deleted(api: Api) -> None:
    template = api.create_template()
    assert [t["service_type"] for t in template["service_types"]] == ["firewall"]
    assert template["attributes"] == {"slot_capacity": "2"}
    assert template["tenant_id"] == api.project

    created = api.create_device(
        template["id"],
        kwargs={"vlan": 10},
        service_contexts=[
            {"network_id": "6d1c3b9e-4c55-4bd4-a9f5-1d8fa5d0a111", "role": "management"}
        ],
    )
    assert created["status"] == "PENDING_CREATE"
    # Read-your-writes: the gateway answers from its own query model at once.
    assert api.device(created["id"]) is not None

    active = api.wait_for_status(created["id"], "ACTIVE")
    assert active["instance_id"].startswith("noop-")
    assert active["kwargs"] == {"vlan": 10}
    assert active["service_contexts"][0]["role"] == "management"
    assert active["services"] == []

    response = api.put(f"/v1.0/devices/{created['id']}", {"device": {"kwargs": {"vlan": 20}}})
    assert response.status_code == 200, response.text
    assert response.json()["device"]["status"] == "PENDING_UPDATE"
    updated = api.wait_for_status(created["id"], "ACTIVE")
    assert updated["kwargs"] == {"vlan": 20}

    in_use = api.delete(f"/v1.0/device_templates/{template['id']}")
    assert in_use.status_code == 409
    assert created["id"] in in_use.json()["NeutronError"]["message"]

    assert api.delete(f"/v1.0/devices/{created['id']}").status_code == 204
    api.wait_until_gone(created["id"])
    assert api.get(f"/v1.0/devices/{created['id']}").status_code == 404
    assert api.delete(f"/v1.0/devices/{created['id']}").status_code == 404

    assert api.delete(f"/v1.0/device_templates/{template['id']}").status_code == 204
    assert api.get(f"/v1.0/device_templates/{template['id']}").status_code == 404


def test_each_status_change_is_notified_once_and_in_order(
    api: Api, notifications: NotificationListener
) -> None:
    template = api.create_template()
    post = api.post("/v1.0/devices", {"device": {"template_id": template["id"]}})
    device_id = post.json()["device"]["id"]
    api.wait_for_status(device_id, "ACTIVE")
    api.put(f"/v1.0/devices/{device_id}", {"device": {"kwargs": {"x": 1}}})
    api.wait_for_status(device_id, "ACTIVE")
    api.delete(f"/v1.0/devices/{device_id}")
    api.wait_until_gone(device_id)
    api.delete(f"/v1.0/device_templates/{template['id']}")

    notifications.wait_for(
        lambda _: len(notifications.for_resource(device_id)) >= len(DEVICE_EVENTS)
    )
    notifications.wait_for(
        lambda _: (
            [k for k, _b in notifications.for_resource(template["id"])]
            == ["device_template.created", "device_template.deleted"]
        )
    )
    notifications.drain(0.5)  # anything duplicated would arrive now
    received = notifications.for_resource(device_id)
    assert [key for key, _ in received] == DEVICE_EVENTS

    bodies = [body for _, body in received]
    assert len({body["id"] for body in bodies}) == len(bodies)
    assert [body["previous_status"] for body in bodies] == [
        None,
        "PENDING_CREATE",
        "ACTIVE",
        "PENDING_UPDATE",
        "ACTIVE",
        "PENDING_DELETE",
    ]
    for key, body in received:
        assert body["event_type"] == key
        assert body["device_id"] == device_id
        assert body["tenant_id"] == api.project
        assert body["template_id"] == template["id"]
        assert body["status"] == key.split(".")[1].upper()
        assert datetime.fromisoformat(body["timestamp"]).utcoffset() == UTC.utcoffset(None)
        assert body["request_id"].startswith("req-")
    # The create's notifications carry the id of the request that started it.
    assert bodies[0]["request_id"] == post.headers["X-Openstack-Request-Id"]
    assert bodies[1]["request_id"] == post.headers["X-Openstack-Request-Id"]


def test_driver_failure_ends_in_error_with_reason_and_can_be_deleted(api: Api) -> None:
    template = api.create_template(attributes={"noop_fail": "create"})
    device = api.create_device(template["id"])
    failed = api.wait_for_status(device["id"], "ERROR")
    assert "noop driver told to fail at create" in failed["error_reason"]
    assert api.delete(f"/v1.0/devices/{device['id']}").status_code == 204
    api.wait_until_gone(device["id"])


def test_configuration_failure_ends_in_error(api: Api) -> None:
    template = api.create_template(attributes={"noop_mgmt_fail": "apply"})
    device = api.create_device(template["id"])
    failed = api.wait_for_status(device["id"], "ERROR")
    assert failed["error_reason"].startswith("configuration failed")


def test_a_device_posted_right_after_its_template_never_misses_it(api: Api) -> None:
    devices = [api.create_device(api.create_template()["id"])["id"] for _ in range(10)]
    for device_id in devices:
        assert api.wait_for_status(device_id, "ACTIVE")["error_reason"] is None
