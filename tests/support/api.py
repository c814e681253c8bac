"""A REST client that speaks as one project, and waits for devices to settle."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

Resource = dict[str, Any]

NOOP_TEMPLATE: dict[str, Any] = {
    "name": "firewall appliance",
    "description": "a test template",
    "service_types": ["firewall"],
    "device_driver": "noop",
    "mgmt_driver": "noop",
    "attributes": {"slot_capacity": "2"},
}


def poll(
    look: Callable[[], Resource | None],
    done: Callable[[Resource | None], bool],
    *,
    timeout: float,
    what: str,
    interval: float = 0.05,
) -> Resource | None:
    """What ``look`` last saw once ``done`` says so; AssertionError(``what``) after timeout."""
    deadline = time.monotonic() + timeout
    seen: Resource | None = None
    while time.monotonic() < deadline:
        seen = look()
        if done(seen):
            return seen
        time.sleep(interval)
    raise AssertionError(f"{what} after {timeout}s; last seen: {seen}")


class Api:
    def __init__(self, base_url: str, project: str | None = None, roles: str = "member") -> None:
        self.base_url = base_url
        self.project = project or f"project-{uuid.uuid4().hex[:8]}"
        headers = {"X-Project-Id": self.project, "X-Roles": roles}
        self.http = httpx.Client(base_url=base_url, headers=headers, timeout=10)

    def as_project(self, project: str, roles: str = "member") -> Api:
        return Api(self.base_url, project, roles)

    def post(self, path: str, body: Any) -> httpx.Response:
        return self.http.post(path, json=body)

    def put(self, path: str, body: Any) -> httpx.Response:
        return self.http.put(path, json=body)

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params)

    def delete(self, path: str, **params: Any) -> httpx.Response:
        return self.http.delete(path, params=params)

    def create_template(self, **overrides: Any) -> dict[str, Any]:
        response = self.post(
            "/v1.0/device_templates", {"device_template": {**NOOP_TEMPLATE, **overrides}}
        )
        assert response.status_code == 201, response.text
        template: dict[str, Any] = response.json()["device_template"]
        return template

    def create_device(self, template_id: str, **fields: Any) -> dict[str, Any]:
        response = self.post("/v1.0/devices", {"device": {"template_id": template_id, **fields}})
        assert response.status_code == 201, response.text
        device: dict[str, Any] = response.json()["device"]
        return device

    def device(self, device_id: str) -> dict[str, Any] | None:
        response = self.get(f"/v1.0/devices/{device_id}")
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        device: dict[str, Any] = response.json()["device"]
        return device

    def wait_for_status(self, device_id: str, status: str, timeout: float = 30) -> dict[str, Any]:
        seen = poll(
            lambda: self.device(device_id),
            lambda seen: seen is not None and seen["status"] == status,
            timeout=timeout,
            what=f"device {device_id} not {status}",
        )
        assert seen is not None
        return seen

    def wait_respawned(self, device: dict[str, Any], timeout: float = 40) -> dict[str, Any]:
        """The device ACTIVE again on a new instance: its appliance or server replaced."""
        seen = poll(
            lambda: self.device(device["id"]),
            lambda seen: (
                seen is not None
                and seen["status"] == "ACTIVE"
                and seen["instance_id"] != device["instance_id"]
            ),
            timeout=timeout,
            interval=0.2,
            what=f"device {device['id']} not respawned",
        )
        assert seen is not None
        return seen

    def wait_until_gone(self, device_id: str, timeout: float = 30) -> None:
        poll(
            lambda: self.device(device_id),
            lambda seen: seen is None,
            timeout=timeout,
            what=f"device {device_id} still present",
        )

    # --- service instances ---------------------------------------------------------------

    def service_type_id(self, template: dict[str, Any], name: str = "firewall") -> str:
        for ref in template["service_types"]:
            if ref["service_type"] == name:
                return str(ref["id"])
        raise AssertionError(f"template offers no {name}")

    def create_instance(self, service_type_id: str, **fields: Any) -> dict[str, Any]:
        response = self.post_instance(service_type_id, **fields)
        assert response.status_code == 201, response.text
        instance: dict[str, Any] = response.json()["service_instance"]
        return instance

    def post_instance(self, service_type_id: str, **fields: Any) -> httpx.Response:
        body = {"service_instance": {"service_type_id": service_type_id, **fields}}
        return self.post("/v1.0/service_instances", body)

    def instance(self, instance_id: str) -> dict[str, Any] | None:
        response = self.get(f"/v1.0/service_instances/{instance_id}")
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        instance: dict[str, Any] = response.json()["service_instance"]
        return instance

    def wait_for_instance(
        self, instance_id: str, *statuses: str, timeout: float = 30
    ) -> dict[str, Any]:
        seen = poll(
            lambda: self.instance(instance_id),
            lambda seen: seen is not None and seen["status"] in statuses,
            timeout=timeout,
            what=f"service instance {instance_id} not {statuses}",
        )
        assert seen is not None
        return seen

    def wait_until_instance_gone(self, instance_id: str, timeout: float = 30) -> None:
        poll(
            lambda: self.instance(instance_id),
            lambda seen: seen is None,
            timeout=timeout,
            what=f"service instance {instance_id} still present",
        )

    def active_devices(self, template_id: str, count: int, **kwargs: Any) -> list[dict[str, Any]]:
        """``count`` new ACTIVE devices of a template; kwargs may name host and zone."""
        created = [self.create_device(template_id, kwargs=kwargs) for _ in range(count)]
        return [self.wait_for_status(device["id"], "ACTIVE") for device in created]

    def close(self) -> None:
        self.http.close()
