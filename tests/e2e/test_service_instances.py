"""Service instances through REST and the bus: placement, updates, deletes, notifications."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from shared.devstack import Suite
from tests.support.api import Api
from tests.support.bus import NotificationListener
from tests.support.db import fetch


def firewall_template(api: Api, **attributes: str) -> dict[str, Any]:
    return api.create_template(
        service_types=["firewall", "vpn"], attributes={"slot_capacity": "4", **attributes}
    )


def test_instance_is_placed_configured_updated_and_deleted(
    api: Api, notifications: NotificationListener
) -> None:
    template = firewall_template(api, **{"slots.vpn": "4"})
    (device,) = api.active_devices(template["id"], 1)
    created = api.create_instance(
        api.service_type_id(template),
        name="edge firewall",
        service_table_id="fw-table-1",
        kwargs={"rules": ["allow 22"]},
        managed_by_user=True,
    )
    assert created["status"] == "PENDING_CREATE"
    assert created["tenant_id"] == api.project
    assert created["devices"] == []

    active = api.wait_for_instance(created["id"], "ACTIVE")
    assert active["devices"] == [device["id"]]
    assert api.device(device["id"])["services"] == [created["id"]]  # type: ignore[index]

    response = api.put(
        f"/v1.0/service_instances/{created['id']}",
        {"service_instance": {"name": "edge fw", "kwargs": {"rules": []}}},
    )
    assert response.status_code == 200, response.text
    assert response.json()["service_instance"]["status"] == "PENDING_UPDATE"
    updated = api.wait_for_instance(created["id"], "ACTIVE")
    assert (updated["name"], updated["kwargs"]) == ("edge fw", {"rules": []})

    # A vpn needs all 4 slots; one is taken by the firewall, so it cannot fit.
    vpn = api.create_instance(api.service_type_id(template, "vpn"))
    failed = api.wait_for_instance(vpn["id"], "ERROR")
    assert "4 free slot(s)" in failed["error_reason"]
    assert "max_devices" in failed["error_reason"]

    assert api.delete(f"/v1.0/service_instances/{created['id']}").status_code == 204
    api.wait_until_instance_gone(created["id"])
    assert api.device(device["id"])["services"] == []  # type: ignore[index]
    assert api.delete(f"/v1.0/service_instances/{vpn['id']}").status_code == 204
    api.wait_until_instance_gone(vpn["id"])

    expected = [
        "service_instance.pending_create",
        "service_instance.active",
        "service_instance.pending_update",
        "service_instance.active",
        "service_instance.pending_delete",
        "service_instance.deleted",
    ]
    notifications.wait_for(
        lambda _: [k for k, _ in notifications.for_resource(created["id"])] == expected
    )
    (_, first), *_ = notifications.for_resource(created["id"])
    assert first["tenant_id"] == api.project
    assert first["service_type_id"] == api.service_type_id(template)
    assert first["request_id"]
    capacity = [
        body for key, body in notifications.for_resource(device["id"]) if key == "device.capacity"
    ]
    notifications.wait_for(
        lambda _: (
            [
                b["slots_used"]
                for k, b in notifications.for_resource(device["id"])
                if k == "device.capacity"
            ]
            == [1, 0]
        )
    )
    capacity = [b for k, b in notifications.for_resource(device["id"]) if k == "device.capacity"]
    assert capacity[0]["slots_free"] == 3
    assert capacity[0]["services"] == [created["id"]]


def test_service_types_are_a_catalogue_every_project_reads(api: Api) -> None:
    template = firewall_template(api)
    other = api.as_project("another-project")
    listed = other.get("/v1.0/service_types", template_id=template["id"]).json()["service_types"]
    assert sorted(t["service_type"] for t in listed) == ["firewall", "vpn"]
    one = other.get(f"/v1.0/service_types/{api.service_type_id(template)}")
    assert one.status_code == 200
    assert one.json()["service_type"]["template_id"] == template["id"]
    assert other.get("/v1.0/service_types", bogus="1").status_code == 400


def test_only_user_managed_instances_can_be_updated(api: Api) -> None:
    template = firewall_template(api)
    api.active_devices(template["id"], 1)
    instance = api.create_instance(api.service_type_id(template), managed_by_user=False)
    api.wait_for_instance(instance["id"], "ACTIVE")
    response = api.put(
        f"/v1.0/service_instances/{instance['id']}", {"service_instance": {"name": "x"}}
    )
    assert response.status_code == 409
    assert "managed by another service" in response.json()["NeutronError"]["message"]
    assert api.instance(instance["id"])["name"] == ""  # type: ignore[index]


def test_configuration_failure_is_an_error_with_the_reason(api: Api) -> None:
    template = firewall_template(api, noop_mgmt_fail="apply_service")
    (device,) = api.active_devices(template["id"], 1)
    instance = api.create_instance(api.service_type_id(template))
    failed = api.wait_for_instance(instance["id"], "ERROR")
    assert "configuration failed" in failed["error_reason"]
    assert "apply_service" in failed["error_reason"]
    assert api.delete(f"/v1.0/service_instances/{instance['id']}").status_code == 204
    api.wait_until_instance_gone(instance["id"])
    assert api.device(device["id"])["services"] == []  # type: ignore[index]


def test_template_in_use_by_an_instance_cannot_be_deleted(api: Api) -> None:
    template = firewall_template(api)
    instance = api.create_instance(api.service_type_id(template))
    api.wait_for_instance(instance["id"], "ERROR")  # no device: no room
    response = api.delete(f"/v1.0/device_templates/{template['id']}")
    assert response.status_code == 409
    assert instance["id"] in response.json()["NeutronError"]["message"]


def test_instances_of_another_project_are_invisible(api: Api, admin: Api) -> None:
    template = firewall_template(api)
    instance = api.create_instance(api.service_type_id(template))
    other = api.as_project("stranger")
    path = f"/v1.0/service_instances/{instance['id']}"
    assert other.get(path).status_code == 404
    assert other.put(path, {"service_instance": {"name": "x"}}).status_code == 404
    assert other.delete(path).status_code == 404
    assert other.get("/v1.0/service_instances").json()["service_instances"] == []
    assert admin.get(path).status_code == 200
    mine = api.get("/v1.0/service_instances", fields="id").json()["service_instances"]
    assert mine == [{"id": instance["id"]}]


def test_instances_requested_with_their_template_are_never_left_waiting(api: Api) -> None:
    """The request reaches the scheduler straight from the api, the template through
    lifecycle: whichever arrives first, every instance is decided (here: no room)."""
    requested = []
    for _ in range(15):
        template = firewall_template(api)
        requested.append(api.create_instance(api.service_type_id(template)))
    for instance in requested:
        failed = api.wait_for_instance(instance["id"], "ERROR")
        assert "no room" in failed["error_reason"]


def test_a_post_naming_what_does_not_exist_is_404_and_writes_nothing(api: Api) -> None:
    template = firewall_template(api)
    service_type_id = api.service_type_id(template)
    missing = "0b0b0b0b-0000-4000-8000-000000000001"
    before = len(api.get("/v1.0/service_instances").json()["service_instances"])
    response = api.post_instance(missing)
    assert response.status_code == 404
    assert response.json()["NeutronError"]["type"] == "ServiceTypeNotFound"
    assert missing in response.json()["NeutronError"]["message"]
    response = api.post_instance(service_type_id, devices=[missing])
    assert response.status_code == 404
    assert response.json()["NeutronError"]["type"] == "DeviceNotFound"
    assert missing in response.json()["NeutronError"]["message"]
    after = api.get("/v1.0/service_instances").json()["service_instances"]
    assert len(after) == before
    created = api.create_instance(service_type_id, name="edge", kwargs={"vip": "10.0.0.5"})
    assert created["status"] == "PENDING_CREATE" and created["name"] == "edge"
    assert created["kwargs"] == {"vip": "10.0.0.5"} and created["devices"] == []
    assert api.instance(created["id"]) is not None


def test_on_a_noop_template_mgmt_records_where_the_instance_is_hosted(
    api: Api, suite: Suite
) -> None:
    """Made ACTIVE by the scheduler where it is placed (noop configures nothing), the
    instance is still known to mgmt on its device, as one it configured would be: a respawn
    of the device re-applies what it hosts from that record."""
    template = firewall_template(api)
    (device,) = api.active_devices(template["id"], 1)
    created = api.create_instance(api.service_type_id(template), kwargs={"vip": "10.0.0.7"})
    api.wait_for_instance(created["id"], "ACTIVE")
    query = (
        "SELECT device_id, mgmt_driver, configuration FROM hosted_services WHERE instance_id = $1"
    )
    deadline = time.monotonic() + 30
    while not (rows := fetch(suite.settings, "mgmt", query, uuid.UUID(created["id"]))):
        assert time.monotonic() < deadline, "mgmt does not know where the instance is hosted"
        time.sleep(0.05)
    (row,) = rows
    assert str(row["device_id"]) == device["id"]
    assert json.loads(row["configuration"])["kwargs"] == {"vip": "10.0.0.7"}
    assert api.delete(f"/v1.0/service_instances/{created['id']}").status_code == 204
    api.wait_until_instance_gone(created["id"])
    deadline = time.monotonic() + 30
    while fetch(suite.settings, "mgmt", query, uuid.UUID(created["id"])):
        assert time.monotonic() < deadline, "mgmt still records the deleted instance"
        time.sleep(0.05)
