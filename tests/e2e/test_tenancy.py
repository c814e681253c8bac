"""A caller sees only its project's resources unless it is an admin."""

from __future__ import annotations

import httpx

from tests.support.api import Api


def test_another_projects_resources_are_404_for_every_verb(api: Api) -> None:
    template = api.create_template()
    device = api.create_device(template["id"])
    api.wait_for_status(device["id"], "ACTIVE")
    other = api.as_project("someone-else")

    for path in (f"/v1.0/devices/{device['id']}", f"/v1.0/device_templates/{template['id']}"):
        assert other.get(path).status_code == 404
        assert other.delete(path).status_code == 404
    assert other.put(f"/v1.0/devices/{device['id']}", {"device": {"kwargs": {}}}).status_code == 404
    renamed = other.put(
        f"/v1.0/device_templates/{template['id']}", {"device_template": {"name": "x"}}
    )
    assert renamed.status_code == 404
    # Nor can it build on another project's template.
    assert (
        other.post("/v1.0/devices", {"device": {"template_id": template["id"]}}).status_code == 404
    )

    listed = other.get("/v1.0/devices").json()["devices"]
    assert device["id"] not in [d["id"] for d in listed]
    templates = other.get("/v1.0/device_templates").json()["device_templates"]
    assert template["id"] not in [t["id"] for t in templates]
    # Nothing changed for the owner.
    assert api.device(device["id"])["status"] == "ACTIVE"  # type: ignore[index]
    assert (
        api.get(f"/v1.0/device_templates/{template['id']}").json()["device_template"]["name"]
        == template["name"]
    )


def test_admin_sees_every_project_and_may_create_for_another(api: Api, admin: Api) -> None:
    template = api.create_template()
    device = api.create_device(template["id"])
    assert admin.get(f"/v1.0/devices/{device['id']}").status_code == 200
    assert device["id"] in [d["id"] for d in admin.get("/v1.0/devices").json()["devices"]]

    for_project = admin.post(
        "/v1.0/device_templates",
        {
            "device_template": {
                "device_driver": "noop",
                "mgmt_driver": "noop",
                "tenant_id": api.project,
            }
        },
    )
    assert for_project.status_code == 201
    created = for_project.json()["device_template"]
    assert created["tenant_id"] == api.project
    assert api.get(f"/v1.0/device_templates/{created['id']}").status_code == 200


def test_only_an_admin_may_set_another_tenant(api: Api) -> None:
    response = api.post(
        "/v1.0/device_templates",
        {
            "device_template": {
                "device_driver": "noop",
                "mgmt_driver": "noop",
                "tenant_id": "victim",
            }
        },
    )
    assert response.status_code == 403
    assert "tenant_id" in response.json()["NeutronError"]["message"]
    same = api.post(
        "/v1.0/device_templates",
        {
            "device_template": {
                "device_driver": "noop",
                "mgmt_driver": "noop",
                "tenant_id": api.project,
            }
        },
    )
    assert same.status_code == 201
    assert api.as_project("victim").get("/v1.0/device_templates").json()["device_templates"] == []


def test_no_project_header_is_401(api: Api) -> None:
    anonymous = httpx.Client(base_url=api.base_url)
    for method, path in [
        ("GET", "/v1.0/devices"),
        ("POST", "/v1.0/device_templates"),
        ("GET", "/v1.0/device_templates"),
    ]:
        response = anonymous.request(method, path, json={})
        assert response.status_code == 401
        assert response.json()["NeutronError"]["type"] == "HTTPUnauthorized"
