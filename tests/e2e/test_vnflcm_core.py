"""lifecycle's side of VNF LCM, driven over the bus as the api will drive it: each op occ is
a plan of device steps, its VNFCs are ordinary devices (seen through /v1.0/devices)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from shared.messaging.topology import COMMANDS, EVENTS
from tests.e2e.test_local_cloud import appliance, port_closed, wait_until
from tests.support.api import Api
from tests.support.bus import NotificationListener
from tests.support.vnflcm import (
    VnfLcmBus,
    counts,
    flavour_spec,
    instantiate,
    vnfcs_by_vdu,
    wait_vnf,
)

SCALE_OUT = {"type": "SCALE_OUT", "aspectId": "worker_instance", "numberOfSteps": 1}
SCALE_IN = {"type": "SCALE_IN", "aspectId": "worker_instance", "numberOfSteps": 1}


def test_instantiate_scale_and_terminate(api: Api, bus: VnfLcmBus) -> None:
    spec = flavour_spec(api, bus.settings)
    vnf_id = uuid.uuid4()
    op, _ = bus.run(vnf_id, api.project, "INSTANTIATE", {"flavourId": "simple"}, flavour=spec)
    done = bus.wait_op(op, "COMPLETED")
    assert [s["operation_state"] for s in bus.ops[str(op)]] == ["PROCESSING", "COMPLETED"]
    # noop builds in lifecycle's process: the op's own transaction builds its VNFCs and
    # completes, announced in one message: PROCESSING, then COMPLETED with the VNF.
    assert bus.messages[str(vnf_id)] == [("vnf_lcm_op_occ.changed", "COMPLETED")]
    assert len(bus.vnfs[str(vnf_id)][0]["vnfc_resource_info"]) == 2
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
    bus.wait(lambda: vnfcs_by_vdu(bus.vnf(vnf_id))["VDU2"] == [first_worker], "the scaled-in VNF")

    # Beyond max_scale_level: refused, nothing changes.
    too_far = {**SCALE_OUT, "numberOfSteps": 3}
    op, _ = bus.run(vnf_id, api.project, "SCALE", too_far)
    refused = bus.wait_op(op, "FAILED_TEMP")
    assert "outside" in refused["error"]["detail"]
    # A retry meets the same refusal, and says so through PROCESSING as any retry does.
    bus.act(vnf_id, api.project, op, "RETRY")
    bus.wait(lambda: len(bus.ops[str(op)]) == 4, "the retried refusal")
    assert [s["operation_state"] for s in bus.ops[str(op)]] == [
        "PROCESSING",
        "FAILED_TEMP",
        "PROCESSING",
        "FAILED_TEMP",
    ]
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


@pytest.mark.parametrize(
    ("attributes", "built_by_commands"),
    [({}, False), ({"noop_delay_seconds": "0.2"}, True)],
    ids=["in-process", "with-a-delay"],
)
def test_who_builds_the_vnfcs(
    api: Api, bus: VnfLcmBus, attributes: dict[str, str], built_by_commands: bool
) -> None:
    """A driver that works in lifecycle's process (noop without a delay) has the op build
    its VNFCs in the op's own transaction: no create command goes round the bus. One that
    does not (a delay makes noop wait like a cloud) gets a create command per VNFC, and the
    op completes when both have reported. Either way each VNFC is a device announced
    PENDING_CREATE, then ACTIVE, as any other: built in the op's transaction, both states
    in one message; built by its own commands, in a message each."""
    creates = NotificationListener(bus.settings.amqp_url, "lifecycle.create_device", COMMANDS)
    changes = NotificationListener(bus.settings.amqp_url, "device.status_changed", EVENTS)

    def messages(device_id: str) -> list[list[str]]:
        """The statuses each message about the device announced, message by message."""
        payloads = (body["payload"] for _, body in changes.received)
        return [
            [state["status"] for state in [*p.get("passed", []), p["device"]]]
            for p in payloads
            if p["device"]["id"] == device_id
        ]

    def statuses(device_id: str) -> list[str]:
        return [status for message in messages(device_id) for status in message]

    try:
        spec = flavour_spec(api, bus.settings, attributes=attributes)
        vnf_id = uuid.uuid4()
        op, _ = bus.run(vnf_id, api.project, "INSTANTIATE", {"flavourId": "simple"}, flavour=spec)
        bus.wait_op(op, "COMPLETED")
        vnf = wait_vnf(bus, vnf_id, instantiation_state="INSTANTIATED")
        devices = sorted(v["device_id"] for v in vnf["vnfc_resource_info"])
        assert len(devices) == 2
        for device_id in devices:
            api.wait_for_status(device_id, "ACTIVE")
        changes.wait_for(
            lambda _: all(statuses(d) == ["PENDING_CREATE", "ACTIVE"] for d in devices),
            timeout=10,
        )
        creates.drain(0.5)  # a create command would have come before the op completed
        created = sorted(body["payload"]["id"] for _, body in creates.received)
        assert [c for c in created if c in devices] == (devices if built_by_commands else [])
        expected = (
            [["PENDING_CREATE"], ["ACTIVE"]]
            if built_by_commands
            else [["PENDING_CREATE", "ACTIVE"]]
        )
        assert all(messages(d) == expected for d in devices)
    finally:
        creates.close()
        changes.close()


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
