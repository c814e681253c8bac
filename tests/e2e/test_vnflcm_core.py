"""lifecycle's side of VNF LCM, driven over the bus as the api will drive it: each op occ is
a plan of device steps, its VNFCs are ordinary devices (seen through /v1.0/devices)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from shared.contracts.vnflcm import VnfFlavourSpec
from shared.devstack import Suite
from tests.support.api import Api
from tests.support.vnflcm import VnfLcmBus, flavour_spec

SCALE_OUT = {"type": "SCALE_OUT", "aspectId": "worker_instance", "numberOfSteps": 1}
SCALE_IN = {"type": "SCALE_IN", "aspectId": "worker_instance", "numberOfSteps": 1}


@pytest.fixture
def bus(suite: Suite) -> Iterator[VnfLcmBus]:
    listener = VnfLcmBus(suite.settings.amqp_url)
    yield listener
    listener.close()


def vnfcs_by_vdu(vnf: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for vnfc in vnf["vnfc_resource_info"]:
        found.setdefault(vnfc["vdu_id"], []).append(vnfc)
    return found


def wait_vnf(bus: VnfLcmBus, vnf_id: uuid.UUID, **expected: Any) -> dict[str, Any]:
    def matches() -> bool:
        if str(vnf_id) not in bus.vnfs:
            return False
        vnf = bus.vnf(vnf_id)
        return all(vnf[key] == value for key, value in expected.items())

    bus.wait(matches, f"VNF {vnf_id} with {expected}")
    return bus.vnf(vnf_id)


def counts(vnf: dict[str, Any]) -> dict[str, int]:
    return {vdu: len(vnfcs) for vdu, vnfcs in vnfcs_by_vdu(vnf).items()}


def instantiate(
    bus: VnfLcmBus, api: Api, spec: VnfFlavourSpec, vnf_id: uuid.UUID
) -> dict[str, Any]:
    op, _ = bus.run(vnf_id, api.project, "INSTANTIATE", {"flavourId": "simple"}, flavour=spec)
    bus.wait_op(op, "COMPLETED")
    return wait_vnf(bus, vnf_id, instantiation_state="INSTANTIATED")


def test_instantiate_scale_and_terminate(api: Api, bus: VnfLcmBus) -> None:
    spec = flavour_spec(api)
    vnf_id = uuid.uuid4()
    op, _ = bus.run(vnf_id, api.project, "INSTANTIATE", {"flavourId": "simple"}, flavour=spec)
    done = bus.wait_op(op, "COMPLETED")
    assert [s["operation_state"] for s in bus.ops[str(op)]] == ["PROCESSING", "COMPLETED"]
    assert sorted(a["change_type"] for a in done["affected_vnfcs"]) == ["ADDED", "ADDED"]
    vnf = wait_vnf(bus, vnf_id, instantiation_state="INSTANTIATED")
    assert (vnf["flavour_id"], vnf["vnf_state"]) == ("simple", "STARTED")
    assert vnf["scale_status"] == [{"aspect_id": "worker_instance", "scale_level": 0}]
    assert counts(vnf) == {"VDU1": 1, "VDU2": 1}
    for vnfc in vnf["vnfc_resource_info"]:
        device = api.wait_for_status(vnfc["device_id"], "ACTIVE")
        assert device["template_id"] == str(spec.vdu_templates[vnfc["vdu_id"]])
        assert device["kwargs"]["vnf_instance_id"] == str(vnf_id)
        assert device["kwargs"]["vnfc_id"] == vnfc["id"]
        assert device["kwargs"]["vdu_id"] == vnfc["vdu_id"]
    first_worker = vnfcs_by_vdu(vnf)["VDU2"][0]

    op, _ = bus.run(vnf_id, api.project, "SCALE", SCALE_OUT)
    added = bus.wait_op(op, "COMPLETED")["affected_vnfcs"]
    assert [(a["vdu_id"], a["change_type"]) for a in added] == [("VDU2", "ADDED")]
    vnf = wait_vnf(bus, vnf_id, scale_status=[{"aspect_id": "worker_instance", "scale_level": 1}])
    assert counts(vnf) == {"VDU1": 1, "VDU2": 2}
    api.wait_for_status(added[0]["compute_resource"], "ACTIVE")

    op, _ = bus.run(vnf_id, api.project, "SCALE", SCALE_IN)
    removed = bus.wait_op(op, "COMPLETED")["affected_vnfcs"]
    # The newest VNFC goes first.
    assert [(a["id"], a["change_type"]) for a in removed] == [(added[0]["id"], "REMOVED")]
    api.wait_until_gone(added[0]["compute_resource"])
    assert vnfcs_by_vdu(bus.vnf(vnf_id))["VDU2"] == [first_worker]

    # Beyond max_scale_level: refused, nothing changes.
    too_far = {**SCALE_OUT, "numberOfSteps": 3}
    op, _ = bus.run(vnf_id, api.project, "SCALE", too_far)
    refused = bus.wait_op(op, "FAILED_TEMP")
    assert "outside" in refused["error"]["detail"]
    bus.act(vnf_id, api.project, op, "FAIL")
    bus.wait_op(op, "FAILED")

    level = "instantiation_level_2"
    op, _ = bus.run(vnf_id, api.project, "SCALE_TO_LEVEL", {"instantiationLevelId": level})
    bus.wait_op(op, "COMPLETED")
    vnf = wait_vnf(bus, vnf_id, instantiation_level_id=level)
    assert counts(vnf) == spec.flavour.instances_at_level(level)
    op, _ = bus.run(
        vnf_id,
        api.project,
        "SCALE_TO_LEVEL",
        {"scaleInfo": [{"aspectId": "worker_instance", "scaleLevel": 0}]},
    )
    bus.wait_op(op, "COMPLETED")
    vnf = wait_vnf(bus, vnf_id, scale_status=[{"aspect_id": "worker_instance", "scale_level": 0}])
    assert counts(vnf) == {"VDU1": 1, "VDU2": 1}

    devices = [v["device_id"] for v in vnf["vnfc_resource_info"]]
    op, _ = bus.run(vnf_id, api.project, "TERMINATE", {"terminationType": "FORCEFUL"})
    bus.wait_op(op, "COMPLETED")
    vnf = wait_vnf(bus, vnf_id, instantiation_state="NOT_INSTANTIATED")
    assert vnf["vnfc_resource_info"] == [] and vnf["flavour_id"] is None
    for device_id in devices:
        api.wait_until_gone(device_id)


def test_heal_and_operate_on_the_noop_driver(api: Api, bus: VnfLcmBus) -> None:
    spec = flavour_spec(api)
    vnf_id = uuid.uuid4()
    vnf = instantiate(bus, api, spec, vnf_id)
    healed = vnfcs_by_vdu(vnf)["VDU1"][0]
    op, _ = bus.run(vnf_id, api.project, "HEAL", {"vnfcInstanceId": [healed["id"]]})
    affected = bus.wait_op(op, "COMPLETED")["affected_vnfcs"]
    assert [(a["id"], a["change_type"]) for a in affected] == [(healed["id"], "MODIFIED")]
    new_device = affected[0]["compute_resource"]
    assert new_device != healed["device_id"]
    api.wait_until_gone(healed["device_id"])
    assert api.wait_for_status(new_device, "ACTIVE")["kwargs"]["vnfc_id"] == healed["id"]
    vnf = wait_vnf(bus, vnf_id)
    assert vnfcs_by_vdu(vnf)["VDU1"][0]["device_id"] == new_device

    op, _ = bus.run(vnf_id, api.project, "OPERATE", {"changeStateTo": "STOPPED"})
    bus.wait_op(op, "COMPLETED")
    vnf = wait_vnf(bus, vnf_id, vnf_state="STOPPED")
    assert {v["power_state"] for v in vnf["vnfc_resource_info"]} == {"STOPPED"}
    # The device status model is unchanged: a stopped VNFC's device stays ACTIVE.
    assert {api.device(v["device_id"])["status"] for v in vnf["vnfc_resource_info"]} == {"ACTIVE"}  # type: ignore[index]
    op, _ = bus.run(vnf_id, api.project, "OPERATE", {"changeStateTo": "STARTED"})
    bus.wait_op(op, "COMPLETED")
    vnf = wait_vnf(bus, vnf_id, vnf_state="STARTED")
    assert {v["power_state"] for v in vnf["vnfc_resource_info"]} == {"STARTED"}

    op, _ = bus.run(vnf_id, api.project, "TERMINATE", {"terminationType": "GRACEFUL"})
    bus.wait_op(op, "COMPLETED")
    wait_vnf(bus, vnf_id, instantiation_state="NOT_INSTANTIATED", vnfc_resource_info=[])
