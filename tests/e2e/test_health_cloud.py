"""The ``driver`` monitor against the OpenStack simulator: a Nova server deleted behind
servicevm's back (through the simulator's control API) is found by the driver's status(),
the device goes DEAD and is respawned as a new server in the same VIM."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from servicevm_cloudsim import CloudSimulator
from tests.support.api import Api
from tests.support.bus import NotificationListener
from tests.support.cloudsim import shared_sim
from tests.support.vims import password_body, register, wait_checked

__all__ = ["shared_sim"]  # the fixture, imported for this module

pytestmark = pytest.mark.e2e

DRIVER = {"type": "driver", "interval": 1, "timeout": 1, "threshold": 2}


def own_servers(sim: CloudSimulator, device_id: str) -> list[Any]:
    return [s for s in sim.servers if s.metadata.get("servicevm_device_id") == device_id]


def test_a_server_deleted_behind_our_back_is_found_and_respawned(
    api: Api, shared_sim: CloudSimulator, notifications: NotificationListener
) -> None:
    vim = register(api, password_body(shared_sim, "secret"))
    assert wait_checked(api, vim["id"])["status"] == "REACHABLE"
    template = api.create_template(
        device_driver="nova",
        mgmt_driver="noop",
        vim_id=vim["id"],
        attributes={
            "image": "cirros",
            "flavor": "m1.small",
            "monitoring": json.dumps({"monitors": [DRIVER], "action": "respawn"}),
        },
    )
    mgmt_net = shared_sim.cloud.network_named("mgmt-net").id
    device = api.create_device(
        template["id"], service_contexts=[{"network_id": mgmt_net, "role": "management"}]
    )
    device = api.wait_for_status(device["id"], "ACTIVE")
    old = device["instance_id"]

    gone = httpx.delete(f"{shared_sim.url}/_sim/servers/{old}", timeout=5)
    assert gone.status_code == 204

    deadline = time.monotonic() + 30
    now = device
    while time.monotonic() < deadline:
        now = api.device(device["id"]) or now
        if now["status"] == "ACTIVE" and now["instance_id"] != old:
            break
        time.sleep(0.2)
    assert now["status"] == "ACTIVE" and now["instance_id"] != old, now
    (server,) = own_servers(shared_sim, device["id"])
    assert server.id == now["instance_id"] and server.status == "ACTIVE"
    notifications.wait_for(
        lambda got: any(
            key.endswith("device.dead") and body.get("resource_id") == device["id"]
            for key, body in got
        )
    )
    respawned = api.get(f"/v1.0/devices/{device['id']}").json()["device"]
    assert respawned["vim_id"] == vim["id"]
