"""The SOL003 state rules over /vnflcm/v1: FAILED_TEMP then retry, rollback, fail; cancel;
one operation at a time (the row lock and the unique partial index); every 404, 405, 406,
409, 412 and 422 the rules name; tenancy."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import asyncpg
import pytest

from shared.devstack import Suite
from tests.support.api import Api
from tests.support.db import fetch
from tests.support.vnflcm_api import (
    INSTANCES,
    OP_OCCS,
    assert_problem,
    create_vnf,
    onboard_noop,
    post_task,
    show_op,
    task,
    wait_op,
    wait_vnf,
)

SCALE_OUT = {"type": "SCALE_OUT", "aspectId": "worker_instance", "numberOfSteps": 1}
FORCEFUL = {"terminationType": "FORCEFUL"}


def test_failed_temp_then_retry_rollback_and_fail(api: Api) -> None:
    package = onboard_noop(api, noop_fail="create")
    vnf = create_vnf(api, package["vnfdId"])
    op_id = task(api, vnf["id"], "instantiate", {"flavourId": "simple"})
    failed = wait_op(api, op_id, "FAILED_TEMP")
    assert failed["error"]["status"] and failed["error"]["detail"]
    # Only FAILED_TEMP ops take retry/rollback/fail; cancel only while running.
    assert_problem(api.post(f"{OP_OCCS}/{op_id}/cancel", {"cancelMode": "FORCEFUL"}), 409)
    # Another task while this one is not final: 409.
    assert_problem(post_task(api, vnf["id"], "instantiate", {"flavourId": "simple"}), 409)

    assert api.post(f"{OP_OCCS}/{op_id}/retry", {}).status_code == 202
    wait_op(api, op_id, "FAILED_TEMP")
    assert api.post(f"{OP_OCCS}/{op_id}/rollback", {}).status_code == 202
    wait_op(api, op_id, "ROLLED_BACK")
    for action in ("retry", "rollback", "fail"):
        assert_problem(api.post(f"{OP_OCCS}/{op_id}/{action}", {}), 409)
    vnf = wait_vnf(
        api, vnf["id"], lambda v: v["instantiationState"] == "NOT_INSTANTIATED", "rolled back"
    )

    again = task(api, vnf["id"], "instantiate", {"flavourId": "simple"})
    wait_op(api, again, "FAILED_TEMP")
    response = api.post(f"{OP_OCCS}/{again}/fail", {})
    assert response.status_code == 200, response.text
    assert response.json()["operationState"] == "FAILED"
    assert_problem(api.post(f"{OP_OCCS}/{again}/fail", {}), 409)
    # FAILED is final: the instance takes a new task at once.
    third = task(api, vnf["id"], "instantiate", {"flavourId": "simple"})
    wait_op(api, third, "FAILED_TEMP")


def test_cancel_a_running_instantiate(api: Api) -> None:
    package = onboard_noop(api, noop_delay_seconds="3")
    vnf = create_vnf(api, package["vnfdId"])
    op_id = task(api, vnf["id"], "instantiate", {"flavourId": "simple"})
    response = api.post(f"{OP_OCCS}/{op_id}/cancel", {"cancelMode": "GRACEFUL"})
    assert response.status_code == 202, response.text
    assert show_op(api, op_id)["isCancelPending"] is True
    assert_problem(api.post(f"{OP_OCCS}/{op_id}/cancel", {"cancelMode": "GRACEFUL"}), 409)
    deadline = time.monotonic() + 30
    op = show_op(api, op_id)
    while (
        op["operationState"] not in ("FAILED_TEMP", "ROLLED_BACK") and time.monotonic() < deadline
    ):
        time.sleep(0.2)
        op = show_op(api, op_id)
    assert op["operationState"] in ("FAILED_TEMP", "ROLLED_BACK"), op
    if op["operationState"] == "FAILED_TEMP":
        assert api.post(f"{OP_OCCS}/{op_id}/rollback", {}).status_code == 202
        wait_op(api, op_id, "ROLLED_BACK")
    wait_vnf(api, vnf["id"], lambda v: v["instantiationState"] == "NOT_INSTANTIATED", "back")


def test_one_operation_at_a_time_even_when_racing(api: Api, suite: Suite) -> None:
    package = onboard_noop(api, noop_delay_seconds="1")
    vnf = create_vnf(api, package["vnfdId"])
    statuses: list[int] = []

    def post() -> None:
        client = api.as_project(api.project)
        statuses.append(
            post_task(client, vnf["id"], "instantiate", {"flavourId": "simple"}).status_code
        )
        client.close()

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [202, 409, 409, 409, 409, 409]
    # The database itself refuses a second unfinished op occ (as another replica's insert).
    insert = (
        "INSERT INTO api.vnf_lcm_op_occs (id, tenant_id, vnf_instance_id, operation,"
        " operation_state, start_time, state_entered_time)"
        " VALUES ($1, $2, $3, 'HEAL', $4, now(), now())"
    )
    vnf_uuid = uuid.UUID(vnf["id"])
    with pytest.raises(asyncpg.UniqueViolationError):
        fetch(suite.settings, "api", insert, uuid.uuid4(), api.project, vnf_uuid, "STARTING")
    # A finished one is no obstacle.
    fetch(suite.settings, "api", insert, uuid.uuid4(), api.project, vnf_uuid, "FAILED")


def test_errors_named_by_the_state_rules(api: Api) -> None:
    package = onboard_noop(api)
    vnfd_id = package["vnfdId"]
    missing = uuid.uuid4()
    assert_problem(api.post(INSTANCES, {"vnfdId": "no-such-vnfd"}), 422)
    assert_problem(api.post(INSTANCES, {"vnfInstanceName": "no vnfdId"}), 400)
    assert_problem(api.get(f"{INSTANCES}/{missing}"), 404)
    assert_problem(api.delete(f"{INSTANCES}/{missing}"), 404)
    assert_problem(post_task(api, str(missing), "terminate", FORCEFUL), 404)
    assert_problem(api.get(f"{OP_OCCS}/{missing}"), 404)
    assert_problem(api.post(f"{OP_OCCS}/{missing}/retry", {}), 404)
    assert_problem(api.put(INSTANCES, {}), 405)
    assert_problem(api.http.delete(OP_OCCS), 405)
    assert_problem(api.http.get(INSTANCES, headers={"Version": "9.9.9"}), 406)

    vnf = create_vnf(api, vnfd_id)
    # Another project does not see it.
    other = api.as_project(f"other-{uuid.uuid4().hex[:6]}")
    assert_problem(other.get(f"{INSTANCES}/{vnf['id']}"), 404)
    assert_problem(post_task(other, vnf["id"], "instantiate", {"flavourId": "simple"}), 404)
    assert vnf["id"] not in [v["id"] for v in other.get(INSTANCES).json()]
    other.close()
    # NOT_INSTANTIATED: only instantiate.
    for name, body in (
        ("terminate", FORCEFUL),
        ("scale", SCALE_OUT),
        ("scale_to_level", {"instantiationLevelId": "instantiation_level_2"}),
        ("heal", {}),
        ("operate", {"changeStateTo": "STOPPED"}),
        ("change_flavour", {"newFlavourId": "simple"}),
        ("change_ext_conn", {"extVirtualLinks": [{"id": "l1", "resourceId": "n1"}]}),
    ):
        assert_problem(post_task(api, vnf["id"], name, body), 409)
    # Bodies and what they name.
    assert_problem(post_task(api, vnf["id"], "instantiate", {}), 400)
    assert_problem(post_task(api, vnf["id"], "instantiate", {"flavourId": "nope"}), 422)
    bad_level = {"flavourId": "simple", "instantiationLevelId": "nope"}
    assert_problem(post_task(api, vnf["id"], "instantiate", bad_level), 422)
    unregistered = {"id": "v1", "vimId": str(uuid.uuid4()), "vimType": "openstack"}
    with_vim: dict[str, Any] = {"flavourId": "simple", "vimConnectionInfo": [unregistered]}
    assert_problem(post_task(api, vnf["id"], "instantiate", with_vim), 422)
    inline = {"id": "v1", "vimType": "ETSINFV.OPENSTACK_KEYSTONE.v_2", "accessInfo": {}}
    detail = assert_problem(
        post_task(
            api, vnf["id"], "instantiate", {"flavourId": "simple", "vimConnectionInfo": [inline]}
        ),
        422,
    )["detail"]
    assert "/v1.0/vims" in detail
    # Nothing was started by any of these.
    assert api.get(OP_OCCS, filter=f"(eq,vnfInstanceId,{vnf['id']})").json() == []
