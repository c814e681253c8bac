"""External NFVO grants, the pure part: the GrantRequest of a plan, what a Grant places
where, and that no step of a plan is issued before its grant is given."""

from __future__ import annotations

import uuid
from dataclasses import replace

from servicevm_lifecycle.vnflcm.domain import opocc
from servicevm_lifecycle.vnflcm.domain.grants import (
    Grant,
    granted_vim_ids,
    granted_zones,
    request_body,
)
from servicevm_lifecycle.vnflcm.domain.model import Step, Vnf
from tests.unit.lifecycle.vnflcm.test_opocc import HOUR, NOW, create, op_with


def delete(vdu: str = "VDU2") -> Step:
    return Step("DELETE", uuid.uuid4(), vdu, uuid.uuid4())


def test_the_request_names_what_the_plan_adds_and_removes() -> None:
    added, removed = create(), delete()
    stop = replace(delete(), action="STOP")
    op = op_with(added, removed, stop)
    vnf = Vnf(id=op.vnf_instance_id, tenant_id="p")
    body = request_body(
        op_id=op.id,
        operation="HEAL",
        is_automatic_invocation=True,
        vnf=vnf,
        steps=op.steps,
        params={"instantiationLevelId": "big"},
        flavour_vnfd=("vnfd-1", "simple"),
        api_url="http://vnfm:9890",
    )
    assert body["addResources"] == [
        {
            "id": str(added.device_id),
            "type": "COMPUTE",
            "vduId": "VDU1",
            "resourceTemplateId": "VDU1",
        }
    ]
    (gone,) = body["removeResources"]
    assert (gone["vduId"], gone["resource"]["resourceId"]) == ("VDU2", str(removed.device_id))
    assert (body["vnfdId"], body["flavourId"], body["operation"]) == ("vnfd-1", "simple", "HEAL")
    assert body["isAutomaticInvocation"] is True and body["instantiationLevelId"] == "big"
    assert body["vnfLcmOpOccId"] == str(op.id) and body["vnfInstanceId"] == str(vnf.id)
    assert body["_links"]["vnfLcmOpOcc"]["href"] == (
        f"http://vnfm:9890/vnflcm/v1/vnf_lcm_op_occs/{op.id}"
    )


def test_zones_and_vims_of_a_grant() -> None:
    device = str(uuid.uuid4())
    vim = uuid.uuid4()
    grant = {
        "id": "g",
        "zones": [{"id": "z1", "zoneId": "az-north"}, {"id": "z2"}],
        "addResources": [
            {"resourceDefinitionId": device, "zoneId": "z1"},
            {"resourceDefinitionId": "other", "zoneId": "unknown"},
        ],
        "vimConnectionInfo": {"a": {"vimId": str(vim)}, "b": {"vimId": "not-a-uuid"}},
    }
    assert granted_zones(grant) == {device: "az-north"}
    assert granted_vim_ids(grant) == [vim]
    assert granted_vim_ids({"vimConnections": [{"vimId": str(vim)}]}) == [vim]
    assert granted_zones({"id": "g"}) == {} and granted_vim_ids({"id": "g"}) == []


def test_no_step_is_issued_before_the_grant() -> None:
    waiting = replace(op_with(create(), create()), grant=Grant())
    processing = waiting.enter("PROCESSING", NOW, deadline=NOW + HOUR)
    assert opocc.advance(processing, NOW) == (processing, [])
    given = replace(processing, grant=Grant(status="GRANTED", grant_id="g"))
    _, issued = opocc.advance(given, NOW)
    assert len(issued) == 2


def test_a_rollback_runs_while_the_grant_is_missing() -> None:
    """Nothing was done: rolling back an op whose grant never came ends at once."""
    waiting = replace(op_with(create()), grant=Grant())
    failed = waiting.enter("PROCESSING", NOW).enter("FAILED_TEMP", NOW)
    rolled, issued = opocc.advance(opocc.rollback(failed, NOW, HOUR), NOW)
    assert (rolled.state, issued) == ("ROLLED_BACK", [])
