"""Nothing stuck, nothing dropped silently (issue 12, scenarios 2 and 3), through the REST
API: a request the owner never took up ends in ERROR with the reason (the api's own pending
rows, the scheduler's pending service instances, a VNF LCM op occ), and a request refused by the owner's
authoritative state after the api accepted it shows the refusal on the resource. The hours
that pass are written into the rows' timestamps, as in test_resilience."""

from __future__ import annotations

import time
import uuid

from shared.devstack import Suite
from tests.support.api import Api
from tests.support.db import fetch
from tests.support.vnflcm_api import create_vnf, onboard_noop, show_op, task, wait_op


def test_a_delete_whose_command_was_never_taken_up_ends_in_error(suite: Suite, api: Api) -> None:
    template = api.create_template()
    device = api.wait_for_status(api.create_device(template["id"])["id"], "ACTIVE")
    # The api accepted a DELETE two hours ago and lifecycle never heard of it (its command
    # parked as a dead letter, say): the row the client sees is PENDING_DELETE.
    fetch(
        suite.settings,
        "api",
        "UPDATE devices SET status = 'PENDING_DELETE', pending_since = now() - interval '2 hours'"
        " WHERE id = $1",
        uuid.UUID(device["id"]),
    )
    assert api.put(f"/v1.0/devices/{device['id']}", {"device": {"kwargs": {}}}).status_code == 409
    failed = api.wait_for_status(device["id"], "ERROR", timeout=10)
    assert "PENDING_DELETE: lifecycle did not take up the request within" in failed["error_reason"]
    # Not a 409 forever: the client can delete it again, and this time it goes.
    assert api.delete(f"/v1.0/devices/{device['id']}").status_code == 204
    api.wait_until_gone(device["id"])


def test_an_answered_request_is_not_given_up_by_the_api(suite: Suite, api: Api) -> None:
    template = api.create_template()
    device = api.create_device(template["id"])
    api.wait_for_status(device["id"], "ACTIVE")
    rows = fetch(
        suite.settings,
        "api",
        "SELECT pending_since FROM devices WHERE id = $1",
        uuid.UUID(device["id"]),
    )
    assert rows[0]["pending_since"] is None  # lifecycle's answer ended the api's wait


def test_a_placed_service_instance_with_no_answer_ends_in_error(suite: Suite, api: Api) -> None:
    template = api.create_template()
    device = api.wait_for_status(api.create_device(template["id"])["id"], "ACTIVE")
    instance = api.create_instance(api.service_type_id(template), devices=[device["id"]])
    api.wait_for_instance(instance["id"], "ACTIVE")
    # Placed for an update two hours ago, and the configuration's answer never came.
    fetch(
        suite.settings,
        "scheduler",
        "UPDATE service_instances SET status = 'PENDING_UPDATE',"
        " updated_at = now() - interval '2 hours' WHERE id = $1",
        uuid.UUID(instance["id"]),
    )
    failed = api.wait_for_instance(instance["id"], "ERROR", timeout=10)
    assert "PENDING_UPDATE did not finish within" in failed["error_reason"]
    assert api.delete(f"/v1.0/service_instances/{instance['id']}").status_code == 204
    api.wait_until_instance_gone(instance["id"])


def test_an_update_refused_by_lifecycle_shows_the_refusal_on_the_device(
    suite: Suite, api: Api
) -> None:
    template = api.create_template()
    device = api.wait_for_status(api.create_device(template["id"])["id"], "ACTIVE")
    # Lifecycle has just failed the device; the api has not heard yet and accepts a PUT.
    fetch(
        suite.settings,
        "lifecycle",
        "UPDATE devices SET status = 'ERROR', error_reason = 'appliance lost' WHERE id = $1",
        uuid.UUID(device["id"]),
    )
    response = api.put(f"/v1.0/devices/{device['id']}", {"device": {"kwargs": {"a": 1}}})
    assert response.status_code == 200
    refused = api.wait_for_status(device["id"], "ERROR", timeout=10)
    assert refused["error_reason"] == (
        "update refused: the device was ERROR when it arrived; appliance lost"
    )
    assert api.delete(f"/v1.0/devices/{device['id']}").status_code == 204
    api.wait_until_gone(device["id"])


def test_an_update_refused_by_the_scheduler_shows_the_refusal_on_the_instance(
    suite: Suite, api: Api
) -> None:
    template = api.create_template()
    device = api.wait_for_status(api.create_device(template["id"])["id"], "ACTIVE")
    instance = api.create_instance(
        api.service_type_id(template), devices=[device["id"]], managed_by_user=True
    )
    api.wait_for_instance(instance["id"], "ACTIVE")
    fetch(
        suite.settings,
        "scheduler",
        "UPDATE service_instances SET status = 'ERROR' WHERE id = $1",
        uuid.UUID(instance["id"]),
    )
    path = f"/v1.0/service_instances/{instance['id']}"
    assert api.put(path, {"service_instance": {"name": "renamed"}}).status_code == 200
    refused = api.wait_for_instance(instance["id"], "ERROR", timeout=10)
    assert refused["error_reason"] == (
        "update refused: the service instance was ERROR when it arrived"
    )
    assert refused["name"] != "renamed"
    assert api.delete(path).status_code == 204
    api.wait_until_instance_gone(instance["id"])


def test_a_vnf_operation_never_taken_up_fails_and_frees_its_vnf(suite: Suite, api: Api) -> None:
    package = onboard_noop(api)
    vnf = create_vnf(api, package["vnfdId"])
    # The api accepted an INSTANTIATE two hours ago and its command never reached lifecycle.
    lost = uuid.uuid4()
    # One statement, as the api writes them: the deadline job must never see the op occ
    # without its VNF pointing at it (it would fail it and leave the VNF held for good).
    fetch(
        suite.settings,
        "api",
        "WITH op AS (INSERT INTO vnf_lcm_op_occs (id, tenant_id, vnf_instance_id, operation,"
        " operation_state, start_time, state_entered_time, pending_since)"
        " VALUES ($1, $2, $3, 'INSTANTIATE', 'STARTING', now() - interval '2 hours',"
        " now() - interval '2 hours', now() - interval '2 hours') RETURNING id)"
        " UPDATE vnf_instances SET operation_in_progress = (SELECT id FROM op) WHERE id = $3",
        lost,
        api.project,
        uuid.UUID(vnf["id"]),
    )
    failed = wait_op(api, str(lost), "FAILED", timeout=10)
    assert "lifecycle did not take up the INSTANTIATE within" in failed["error"]["detail"]
    # Not a 409 forever: the VNF takes a new operation, and the lost one stays FAILED (its
    # cancel at lifecycle, which keeps a late run command from starting it, changes nothing).
    op_id = task(api, vnf["id"], "instantiate", {"flavourId": "simple"})
    wait_op(api, op_id, "COMPLETED")

    def at_lifecycle() -> list[str]:
        rows = fetch(
            suite.settings, "lifecycle", "SELECT state FROM vnf_lcm_op_occs WHERE id = $1", lost
        )
        return [row["state"] for row in rows]

    deadline = time.monotonic() + 10
    while at_lifecycle() != ["ROLLED_BACK"]:
        assert time.monotonic() < deadline, at_lifecycle()
        time.sleep(0.2)
    assert show_op(api, str(lost))["operationState"] == "FAILED"
