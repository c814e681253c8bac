"""lifecycle's side of VNF LCM, driven over the bus as the api will drive it: each op occ is
a plan of device steps, its VNFCs are ordinary devices (seen through /v1.0/devices)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from shared.contracts.vnflcm import VnfFlavourSpec
from shared.devstack import Suite
from tests.e2e.test_local_cloud import appliance, port_closed, wait_until
from tests.support.api import Api
from tests.support.bus import publish_command
from tests.support.db import fetch
from tests.support.vnflcm import VnfLcmBus, flavour_spec

SCALE_OUT = {"type": "SCALE_OUT", "aspectId": "worker_instance", "numberOfSteps": 1}
SCALE_IN = {"type": "SCALE_IN", "aspectId": "worker_instance", "numberOfSteps": 1}


@pytest.fixture
def bus(suite: Suite) -> Iterator[VnfLcmBus]:
    listener = VnfLcmBus(suite.settings)
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
    spec = flavour_spec(api, bus.settings)
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
    spec = flavour_spec(api, bus.settings)
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


def test_failed_instantiate_keeps_its_work_then_retry_and_rollback(
    api: Api, bus: VnfLcmBus
) -> None:
    spec = flavour_spec(api, bus.settings, {"VDU2": {"attributes": {"noop_fail": "create"}}})
    vnf_id = uuid.uuid4()
    op, _ = bus.run(vnf_id, api.project, "INSTANTIATE", {"flavourId": "simple"}, flavour=spec)
    failed = bus.wait_op(op, "FAILED_TEMP")
    assert "noop driver told to fail at create" in failed["error"]["detail"]
    # The work done is kept: VDU1's device is ACTIVE, VDU2's is in ERROR.
    assert [(a["vdu_id"], a["change_type"]) for a in failed["affected_vnfcs"]] == [
        ("VDU1", "ADDED")
    ]
    vnf = wait_vnf(bus, vnf_id)
    assert vnf["instantiation_state"] == "NOT_INSTANTIATED"
    by_vdu = vnfcs_by_vdu(vnf)
    kept = by_vdu["VDU1"][0]["device_id"]
    broken = by_vdu["VDU2"][0]["device_id"]
    assert api.wait_for_status(kept, "ACTIVE")
    assert api.wait_for_status(broken, "ERROR")

    # Retry re-issues the failed step: a new device for the VNFC, the broken one deleted.
    bus.act(vnf_id, api.project, op, "RETRY")
    bus.wait(lambda: len(bus.ops[str(op)]) >= 4, "the retry's second failure")
    assert [s["operation_state"] for s in bus.ops[str(op)]] == [
        "PROCESSING",
        "FAILED_TEMP",
        "PROCESSING",
        "FAILED_TEMP",
    ]
    api.wait_until_gone(broken)
    retried = vnfcs_by_vdu(wait_vnf(bus, vnf_id))["VDU2"][0]["device_id"]
    assert retried != broken
    api.wait_for_status(retried, "ERROR")

    # A wrong-state action is refused with the real state re-announced.
    revision = bus.op(op)["revision"]
    bus.act(vnf_id, api.project, op, "CANCEL")
    bus.wait(lambda: bus.op(op)["revision"] > revision, "the refusal's re-announcement")
    assert bus.op(op)["operation_state"] == "FAILED_TEMP"

    bus.act(vnf_id, api.project, op, "ROLLBACK")
    bus.wait_op(op, "ROLLED_BACK")
    assert [s["operation_state"] for s in bus.ops[str(op)]][-2:] == ["ROLLING_BACK", "ROLLED_BACK"]
    vnf = wait_vnf(bus, vnf_id, vnfc_resource_info=[])
    assert vnf["instantiation_state"] == "NOT_INSTANTIATED"
    api.wait_until_gone(kept)
    api.wait_until_gone(retried)

    # Instantiating again after the rollback works (a template without the failure).
    good = flavour_spec(api, bus.settings)
    instantiate(bus, api, good, vnf_id)


def test_a_missing_template_fails_the_op_and_fail_ends_it(api: Api, bus: VnfLcmBus) -> None:
    spec = flavour_spec(api, bus.settings)
    missing = spec.model_copy(
        update={"vdu_templates": {**spec.vdu_templates, "VDU2": uuid.uuid4()}}
    )
    vnf_id = uuid.uuid4()
    op, _ = bus.run(vnf_id, api.project, "INSTANTIATE", {"flavourId": "simple"}, flavour=missing)
    failed = bus.wait_op(op, "FAILED_TEMP")
    assert "not found" in failed["error"]["detail"]
    bus.act(vnf_id, api.project, op, "FAIL")
    assert bus.wait_op(op, "FAILED")["error"] is not None
    revision = bus.op(op)["revision"]
    bus.act(vnf_id, api.project, op, "RETRY")  # FAILED is final
    bus.wait(lambda: bus.op(op)["revision"] > revision, "the refusal's re-announcement")
    assert bus.op(op)["operation_state"] == "FAILED"


def test_cancel_stops_issuing_and_a_cancel_before_start_wins(api: Api, bus: VnfLcmBus) -> None:
    # Cancelled while PROCESSING: the in-flight steps settle, then FAILED_TEMP.
    spec = flavour_spec(api, bus.settings, attributes={"noop_delay_seconds": "1"})
    vnf_id = uuid.uuid4()
    op, _ = bus.run(vnf_id, api.project, "INSTANTIATE", {"flavourId": "simple"}, flavour=spec)
    bus.wait_op(op, "PROCESSING")
    bus.act(vnf_id, api.project, op, "CANCEL", cancel_mode="FORCEFUL")
    cancelled = bus.wait_op(op, "FAILED_TEMP")
    assert cancelled["error"]["title"] == "Operation cancelled"
    vnf = wait_vnf(bus, vnf_id)
    assert {api.device(v["device_id"])["status"] for v in vnf["vnfc_resource_info"]} == {"ACTIVE"}  # type: ignore[index]
    bus.act(vnf_id, api.project, op, "ROLLBACK")
    bus.wait_op(op, "ROLLED_BACK")
    wait_vnf(bus, vnf_id, vnfc_resource_info=[])

    # Cancelled while STARTING (lifecycle has not seen it): ROLLED_BACK, the run is ignored.
    other = uuid.uuid4()
    early = uuid.uuid4()
    bus.act(other, api.project, early, "CANCEL", operation="INSTANTIATE")
    bus.wait_op(early, "ROLLED_BACK")
    bus.run(other, api.project, "INSTANTIATE", {"flavourId": "simple"}, flavour=spec, op_id=early)
    later, _ = bus.run(other, api.project, "MODIFY_INFO", {"vnfInstanceName": "x"})
    assert bus.wait_op(later, "COMPLETED")["changed_info"] == {"vnfInstanceName": "x"}
    assert [s["operation_state"] for s in bus.ops[str(early)]] == ["ROLLED_BACK"]
    assert bus.vnf(other)["vnfc_resource_info"] == []


def test_a_redelivered_command_does_not_double_anything(api: Api, bus: VnfLcmBus) -> None:
    spec = flavour_spec(api, bus.settings)
    vnf_id = uuid.uuid4()
    op, envelope = bus.run(
        vnf_id, api.project, "INSTANTIATE", {"flavourId": "simple"}, flavour=spec
    )
    publish_command(bus.amqp_url, envelope)  # the same message again
    bus.wait_op(op, "COMPLETED")
    # Another message with the same op occ id (an api retrying its outbox): no second op.
    bus.run(vnf_id, api.project, "INSTANTIATE", {"flavourId": "simple"}, flavour=spec, op_id=op)
    later, _ = bus.run(vnf_id, api.project, "MODIFY_INFO", {})
    bus.wait_op(later, "COMPLETED")
    assert [s["operation_state"] for s in bus.ops[str(op)]] == ["PROCESSING", "COMPLETED"]
    assert counts(bus.vnf(vnf_id)) == {"VDU1": 1, "VDU2": 1}


def test_lifecycle_killed_mid_instantiate_finishes_the_op(
    suite: Suite, api: Api, bus: VnfLcmBus
) -> None:
    spec = flavour_spec(api, bus.settings, attributes={"noop_delay_seconds": "2"})
    vnf_id = uuid.uuid4()
    op, _ = bus.run(vnf_id, api.project, "INSTANTIATE", {"flavourId": "simple"}, flavour=spec)
    bus.wait_op(op, "PROCESSING")
    suite.kill("lifecycle")
    suite.start("lifecycle")
    bus.wait_op(op, "COMPLETED", timeout=60)
    vnf = wait_vnf(bus, vnf_id, instantiation_state="INSTANTIATED")
    assert counts(vnf) == {"VDU1": 1, "VDU2": 1}
    for vnfc in vnf["vnfc_resource_info"]:
        api.wait_for_status(vnfc["device_id"], "ACTIVE")


def test_on_the_local_cloud_heal_replaces_the_appliance_and_operate_freezes_it(
    api: Api, bus: VnfLcmBus
) -> None:
    spec = flavour_spec(api, bus.settings, device_driver="local", mgmt_driver="http")
    vnf_id = uuid.uuid4()
    vnf = instantiate(bus, api, spec, vnf_id)
    devices = {
        v["id"]: api.wait_for_status(v["device_id"], "ACTIVE") for v in vnf["vnfc_resource_info"]
    }
    healed_id, old = next(iter(devices.items()))
    # mgmt configured each appliance with its device's kwargs: it knows its VNFC.
    assert appliance(old, "/config")["vnfc_id"] == healed_id

    op, _ = bus.run(vnf_id, api.project, "HEAL", {"vnfcInstanceId": [healed_id]})
    new_device = bus.wait_op(op, "COMPLETED")["affected_vnfcs"][0]["compute_resource"]
    new = api.wait_for_status(new_device, "ACTIVE")
    assert new["mgmt_address"] != old["mgmt_address"]
    assert appliance(new, "/config")["vnfc_id"] == healed_id
    api.wait_until_gone(old["id"])
    wait_until(lambda: port_closed(old["mgmt_address"]))

    op, _ = bus.run(vnf_id, api.project, "OPERATE", {"changeStateTo": "STOPPED"})
    bus.wait_op(op, "COMPLETED")
    with pytest.raises(httpx.TimeoutException):  # frozen: it answers nothing
        httpx.get(f"http://{new['mgmt_address']}/health", timeout=0.5)
    op, _ = bus.run(vnf_id, api.project, "OPERATE", {"changeStateTo": "STARTED"})
    bus.wait_op(op, "COMPLETED")
    # Back as it was: same address, same configuration.
    assert appliance(new, "/config")["vnfc_id"] == healed_id

    vnfcs = bus.vnf(vnf_id)["vnfc_resource_info"]
    addresses = [api.wait_for_status(v["device_id"], "ACTIVE")["mgmt_address"] for v in vnfcs]
    op, _ = bus.run(vnf_id, api.project, "TERMINATE", {"terminationType": "FORCEFUL"})
    bus.wait_op(op, "COMPLETED")
    for address in addresses:
        wait_until(lambda address=address: port_closed(address))


def test_an_op_past_its_deadline_ends_failed_temp(suite: Suite, api: Api, bus: VnfLcmBus) -> None:
    spec = flavour_spec(api, bus.settings, attributes={"noop_delay_seconds": "1"})
    vnf_id = uuid.uuid4()
    op, _ = bus.run(vnf_id, api.project, "INSTANTIATE", {"flavourId": "simple"}, flavour=spec)
    bus.wait_op(op, "PROCESSING")
    fetch(
        suite.settings,
        "lifecycle",
        "UPDATE vnf_lcm_op_occs SET deadline = now() - interval '1 second' WHERE id = $1",
        op,
    )
    timed_out = bus.wait_op(op, "FAILED_TEMP", timeout=10)
    assert timed_out["error"]["title"] == "Operation timed out"
    # The steps in flight still settle into the plan; a rollback then removes their devices.
    vnf = wait_vnf(bus, vnf_id)
    for vnfc in vnf["vnfc_resource_info"]:
        api.wait_for_status(vnfc["device_id"], "ACTIVE")
    bus.act(vnf_id, api.project, op, "ROLLBACK")
    bus.wait_op(op, "ROLLED_BACK")
    wait_vnf(bus, vnf_id, vnfc_resource_info=[])


def test_change_flavour_and_external_connectivity(api: Api, bus: VnfLcmBus) -> None:
    vnf_id = uuid.uuid4()
    old = instantiate(bus, api, flavour_spec(api, bus.settings), vnf_id)
    complex_ = flavour_spec(api, bus.settings, package="two_flavours", flavour_id="complex")
    op, _ = bus.run(
        vnf_id, api.project, "CHANGE_FLAVOUR", {"newFlavourId": "complex"}, flavour=complex_
    )
    changed = bus.wait_op(op, "COMPLETED")
    assert {a["change_type"] for a in changed["affected_vnfcs"]} == {"ADDED", "REMOVED"}
    vnf = wait_vnf(bus, vnf_id, flavour_id="complex")
    assert counts(vnf) == complex_.flavour.instances_at_level()
    for vnfc in vnf["vnfc_resource_info"]:
        device = api.wait_for_status(vnfc["device_id"], "ACTIVE")
        assert device["template_id"] == str(complex_.vdu_templates[vnfc["vdu_id"]])
    for vnfc in old["vnfc_resource_info"]:
        api.wait_until_gone(vnfc["device_id"])

    links = [{"id": "ext-1", "resourceId": str(uuid.uuid4())}]
    op, _ = bus.run(vnf_id, api.project, "CHANGE_EXT_CONN", {"extVirtualLinks": links})
    assert bus.wait_op(op, "COMPLETED")["changed_ext_connectivity"] == links
    vnf = wait_vnf(bus, vnf_id, ext_virtual_links=links)
    for vnfc in vnf["vnfc_resource_info"]:
        kwargs = api.wait_for_status(vnfc["device_id"], "ACTIVE")["kwargs"]
        assert kwargs["ext_virtual_links"] == links
        assert kwargs["vnfc_id"] == vnfc["id"]  # the rest kept
