"""The VNF LCM messages: envelopes round-trip, subjects are the VNF instance, bindings exist."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from shared.contracts.envelope import Envelope
from shared.contracts.registry import parse_payload
from shared.contracts.vnflcm import (
    AffectedVnfc,
    OperateVnfc,
    RunVnfLcmOperation,
    VnfcResourceInfo,
    VnfFlavourSpec,
    VnfIdentifierCreated,
    VnfIdentifierDeleted,
    VnfIdentity,
    VnfInstanceChanged,
    VnfInstanceSnapshot,
    VnfLcmOperationAction,
    VnfLcmOpOccChanged,
    VnfLcmOpOccSnapshot,
    VnfLcmOpOccStarted,
)
from shared.messaging.topology import QUEUES
from shared.vnfd.build import sample_package
from shared.vnfd.parser import parse_package

VNF = uuid.uuid4()
NOW = datetime.now(UTC)


def _wrap(message: object) -> Envelope:
    """The envelope as a consumer reads it from the JSON a publisher stores."""
    _, body = Envelope.wrap_json(message, correlation_id="c", tenant_id="p", producer="t")  # type: ignore[arg-type]
    return Envelope.model_validate_json(body)


def test_run_command_carries_the_flavour_and_round_trips() -> None:
    flavour = parse_package(sample_package("simple")).vnfd.flavour("simple")
    spec = VnfFlavourSpec(
        vnfd_id="d", flavour=flavour, vdu_templates={"VDU1": uuid.uuid4(), "VDU2": uuid.uuid4()}
    )
    cmd = RunVnfLcmOperation(
        id=uuid.uuid4(),
        vnf_instance_id=VNF,
        tenant_id="p",
        operation="INSTANTIATE",
        operation_params={"flavourId": "simple"},
        flavour=spec,
    )
    envelope = _wrap(cmd)
    assert envelope.subject_id == str(VNF)
    parsed = parse_payload(envelope)
    assert parsed == cmd
    assert isinstance(parsed, RunVnfLcmOperation)
    assert parsed.flavour is not None
    assert parsed.flavour.flavour.instances_at_level() == {"VDU1": 1, "VDU2": 1}


def test_action_and_events_round_trip_with_the_vnf_as_subject() -> None:
    device = uuid.uuid4()
    op = VnfLcmOpOccSnapshot(
        id=uuid.uuid4(),
        vnf_instance_id=VNF,
        tenant_id="p",
        operation="SCALE",
        operation_state="FAILED_TEMP",
        is_automatic_invocation=False,
        operation_params={},
        start_time=NOW,
        state_entered_time=NOW,
        affected_vnfcs=[
            AffectedVnfc(
                id=uuid.uuid4(), vdu_id="VDU2", change_type="ADDED", compute_resource=device
            )
        ],
        error={"status": 500, "title": "t", "detail": "d"},
        revision=3,
    )
    vnf = VnfInstanceSnapshot(
        id=VNF,
        tenant_id="p",
        instantiation_state="INSTANTIATED",
        vnfc_resource_info=[
            VnfcResourceInfo(id=uuid.uuid4(), vdu_id="VDU1", device_id=device, status="ACTIVE")
        ],
        revision=2,
    )
    action = VnfLcmOperationAction(id=op.id, vnf_instance_id=VNF, tenant_id="p", action="RETRY")
    # Two states of one transaction (PROCESSING, then FAILED_TEMP) in one message.
    processing = op.model_copy(update={"operation_state": "PROCESSING", "revision": 2})
    through = VnfLcmOpOccChanged(op_occ=op, vnf_instance=vnf, passed=[processing])
    for message in (
        action,
        VnfLcmOpOccChanged(op_occ=op),
        through,
        VnfInstanceChanged(vnf_instance=vnf),
    ):
        envelope = _wrap(message)
        assert envelope.subject_id == str(VNF)
        assert parse_payload(envelope) == message
    assert "passed" not in VnfLcmOpOccChanged(op_occ=op).model_dump_json()
    for wrong in (
        [processing.model_copy(update={"id": uuid.uuid4()})],
        [processing.model_copy(update={"revision": op.revision})],
    ):
        with pytest.raises(ValidationError, match="passed"):
            VnfLcmOpOccChanged(op_occ=op, passed=wrong)
    operate = OperateVnfc(
        id=device, vnf_instance_id=VNF, op_occ_id=op.id, change_state_to="STOPPED"
    )
    # A device's power change is ordered with the device's other commands.
    assert _wrap(operate).subject_id == str(device)
    assert parse_payload(_wrap(operate)) == operate


def test_every_vnflcm_type_is_registered() -> None:
    from shared.contracts import vnflcm
    from shared.contracts.registry import MESSAGE_TYPES

    ours = {m.TYPE for m in MESSAGE_TYPES.values() if m.__module__ == vnflcm.__name__}
    assert ours == {
        "lifecycle.run_vnf_lcm_op",
        "lifecycle.vnf_lcm_op_action",
        "lifecycle.operate_vnfc",
        "vnf_lcm_op_occ.changed",
        "vnf_instance.changed",
        "vnf_instance.created",
        "vnf_instance.deleted",
        "vnf_lcm_op_occ.started",
    }


def test_the_api_records_round_trip_and_reach_mgmt() -> None:
    identity = VnfIdentity(
        id=VNF,
        tenant_id="p",
        name=None,
        vnfd_id="d",
        vnf_provider="Company",
        vnf_product_name="Firewall",
        vnf_software_version="1.0",
        vnfd_version="1.0",
    )
    op = VnfLcmOpOccSnapshot(
        id=uuid.uuid4(),
        vnf_instance_id=VNF,
        tenant_id="p",
        operation="INSTANTIATE",
        operation_state="STARTING",
        is_automatic_invocation=False,
        operation_params={},
        start_time=NOW,
        state_entered_time=NOW,
        revision=0,
    )
    for event in (
        VnfIdentifierCreated(vnf_instance=identity),
        VnfIdentifierDeleted(vnf_instance=identity),
        VnfLcmOpOccStarted(vnf_instance=identity, op_occ=op),
    ):
        envelope = _wrap(event)
        assert envelope.subject_id == str(VNF)
        assert parse_payload(envelope) == event
        assert event.TYPE in QUEUES["mgmt"].events
    assert "vnf_lcm_op_occ.changed" in QUEUES["mgmt"].events


def test_commands_reach_lifecycle_and_events_reach_the_api() -> None:
    assert "lifecycle.#" in QUEUES["lifecycle"].commands
    assert {"vnf_lcm_op_occ.changed", "vnf_instance.changed"} <= set(QUEUES["api"].events)
