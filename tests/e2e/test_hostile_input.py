"""Whatever a client sends, the api answers 4xx, never 5xx, and keeps serving."""

from __future__ import annotations

from collections.abc import Iterator

import httpx

from shared.devstack import Suite
from tests.support.api import Api


def test_nul_characters_are_400_in_bodies_and_urls(api: Api) -> None:
    body = {"device_template": {"device_driver": "noop", "mgmt_driver": "noop", "name": "a\x00"}}
    response = api.post("/v1.0/device_templates", body)
    assert response.status_code == 400
    assert response.json()["NeutronError"]["message"] == (
        "Invalid input for device_template.name: NUL characters are not allowed."
    )
    nested = {
        "device_template": {**body["device_template"], "name": "ok", "attributes": {"k": ["\x00"]}}
    }
    assert api.post("/v1.0/device_templates", nested).status_code == 400
    for params in ({"status": "x\x00"}, {"tenant_id": "\x00"}, {"fields": "\x00"}):
        response = api.get("/v1.0/devices", **params)
        assert response.status_code == 400, response.text
        assert response.json()["NeutronError"]["type"] == "HTTPBadRequest"
    assert api.get("/v1.0/topology", host="\x00").status_code == 400


def test_sql_in_filters_is_only_data(api: Api) -> None:
    template = api.create_template()
    for value in ("' OR '1'='1", "x'; DROP TABLE api.devices; --", "%", "\\"):
        response = api.get("/v1.0/device_templates", name=value)
        assert response.status_code == 200
        assert response.json()["device_templates"] == []
    assert api.get(f"/v1.0/device_templates/{template['id']}").status_code == 200


def test_bodies_over_the_limit_are_413_announced_or_streamed(api: Api, suite: Suite) -> None:
    limit = suite.settings.max_body_bytes
    big = api.http.post(
        "/v1.0/devices", content=b" " * (limit + 1), headers={"Content-Type": "application/json"}
    )
    assert big.status_code == 413
    assert big.json()["NeutronError"]["type"] == "HTTPRequestEntityTooLarge"
    assert big.headers["X-Openstack-Request-Id"].startswith("req-")

    def chunks() -> Iterator[bytes]:
        for _ in range(limit // 65536 + 2):
            yield b" " * 65536

    streamed = api.http.post(
        "/v1.0/devices", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    assert httpx.get(f"{suite.url('api')}/healthz").status_code == 200


def test_a_request_head_over_64_kib_is_400(api: Api) -> None:
    """The request line and headers are bounded (64 KiB; the api's httptools protocol would
    take any size): a bigger head is 400, and the api serves on."""
    assert api.http.get("/v1.0/devices", headers={"X-Note": "a" * 30_000}).status_code == 200
    # Each on a connection of its own: the api closes one after a 400.
    with httpx.Client(base_url=api.base_url, headers=api.http.headers, timeout=10) as client:
        response = client.get("/v1.0/devices", headers={"X-Note": "a" * 70_000})
        assert response.status_code == 400
    with httpx.Client(base_url=api.base_url, headers=api.http.headers, timeout=10) as client:
        many = {f"X-Note-{i}": "a" * 400 for i in range(200)}
        assert client.get("/v1.0/devices", headers=many).status_code == 400
    assert api.get("/v1.0/devices").status_code == 200
