"""The pure parts of /vnflcm: request bodies, state rules, rendering, the VNFD checks,
If-Match and the vimConnectionInfo merge."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError

from servicevm_api.etsi.problem import ProblemError
from servicevm_api.vnflcm import flavours
from servicevm_api.vnflcm.instances import check_if_match, merge_vim_connections
from servicevm_api.vnflcm.rendering import etag, instantiated_vnf_info, vnf_instance, vnf_lcm_op_occ
from servicevm_api.vnflcm.schemas import (
    InstantiateVnfRequest,
    ScaleVnfRequest,
    ScaleVnfToLevelRequest,
    TerminateVnfRequest,
)
from servicevm_api.vnflcm.states import action_allowed, is_final
from shared.contracts.vnflcm import VnfcResourceInfo, VnfInstanceSnapshot
from shared.vnfd.build import sample_package
from shared.vnfd.parser import parse_package

BASE = "http://vnfm"


def instance_row(**overrides: Any) -> dict[str, Any]:
    row = {
        "id": uuid.uuid4(),
        "name": "fw",
        "description": None,
        "vnfd_id": "vnfd",
        "vnf_provider": "p",
        "vnf_product_name": "n",
        "vnf_software_version": "1",
        "vnfd_version": "1",
        "vnf_package_id": uuid.uuid4(),
        "vnf_configurable_properties": {},
        "vim_connection_info": [],
        "instantiation_state": "NOT_INSTANTIATED",
        "vnf_metadata": {"a": 1},
        "extensions": {},
        "instantiated_vnf_info": None,
        "version": 3,
    }
    return {**row, **overrides}


def test_state_rules_are_sol003s() -> None:
    for action in ("RETRY", "ROLLBACK", "FAIL"):
        assert action_allowed(action, "FAILED_TEMP")
        for state in ("STARTING", "PROCESSING", "COMPLETED", "ROLLING_BACK", "FAILED"):
            assert not action_allowed(action, state)
    for state in ("STARTING", "PROCESSING", "ROLLING_BACK"):
        assert action_allowed("CANCEL", state)
    for state in ("FAILED_TEMP", "COMPLETED", "FAILED", "ROLLED_BACK"):
        assert not action_allowed("CANCEL", state)
    assert {s for s in ("COMPLETED", "FAILED", "ROLLED_BACK", "FAILED_TEMP") if is_final(s)} == {
        "COMPLETED",
        "FAILED",
        "ROLLED_BACK",
    }


def test_request_bodies_refuse_what_sol003_does() -> None:
    with pytest.raises(ValidationError):
        InstantiateVnfRequest.model_validate({})
    with pytest.raises(ValidationError):
        TerminateVnfRequest.model_validate({"terminationType": "SOMETIMES"})
    with pytest.raises(ValidationError):
        ScaleVnfRequest.model_validate({"type": "SCALE_OUT", "aspectId": "a", "numberOfSteps": 0})
    with pytest.raises(ValidationError):
        ScaleVnfToLevelRequest.model_validate({})
    sent = {"flavourId": "simple", "vendorThing": {"x": 1}}
    assert InstantiateVnfRequest.model_validate(sent).params() == sent


def test_a_vnf_instance_renders_its_links_by_state() -> None:
    row = instance_row()
    body = vnf_instance(row, BASE)
    assert set(body["_links"]) == {"self", "instantiate"}
    assert body["metadata"] == {"a": 1} and "vnfInstanceDescription" not in body
    assert "instantiatedVnfInfo" not in body
    on = vnf_instance(
        instance_row(instantiation_state="INSTANTIATED", instantiated_vnf_info={"flavourId": "f"}),
        BASE,
    )
    assert "instantiate" not in on["_links"] and "scaleToLevel" in on["_links"]
    assert on["instantiatedVnfInfo"] == {"flavourId": "f"}


def test_instantiated_vnf_info_names_the_device_of_each_vnfc() -> None:
    vnfc = VnfcResourceInfo(id=uuid.uuid4(), vdu_id="VDU1", device_id=uuid.uuid4(), status="ACTIVE")
    snapshot = VnfInstanceSnapshot(
        id=uuid.uuid4(),
        tenant_id="t",
        instantiation_state="INSTANTIATED",
        flavour_id="simple",
        vnf_state="STARTED",
        vnfc_resource_info=[vnfc],
        revision=2,
    )
    info = instantiated_vnf_info(snapshot)
    assert info is not None
    assert info["vnfcResourceInfo"][0]["computeResource"]["resourceId"] == str(vnfc.device_id)
    assert info["vnfcResourceInfo"][0]["vduId"] == "VDU1"
    gone = snapshot.model_copy(update={"instantiation_state": "NOT_INSTANTIATED"})
    assert instantiated_vnf_info(gone) is None


def test_an_op_occ_renders_sol003_members() -> None:
    at = datetime.now(UTC)
    row = {
        "id": uuid.uuid4(),
        "vnf_instance_id": uuid.uuid4(),
        "operation": "SCALE",
        "operation_state": "FAILED_TEMP",
        "is_automatic_invocation": False,
        "operation_params": {"type": "SCALE_OUT"},
        "start_time": at,
        "state_entered_time": at,
        "is_cancel_pending": False,
        "cancel_mode": None,
        "affected_vnfcs": [
            {"id": "c", "vdu_id": "VDU2", "change_type": "ADDED", "compute_resource": "d"}
        ],
        "changed_info": None,
        "changed_ext_connectivity": None,
        "error": {"status": 500, "detail": "x"},
    }
    body = vnf_lcm_op_occ(row, BASE)
    assert body["resourceChanges"]["affectedVnfcs"][0]["computeResource"]["resourceId"] == "d"
    assert body["error"]["detail"] == "x" and "cancelMode" not in body
    assert body["_links"]["vnfInstance"]["href"].endswith(str(row["vnf_instance_id"]))


def test_if_match_compares_the_etag() -> None:
    row = SimpleNamespace(_mapping=instance_row())
    tag = etag(row._mapping)
    check_if_match(row, None)  # type: ignore[arg-type]
    check_if_match(row, tag)  # type: ignore[arg-type]
    check_if_match(row, "*")  # type: ignore[arg-type]
    with pytest.raises(ProblemError) as refused:
        check_if_match(row, '"other"')  # type: ignore[arg-type]
    assert refused.value.problem.status == 412


def test_vim_connections_merge_by_id() -> None:
    merged = merge_vim_connections(
        [{"id": "a", "vimId": "1"}, {"id": "b", "vimId": "2"}],
        [{"id": "b", "vimId": "3"}, {"id": "c", "vimId": "4"}],
    )
    assert merged == [
        {"id": "a", "vimId": "1"},
        {"id": "b", "vimId": "3"},
        {"id": "c", "vimId": "4"},
    ]


def test_the_vnfd_checks_name_flavour_level_and_aspect() -> None:
    vnfd = parse_package(sample_package("simple")).vnfd
    vnfd_json = vnfd.model_dump(mode="json")
    package = SimpleNamespace(
        id=uuid.uuid4(),
        vnfd_id=vnfd.descriptor_id,
        vnfd=vnfd_json,
        vdu_templates={"simple": {"VDU1": str(uuid.uuid4()), "VDU2": str(uuid.uuid4())}},
    )
    spec = flavours.flavour_spec(package, "simple", "instantiation_level_2")
    assert set(spec.vdu_templates) == {"VDU1", "VDU2"}
    for flavour_id, level in (("nope", None), ("simple", "nope")):
        with pytest.raises(ProblemError) as refused:
            flavours.flavour_spec(package, flavour_id, level)
        assert refused.value.problem.status == 422
    flavour = flavours.flavour_of(vnfd_json, "simple")
    info = {"scaleStatus": [{"aspectId": "worker_instance", "scaleLevel": 2}]}
    flavours.check_scale(flavour, info, {"type": "SCALE_IN", "aspectId": "worker_instance"})
    with pytest.raises(ProblemError):  # beyond max_scale_level 2
        flavours.check_scale(flavour, info, {"type": "SCALE_OUT", "aspectId": "worker_instance"})
    with pytest.raises(ProblemError):
        flavours.check_scale_to_level(flavour, {"scaleInfo": [{"aspectId": "x", "scaleLevel": 1}]})
