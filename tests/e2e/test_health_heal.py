"""The ``heal`` action on the local cloud: a dead VNFC gets its VNF healed by an automatic
SOL003 operation occurrence (isAutomaticInvocation) replacing that VNFC's device; a dead
device that is no VNFC is respawned instead, and its DEAD reason says so."""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from typing import Any

import pytest

from tests.support.api import Api
from tests.support.bus import NotificationListener
from tests.support.monitoring import appliance_pid
from tests.support.vnflcm import VnfLcmBus, flavour_spec, instantiate

pytestmark = pytest.mark.e2e

PING = {"type": "ping", "interval": 1, "timeout": 0.5, "threshold": 2}
HEAL = json.dumps({"monitors": [PING], "action": "heal"})
# A frozen appliance still completes TCP handshakes (the kernel does): only HTTP finds it.
INTERVAL, THRESHOLD = 1, 2
HTTP = {
    "type": "http",
    "path": "/health",
    "interval": INTERVAL,
    "timeout": 0.5,
    "threshold": THRESHOLD,
}
HTTP_HEAL = json.dumps({"monitors": [HTTP], "action": "heal"})


def monitored_vnf(api: Api, bus: VnfLcmBus, monitoring: str) -> tuple[uuid.UUID, dict[str, Any]]:
    """A VNF instantiated on the local cloud whose VNFCs' template has this monitoring."""
    spec = flavour_spec(
        api,
        bus.settings,
        device_driver="local",
        mgmt_driver="http",
        attributes={"monitoring": monitoring},
    )
    vnf_id = uuid.uuid4()
    return vnf_id, instantiate(bus, api, spec, vnf_id)


def test_a_dead_vnfc_is_healed_by_an_automatic_op_occ(
    api: Api, bus: VnfLcmBus, engine: None
) -> None:
    vnf_id, vnf = monitored_vnf(api, bus, HEAL)
    vnfc = vnf["vnfc_resource_info"][0]
    old = api.wait_for_status(vnfc["device_id"], "ACTIVE")
    time.sleep(1)  # its monitor is registered and probed once
    known = set(bus.ops)

    os.kill(appliance_pid(old["instance_id"]), signal.SIGKILL)

    def healing() -> list[dict[str, Any]]:
        return [
            bus.op(uuid.UUID(op))
            for op in set(bus.ops) - known
            if bus.op(uuid.UUID(op))["operation"] == "HEAL"
        ]

    bus.wait(lambda: bool(healing()), "an automatic HEAL op occ")
    (op,) = healing()
    assert op["is_automatic_invocation"] is True
    assert op["operation_params"]["vnfcInstanceId"] == [vnfc["id"]]
    done = bus.wait_op(uuid.UUID(op["id"]), "COMPLETED", timeout=60)
    new_device = done["affected_vnfcs"][0]["compute_resource"]
    assert new_device != old["id"]
    assert api.wait_for_status(new_device, "ACTIVE")["mgmt_address"] != old["mgmt_address"]
    api.wait_until_gone(old["id"])
    healed = {v["id"]: v["device_id"] for v in bus.vnf(vnf_id)["vnfc_resource_info"]}
    assert healed[vnfc["id"]] == new_device  # the VNFC kept its id, on its new device


def test_heal_of_a_device_that_is_no_vnfc_falls_back_to_respawn_saying_so(
    api: Api, engine: None, notifications: NotificationListener
) -> None:
    template = api.create_template(
        device_driver="local", mgmt_driver="http", attributes={"monitoring": HEAL}
    )
    device = api.wait_for_status(api.create_device(template["id"])["id"], "ACTIVE")
    time.sleep(1)
    os.kill(appliance_pid(device["instance_id"]), signal.SIGKILL)

    api.wait_respawned(device)
    notifications.drain(1.0)
    dead = [body for key, body in notifications.for_resource(device["id"]) if key.endswith(".dead")]
    assert dead and "heal falls back to respawn" in json.dumps(dead[0]), dead


def test_a_vnfc_stopped_by_operate_is_not_dead_and_not_healed(
    api: Api, bus: VnfLcmBus, engine: None
) -> None:
    vnf_id, vnf = monitored_vnf(api, bus, HTTP_HEAL)
    devices = [v["device_id"] for v in vnf["vnfc_resource_info"]]
    for device_id in devices:
        api.wait_for_status(device_id, "ACTIVE")
    time.sleep(1)

    op, _ = bus.run(vnf_id, api.project, "OPERATE", {"changeStateTo": "STOPPED"})
    bus.wait_op(op, "COMPLETED")
    known = set(bus.ops)
    time.sleep(INTERVAL * (THRESHOLD + 2))  # frozen: its probes time out
    bus.drain(0.5)
    assert [bus.op(uuid.UUID(o))["operation"] for o in set(bus.ops) - known] == []
    for device_id in devices:
        shown = api.device(device_id)
        assert shown is not None and shown["status"] == "ACTIVE", shown

    op, _ = bus.run(vnf_id, api.project, "OPERATE", {"changeStateTo": "STARTED"})
    bus.wait_op(op, "COMPLETED")
