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

    now = api.wait_respawned(device, timeout=30)
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


def test_a_failed_respawn_ends_in_error_and_its_instances_move(
    api: Api, shared_sim: CloudSimulator
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
            "slot_capacity": "2",
            "monitoring": json.dumps({"monitors": [DRIVER], "action": "respawn"}),
            "reschedule_on_device_loss": "true",
        },
    )
    mgmt_net = shared_sim.cloud.network_named("mgmt-net").id
    contexts = [{"network_id": mgmt_net, "role": "management"}]
    doomed, spare = (api.create_device(template["id"], service_contexts=contexts) for _ in range(2))
    doomed = api.wait_for_status(doomed["id"], "ACTIVE")
    spare = api.wait_for_status(spare["id"], "ACTIVE")
    instance = api.create_instance(api.service_type_id(template), devices=[doomed["id"]])
    api.wait_for_instance(instance["id"], "ACTIVE")

    # The next boot (the respawn's) goes ERROR, and the server is deleted behind our back.
    fault = {"kind": "boot_error", "message": "host on fire"}
    assert httpx.post(f"{shared_sim.url}/_sim/faults", json=fault, timeout=5).status_code == 204
    gone = httpx.delete(f"{shared_sim.url}/_sim/servers/{doomed['instance_id']}", timeout=5)
    assert gone.status_code == 204

    failed = api.wait_for_status(doomed["id"], "ERROR", timeout=30)
    assert "respawn failed" in failed["error_reason"] and "host on fire" in failed["error_reason"]
    deadline = time.monotonic() + 20
    moved = api.instance(instance["id"])
    while time.monotonic() < deadline:
        moved = api.instance(instance["id"])
        if moved and moved["status"] == "ACTIVE" and moved["devices"] == [spare["id"]]:
            break
        time.sleep(0.2)
    assert moved and moved["status"] == "ACTIVE" and moved["devices"] == [spare["id"]], moved
