"""The attribute map is the contract: every bad request is a 400 naming the problem, and
changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import NOOP_TEMPLATE, Api

TEMPLATE_URL = "/v1.0/device_templates"
DEVICE_URL = "/v1.0/devices"


def _template(**changes: Any) -> dict[str, Any]:
    return {"device_template": {**NOOP_TEMPLATE, **changes}}


BAD_TEMPLATE_POSTS = [
    pytest.param(
        _template(id="7d8e3b31-94f5-4c5a-b5a8-3a5e0f5d3c11"),
        "Attribute 'id' not allowed in POST",
        id="id",
    ),
    pytest.param(_template(color="red"), "Unrecognized attribute(s) 'color'", id="unknown-field"),
    pytest.param(_template(name="x" * 256), "name", id="name-too-long"),
    pytest.param(_template(description=["a"]), "description", id="description-not-string"),
    pytest.param(_template(service_types="firewall"), "service_types", id="service-types-not-list"),
    pytest.param(_template(service_types=["fw", "fw"]), "duplicate", id="service-types-duplicate"),
    pytest.param(_template(attributes=["a"]), "attributes", id="attributes-not-dict"),
    pytest.param(_template(attributes={"a": 1}), "attributes.a", id="attribute-value-not-string"),
    pytest.param(
        _template(device_driver="vmware"),
        "available: heat, local, noop, nova",
        id="unknown-device-driver",
    ),
    pytest.param(
        _template(mgmt_driver="telnet"), "available: http, noop, ssh", id="unknown-mgmt-driver"
    ),
    pytest.param(
        {"device_template": {"mgmt_driver": "noop"}},
        "'device_driver' not specified",
        id="missing-driver",
    ),
    pytest.param({"template": NOOP_TEMPLATE}, "device_template", id="wrong-envelope"),
    pytest.param({}, "expected the key 'device_template'", id="missing-envelope"),
    pytest.param(["not", "an", "object"], "JSON object", id="not-an-object"),
    pytest.param({"device_template": "x"}, "JSON object", id="resource-not-an-object"),
]


@pytest.mark.parametrize(("body", "named"), BAD_TEMPLATE_POSTS)
def test_bad_template_post_is_400_naming_the_problem(api: Api, body: Any, named: str) -> None:
    response = api.post(TEMPLATE_URL, body)
    assert response.status_code == 400, response.text
    error = response.json()["NeutronError"]
    assert error["type"] == "HTTPBadRequest"
    assert named in error["message"]
    assert api.get(TEMPLATE_URL).json()["device_templates"] == []


def test_malformed_json_is_400(api: Api) -> None:
    response = api.http.post(
        TEMPLATE_URL, content=b'{"device_template": {', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "Malformed JSON" in response.json()["NeutronError"]["message"]


def test_template_put_takes_only_name_and_description(api: Api) -> None:
    template = api.create_template()
    url = f"{TEMPLATE_URL}/{template['id']}"
    for field, value in [
        ("device_driver", "noop"),
        ("service_types", []),
        ("attributes", {}),
        ("tenant_id", "x"),
    ]:
        response = api.put(url, {"device_template": {field: value}})
        assert response.status_code == 400
        assert (
            f"Attribute '{field}' not allowed in PUT" in response.json()["NeutronError"]["message"]
        )
    renamed = api.put(url, {"device_template": {"name": "renamed", "description": "d"}})
    assert renamed.status_code == 200
    assert renamed.json()["device_template"]["name"] == "renamed"
    assert api.get(url).json()["device_template"]["description"] == "d"


def _device(**fields: Any) -> dict[str, Any]:
    return {"device": fields}


def test_bad_device_posts_are_400_naming_the_problem(api: Api) -> None:
    template_id = api.create_template()["id"]
    cases: list[tuple[Any, str]] = [
        (_device(template_id="not-a-uuid"), "template_id"),
        (_device(), "'template_id' not specified"),
        (
            _device(template_id=template_id, status="ACTIVE"),
            "Attribute 'status' not allowed in POST",
        ),
        (
            _device(template_id=template_id, instance_id="i"),
            "Attribute 'instance_id' not allowed in POST",
        ),
        (
            _device(template_id=template_id, mgmt_address="10.0.0.1"),
            "Attribute 'mgmt_address' not allowed in POST",
        ),
        (_device(template_id=template_id, services=[]), "Attribute 'services' not allowed in POST"),
        (_device(template_id=template_id, speed=3), "Unrecognized attribute(s) 'speed'"),
        (_device(template_id=template_id, kwargs=[1]), "kwargs"),
        (_device(template_id=template_id, service_contexts={}), "service_contexts"),
        (
            _device(template_id=template_id, service_contexts=[{"network_id": "nope"}]),
            "service_contexts.0.network_id",
        ),
        (
            _device(template_id=template_id, service_contexts=[{"rolez": "x"}]),
            "service_contexts.0.rolez",
        ),
        (_device(template_id=template_id, tenant_id="x" * 256), "tenant_id"),
    ]
    for body, named in cases:
        response = api.post(DEVICE_URL, body)
        assert response.status_code == 400, (body, response.text)
        assert named in response.json()["NeutronError"]["message"], (body, response.text)
    assert api.get(DEVICE_URL).json()["devices"] == []


def test_null_kwargs_default_to_empty(api: Api) -> None:
    template_id = api.create_template()["id"]
    device = api.create_device(template_id, kwargs=None)
    assert device["kwargs"] == {}
    assert device["service_contexts"] == []


def test_unknown_template_is_404_naming_it(api: Api) -> None:
    missing = "2f0c8f38-8a43-4d1e-9d1f-6a1a4b7e0c55"
    response = api.post(DEVICE_URL, _device(template_id=missing))
    assert response.status_code == 404
    error = response.json()["NeutronError"]
    assert error["type"] == "DeviceTemplateNotFound"
    assert missing in error["message"]


def test_device_put_takes_only_kwargs(api: Api) -> None:
    template_id = api.create_template()["id"]
    device = api.create_device(template_id)
    api.wait_for_status(device["id"], "ACTIVE")
    url = f"{DEVICE_URL}/{device['id']}"
    for field, value in [
        ("template_id", template_id),
        ("service_contexts", []),
        ("status", "ERROR"),
    ]:
        response = api.put(url, _device(**{field: value}))
        assert response.status_code == 400
        assert (
            f"Attribute '{field}' not allowed in PUT" in response.json()["NeutronError"]["message"]
        )
    assert api.device(device["id"]) == api.wait_for_status(device["id"], "ACTIVE")


def test_bad_ids_and_queries_are_400(api: Api) -> None:
    assert api.get(f"{DEVICE_URL}/not-a-uuid").status_code == 400
    cases = [
        ({"colour": "red"}, "Unrecognized filter 'colour'"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"marker": "x"}, "marker"),
        ({"fields": "secret"}, "'secret'"),
        ({"id": "nope"}, "filter id"),
    ]
    for params, named in cases:
        response = api.get(DEVICE_URL, **params)
        assert response.status_code == 400, (params, response.text)
        assert named in response.json()["NeutronError"]["message"]


def test_unknown_route_and_method_are_neutron_errors(api: Api) -> None:
    assert api.get("/v1.0/nothing").json()["NeutronError"]["type"] == "HTTPNotFound"
    response = api.http.patch(DEVICE_URL)
    assert response.status_code == 405
    assert response.json()["NeutronError"]["type"] == "HTTPMethodNotAllowed"
