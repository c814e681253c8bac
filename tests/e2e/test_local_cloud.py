"""The embedded default cloud: ``device_driver=local`` + ``mgmt_driver=http`` give real
appliance processes on this machine, configured over HTTP, with no OpenStack account."""

from __future__ import annotations

import socket
import time
from typing import Any

import httpx

from tests.support.api import Api

CONFIGURATION = {"hostname": "fw-local", "rules": [{"allow": "tcp/443"}]}


def appliance(device: dict[str, Any], path: str) -> Any:
    response = httpx.get(f"http://{device['mgmt_address']}{path}", timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def wait_until(predicate: Any, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"condition not met after {timeout}s")


def port_closed(address: str) -> bool:
    host, _, port = address.partition(":")
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, int(port))) != 0


def test_a_local_device_is_a_running_appliance_holding_its_configuration(api: Api) -> None:
    template = api.create_template(
        name="local firewall",
        device_driver="local",
        mgmt_driver="http",
        attributes={"slot_capacity": "2"},
    )
    device = api.create_device(template["id"], kwargs=CONFIGURATION)
    active = api.wait_for_status(device["id"], "ACTIVE")
    assert active["mgmt_address"].startswith("127.0.0.1:")
    assert active["availability_zone"] == "local" and active["vim_id"] is None
    assert appliance(active, "/config") == CONFIGURATION

    instance = api.create_instance(
        api.service_type_id(template), devices=[device["id"]], kwargs={"vip": "10.0.0.5"}
    )
    api.wait_for_instance(instance["id"], "ACTIVE")
    assert instance["id"] in appliance(active, "/services")["services"]

    assert api.delete(f"/v1.0/service_instances/{instance['id']}").status_code == 204
    api.wait_until_instance_gone(instance["id"])
    assert instance["id"] not in appliance(active, "/services")["services"]

    assert api.delete(f"/v1.0/devices/{device['id']}").status_code == 204
    api.wait_until_gone(device["id"])
    wait_until(lambda: port_closed(active["mgmt_address"]))
