"""VNF LCM when things go wrong: failed steps, retry, rollback, fail, cancel, a redelivered
command, a killed worker and an op past its deadline."""

from __future__ import annotations

import uuid

from shared.devstack import Suite
from tests.support.api import Api
from tests.support.bus import publish_command
from tests.support.db import fetch
from tests.support.vnflcm import (
    VnfLcmBus,
    counts,
    flavour_spec,
    instantiate,
    vnfcs_by_vdu,
    wait_vnf,
)


def roll_back_once_settled(api: Api, bus: VnfLcmBus, vnf_id: uuid.UUID, op: uuid.UUID) -> None:
    """Once the VNFCs' devices are ACTIVE (settled in lifecycle; the api's device view
    follows on the bus), roll the op back: ROLLED_BACK, and the VNF has no VNFC left."""
    vnf = wait_vnf(bus, vnf_id)
    for vnfc in vnf["vnfc_resource_info"]:
        api.wait_for_status(vnfc["device_id"], "ACTIVE")
    bus.act(vnf_id, api.project, op, "ROLLBACK")
    bus.wait_op(op, "ROLLED_BACK")
    wait_vnf(bus, vnf_id, vnfc_resource_info=[])


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
    roll_back_once_settled(api, bus, vnf_id, op)

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
    roll_back_once_settled(api, bus, vnf_id, op)


def test_a_retry_done_at_once_is_announced_through_processing(api: Api, bus: VnfLcmBus) -> None:
    """A retry whose steps all run where it starts (an in-process driver's create) still
    goes through PROCESSING, announced, before the state it ends in: each state an op
    enters is notified. Here VDU2's create fails; the rollback fails too (VDU1's delete);
    the retry makes VDU2's rolled-back VNFC again (only that), which fails at once."""
    spec = flavour_spec(
        api,
        bus.settings,
        {
            "VDU1": {"attributes": {"noop_fail": "delete"}},
            "VDU2": {"attributes": {"noop_fail": "create"}},
        },
    )
    vnf_id = uuid.uuid4()
    op, _ = bus.run(vnf_id, api.project, "INSTANTIATE", {"flavourId": "simple"}, flavour=spec)
    bus.wait_op(op, "FAILED_TEMP")
    bus.act(vnf_id, api.project, op, "ROLLBACK")
    bus.wait(lambda: len(bus.ops[str(op)]) >= 4, "the rollback's failure")
    bus.act(vnf_id, api.project, op, "RETRY")
    bus.wait(lambda: len(bus.ops[str(op)]) >= 6, "the retry's failure")
    assert [s["operation_state"] for s in bus.ops[str(op)]] == [
        "PROCESSING",
        "FAILED_TEMP",
        "ROLLING_BACK",
        "FAILED_TEMP",
        "PROCESSING",
        "FAILED_TEMP",
    ]
    assert "noop driver told to fail at create" in bus.op(op)["error"]["detail"]
