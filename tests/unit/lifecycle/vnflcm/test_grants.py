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
    remaining,
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


def failed_after_grant() -> opocc.OpOcc:
    """A granted instantiation whose second create failed (the first one is DONE)."""
    given = replace(op_with(create(), create()), grant=Grant(status="GRANTED", grant_id="g1"))
    op, (ok, bad) = opocc.begin(given, NOW, HOUR)
    for step, fine in ((ok, True), (bad, False)):
        settled = opocc.settle(op, step.device_id, frozenset({"CREATE"}), ok=fine, reason="x")
        assert settled is not None
        op, _ = opocc.advance(settled[0], NOW)
    assert op.state == "FAILED_TEMP"
    return op


def test_a_retry_of_granted_work_asks_again_for_what_remains() -> None:
    failed = failed_after_grant()
    done, bad = failed.steps
    retried = opocc.ask_again(failed, opocc.retry(failed, NOW, HOUR, uuid.uuid4))
    assert retried.awaiting_grant and retried.grant is not None
    assert retried.grant.retrying is not None and retried.grant.retrying.steps == failed.steps
    assert opocc.advance(retried, NOW) == (retried, [])  # nothing runs before the answer
    # The request names the new device and the failed one's removal, not the done one.
    left = remaining(retried.steps)
    assert {(s.action, s.device_id == bad.device_id) for s in left} == {
        ("CREATE", False),
        ("DELETE", True),
    }
    assert done.device_id not in {s.device_id for s in left}


def test_a_refused_retry_goes_back_to_the_plan_before_it() -> None:
    failed = failed_after_grant()
    retried = opocc.ask_again(failed, opocc.retry(failed, NOW, HOUR, uuid.uuid4))
    undone = opocc.undo_retry(retried)
    assert undone.steps == failed.steps and undone.grant is not None
    assert (undone.grant.status, undone.grant.grant_id, undone.grant.retrying) == (
        "GRANTED",
        "g1",
        None,
    )
    # A rollback from there deletes the devices the granted work made.
    back = opocc.rollback(undone.enter("FAILED_TEMP", NOW), NOW, HOUR)
    assert {s.device_id for s in back.rollback_steps} == {s.device_id for s in failed.steps}


def test_a_cancel_while_a_retry_waits_for_its_grant_ends_it_at_once() -> None:
    failed = failed_after_grant()
    retried = opocc.ask_again(failed, opocc.retry(failed, NOW, HOUR, uuid.uuid4))
    cancelled, issued = opocc.advance(opocc.cancel(retried, "FORCEFUL", NOW), NOW)
    assert (cancelled.state, issued, cancelled.steps) == ("FAILED_TEMP", [], failed.steps)


def test_a_retry_that_changes_no_resource_is_not_granted_again() -> None:
    given = replace(op_with(), grant=Grant(status="GRANTED", grant_id="g1"))
    stop = Step("STOP", uuid.uuid4(), "VDU1", uuid.uuid4(), status="FAILED")
    failed = replace(given, steps=(stop,)).enter("PROCESSING", NOW).enter("FAILED_TEMP", NOW)
    retried = opocc.retry(failed, NOW, HOUR, uuid.uuid4)
    assert opocc.ask_again(failed, retried) is retried
