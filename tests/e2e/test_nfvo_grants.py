"""External NFVO mode (SOL003 Grant, SOL005 onboarded packages) against the NFVO simulator:
every operation asks for a grant naming the resources it adds and removes, a refusal rolls
the op back with the NFVO's reason, an NFVO that is down or too slow leaves it FAILED_TEMP
(and a retry completes once it is back), an asynchronous grant is polled, and a package
that lives only in the NFVO is fetched, onboarded and instantiated."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from servicevm_nfvosim import NfvoSimulator
from shared.devstack import Suite
from shared.messaging.topology import EVENTS
from tests.support.api import Api
from tests.support.bus import NotificationListener
from tests.support.nfvo import NFVO_TIMEOUT_SECONDS, running_nfvo_suite
from tests.support.vims import wait_checked
from tests.support.vnflcm_api import (
    INSTANCES,
    OP_OCCS,
    counts,
    create_vnf,
    onboard_noop,
    show_op,
    show_vnf,
    task,
    vnfcs,
    wait_op,
    wait_vnf,
)

NOOP = {"device_driver": "noop", "mgmt_driver": "noop"}
SCALE_OUT = {"type": "SCALE_OUT", "aspectId": "worker_instance", "numberOfSteps": 1}
SCALE_IN = {**SCALE_OUT, "type": "SCALE_IN"}


@pytest.fixture(scope="module")
def nfvo() -> Iterator[NfvoSimulator]:
    with NfvoSimulator() as sim:
        yield sim


@pytest.fixture(scope="module")
def nfvo_suite(nfvo: NfvoSimulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    yield from running_nfvo_suite(nfvo, tmp_path_factory.mktemp("nfvo-logs"))


@pytest.fixture
def client(nfvo_suite: Suite, nfvo: NfvoSimulator) -> Iterator[Api]:
    nfvo.behave()  # grants, at once, by default
    api = Api(nfvo_suite.url("api"))
    yield api
    api.close()


def grant_request(nfvo: NfvoSimulator, op_id: str) -> dict[str, Any]:
    (request,) = nfvo.state.requests_for(op_id)
    return request


def vdus(resources: list[dict[str, Any]]) -> list[str]:
    for resource in resources:
        assert resource["type"] == "COMPUTE" and resource["resourceTemplateId"] == resource["vduId"]
    return sorted(r["vduId"] for r in resources)


def removed_devices(request: dict[str, Any]) -> set[str]:
    return {r["resource"]["resourceId"] for r in request["removeResources"]}


def device_ids(vnf: dict[str, Any], vdu: str) -> set[str]:
    return {v["computeResource"]["resourceId"] for v in vnfcs(vnf).get(vdu, [])}


def instantiate(api: Api, vnf_id: str) -> str:
    return task(api, vnf_id, "instantiate", {"flavourId": "simple"})


def test_every_operation_asks_for_its_grant(client: Api, nfvo: NfvoSimulator) -> None:
    nfvo.behave(zone_id="az-granted")
    package = onboard_noop(client)
    vnf_id = create_vnf(client, package["vnfdId"])["id"]
    op_id = instantiate(client, vnf_id)
    op = wait_op(client, op_id, "COMPLETED")
    asked = grant_request(nfvo, op_id)
    assert op["grantId"] == nfvo.state.grants[op_id]
    assert (asked["operation"], asked["vnfInstanceId"]) == ("INSTANTIATE", vnf_id)
    assert (asked["vnfdId"], asked["flavourId"]) == (package["vnfdId"], "simple")
    assert asked["isAutomaticInvocation"] is False
    assert asked["_links"]["vnfLcmOpOcc"]["href"].endswith(f"/vnf_lcm_op_occs/{op_id}")
    assert vdus(asked["addResources"]) == ["VDU1", "VDU2"] and asked["removeResources"] == []
    vnf = wait_vnf(client, vnf_id, lambda v: counts(v) == {"VDU1": 1, "VDU2": 1}, "built")
    # Each device was built where the grant put it, and is the resource the grant named.
    granted_ids = {r["id"] for r in asked["addResources"]}
    assert device_ids(vnf, "VDU1") | device_ids(vnf, "VDU2") == granted_ids
    for device_id in granted_ids:
        assert client.wait_for_status(device_id, "ACTIVE")["availability_zone"] == "az-granted"

    op_id = task(client, vnf_id, "scale", SCALE_OUT)
    wait_op(client, op_id, "COMPLETED")
    asked = grant_request(nfvo, op_id)
    assert asked["operation"] == "SCALE"
    assert vdus(asked["addResources"]) == ["VDU2"] and asked["removeResources"] == []
    vnf = wait_vnf(client, vnf_id, lambda v: counts(v)["VDU2"] == 2, "scaled out")
    added = asked["addResources"][0]["id"]
    assert added in device_ids(vnf, "VDU2")

    op_id = task(client, vnf_id, "scale", SCALE_IN)
    wait_op(client, op_id, "COMPLETED")
    asked = grant_request(nfvo, op_id)
    assert asked["addResources"] == [] and vdus(asked["removeResources"]) == ["VDU2"]
    assert removed_devices(asked) == {added}

    old = device_ids(vnf, "VDU1")
    (vnfc,) = vnfcs(vnf)["VDU1"]
    op_id = task(client, vnf_id, "heal", {"vnfcInstanceId": [vnfc["id"]]})
    wait_op(client, op_id, "COMPLETED")
    asked = grant_request(nfvo, op_id)
    assert asked["operation"] == "HEAL"
    assert vdus(asked["addResources"]) == ["VDU1"] and removed_devices(asked) == old
    vnf = wait_vnf(client, vnf_id, lambda v: device_ids(v, "VDU1") != old, "healed")

    op_id = task(client, vnf_id, "terminate", {"terminationType": "FORCEFUL"})
    wait_op(client, op_id, "COMPLETED")
    asked = grant_request(nfvo, op_id)
    assert asked["operation"] == "TERMINATE" and asked["addResources"] == []
    assert removed_devices(asked) == device_ids(vnf, "VDU1") | device_ids(vnf, "VDU2")


def test_a_refused_grant_rolls_the_operation_back(
    client: Api, nfvo: NfvoSimulator, nfvo_suite: Suite
) -> None:
    nfvo.behave(mode="refuse", reason="no capacity left in region north for this tenant")
    vnf_id = create_vnf(client, onboard_noop(client)["vnfdId"])["id"]
    op_id = instantiate(client, vnf_id)
    op = wait_op(client, op_id, "ROLLED_BACK")
    assert op["error"]["status"] == 403 and "grantId" not in op
    assert "no capacity left in region north" in op["error"]["detail"]
    assert grant_request(nfvo, op_id)["operation"] == "INSTANTIATE"
    vnf = show_vnf(client, vnf_id)
    assert vnf["instantiationState"] == "NOT_INSTANTIATED" and "instantiatedVnfInfo" not in vnf
    # Nothing was built before the grant.
    assert client.get("/v1.0/devices").json()["devices"] == []
    metrics = httpx.get(f"{nfvo_suite.url('lifecycle')}/metrics").text
    assert 'servicevm_nfvo_grants_total{outcome="refused"}' in metrics


def test_an_nfvo_that_is_down_leaves_failed_temp_and_retry_completes(
    client: Api, nfvo: NfvoSimulator
) -> None:
    vnf_id = create_vnf(client, onboard_noop(client)["vnfdId"])["id"]
    nfvo.down()
    try:
        op_id = instantiate(client, vnf_id)
        op = wait_op(client, op_id, "FAILED_TEMP")
    finally:
        nfvo.up()
    assert op["error"]["status"] == 503 and "NFVO" in op["error"]["detail"]
    assert nfvo.state.requests_for(op_id) == []
    assert client.get("/v1.0/devices").json()["devices"] == []
    retried = client.post(f"/vnflcm/v1/vnf_lcm_op_occs/{op_id}/retry", {})
    assert retried.status_code == 202, retried.text
    wait_op(client, op_id, "COMPLETED")
    assert grant_request(nfvo, op_id)["operation"] == "INSTANTIATE"
    wait_vnf(client, vnf_id, lambda v: counts(v) == {"VDU1": 1, "VDU2": 1}, "built")


def test_an_nfvo_slower_than_the_timeout_leaves_failed_temp(
    client: Api, nfvo: NfvoSimulator, nfvo_suite: Suite
) -> None:
    """FAILED_TEMP by way of PROCESSING (SOL003 names both), announced in one message."""

    def about_it(received: list[tuple[str, dict[str, Any]]]) -> list[list[str]]:
        """The op's states, message by message."""
        payloads = [body["payload"] for _, body in received]
        return [
            [state["operation_state"] for state in [*p.get("passed", []), p["op_occ"]]]
            for p in payloads
            if p["op_occ"]["id"] == op_id
        ]

    nfvo.behave(delay_seconds=NFVO_TIMEOUT_SECONDS + 1)
    changes = NotificationListener(nfvo_suite.settings.amqp_url, "vnf_lcm_op_occ.changed", EVENTS)
    try:
        vnf_id = create_vnf(client, onboard_noop(client)["vnfdId"])["id"]
        op_id = instantiate(client, vnf_id)
        op = wait_op(client, op_id, "FAILED_TEMP")
        assert op["error"]["status"] == 503 and "unreachable" in op["error"]["detail"]
        changes.wait_for(lambda received: about_it(received) != [], timeout=10)
        changes.drain(0.5)
        assert about_it(changes.received) == [["PROCESSING", "FAILED_TEMP"]]
    finally:
        changes.close()


def test_an_asynchronous_grant_is_polled_until_given(client: Api, nfvo: NfvoSimulator) -> None:
    nfvo.behave(mode="async", async_polls=3)
    vnf_id = create_vnf(client, onboard_noop(client)["vnfdId"])["id"]
    op_id = instantiate(client, vnf_id)
    wait_op(client, op_id, "COMPLETED")
    grant_request(nfvo, op_id)
    # Every poll was answered: the NFVO had 3 "not yet" before its Grant.
    assert all(polls == 0 for polls, _ in nfvo.state.pending.values())
    wait_vnf(client, vnf_id, lambda v: counts(v) == {"VDU1": 1, "VDU2": 1}, "built")


def test_a_package_only_the_nfvo_has_is_fetched_and_instantiated(
    client: Api, nfvo: NfvoSimulator
) -> None:
    vnfd_id = nfvo.add_package("two_flavours", NOOP)
    assert client.get("/vnfpkgm/v1/vnf_packages").json() == []
    vnf = create_vnf(client, vnfd_id)
    (listed,) = client.get("/vnfpkgm/v1/vnf_packages").json()
    package = client.get(f"/vnfpkgm/v1/vnf_packages/{listed['id']}").json()
    assert (package["vnfdId"], package["onboardingState"]) == (vnfd_id, "ONBOARDED")
    assert package["id"] == vnf["vnfPkgId"]
    assert package["userDefinedData"]["servicevm.source"] == "nfvo"
    assert package["userDefinedData"]["servicevm.nfvoUrl"] == nfvo.url
    op_id = instantiate(client, vnf["id"])
    wait_op(client, op_id, "COMPLETED")
    assert grant_request(nfvo, op_id)["vnfdId"] == vnfd_id
    # A second instance of that vnfdId uses the package now onboarded here.
    assert create_vnf(client, vnfd_id)["vnfPkgId"] == package["id"]
    unknown = client.post(INSTANCES, {"vnfdId": "not-at-the-nfvo-either"})
    assert unknown.status_code == 422, unknown.text


def wait_asked(nfvo: NfvoSimulator, op_id: str, count: int = 1) -> None:
    deadline = time.monotonic() + 20
    while len(nfvo.state.requests_for(op_id)) < count:
        assert time.monotonic() < deadline, f"the NFVO was never asked for op {op_id}'s grant"
        time.sleep(0.05)


def test_lifecycle_killed_while_asking_asks_again_after_restart(
    client: Api, nfvo: NfvoSimulator, nfvo_suite: Suite
) -> None:
    nfvo.behave(delay_seconds=NFVO_TIMEOUT_SECONDS * 0.75)
    vnf_id = create_vnf(client, onboard_noop(client)["vnfdId"])["id"]
    op_id = instantiate(client, vnf_id)
    wait_asked(nfvo, op_id)
    nfvo_suite.kill("lifecycle")  # its answer is lost with it
    nfvo.behave()
    nfvo_suite.start("lifecycle")
    wait_op(client, op_id, "COMPLETED")
    # Asked again once the dead worker's claim ran out; one plan was built, not two.
    assert len(nfvo.state.requests_for(op_id)) == 2
    vnf = wait_vnf(client, vnf_id, lambda v: counts(v) == {"VDU1": 1, "VDU2": 1}, "built")
    assert len(client.get("/v1.0/devices").json()["devices"]) == 2
    assert vnf["instantiationState"] == "INSTANTIATED"


def test_an_op_cancelled_while_the_nfvo_decides_stays_rolled_back(
    client: Api, nfvo: NfvoSimulator
) -> None:
    nfvo.behave(delay_seconds=NFVO_TIMEOUT_SECONDS * 0.75)
    vnf_id = create_vnf(client, onboard_noop(client)["vnfdId"])["id"]
    op_id = instantiate(client, vnf_id)
    wait_asked(nfvo, op_id)
    cancelled = client.post(f"{OP_OCCS}/{op_id}/cancel", {"cancelMode": "FORCEFUL"})
    assert cancelled.status_code == 202, cancelled.text
    wait_op(client, op_id, "ROLLED_BACK")
    time.sleep(NFVO_TIMEOUT_SECONDS)  # the NFVO's late Grant arrives and changes nothing
    assert show_op(client, op_id)["operationState"] == "ROLLED_BACK"
    assert client.get("/v1.0/devices").json()["devices"] == []


def test_the_granted_vim_builds_the_vnfcs_when_it_is_ours(client: Api, nfvo: NfvoSimulator) -> None:
    vim = client.post(
        "/v1.0/vims",
        {
            "vim": {
                "name": "granted",
                "auth_url": "http://127.0.0.1:9/v3",  # never reached: noop VNFCs
                "project_name": "demo",
                "project_domain_name": "Default",
                "user_name": "demo",
                "user_domain_name": "Default",
                "password": "not-used",
            }
        },
    )
    assert vim.status_code == 201, vim.text
    vim_id = vim.json()["vim"]["id"]
    wait_checked(client, vim_id)  # lifecycle has it (its check is in, unreachable or not)
    nfvo.behave(vim_id=vim_id)
    vnf_id = create_vnf(client, onboard_noop(client)["vnfdId"])["id"]
    wait_op(client, instantiate(client, vnf_id), "COMPLETED")
    vnf = wait_vnf(client, vnf_id, lambda v: counts(v) == {"VDU1": 1, "VDU2": 1}, "built")
    for vnfc in vnf["instantiatedVnfInfo"]["vnfcResourceInfo"]:
        assert vnfc["computeResource"]["vimConnectionId"] == vim_id
        device = client.wait_for_status(vnfc["computeResource"]["resourceId"], "ACTIVE")
        assert device["vim_id"] == vim_id


def failed_after_its_grant(client: Api, nfvo: NfvoSimulator) -> tuple[str, str, dict[str, Any]]:
    """(vnf id, op id, the op occ): an instantiation granted, whose creates failed."""
    vnf_id = create_vnf(client, onboard_noop(client, noop_fail="create")["vnfdId"])["id"]
    op_id = instantiate(client, vnf_id)
    op = wait_op(client, op_id, "FAILED_TEMP")
    assert op["grantId"] == nfvo.state.grants[op_id]
    assert "told to fail at create" in op["error"]["detail"]
    return vnf_id, op_id, op


def retried(client: Api, nfvo: NfvoSimulator, failed: dict[str, Any]) -> dict[str, Any]:
    """The op occ ``failed`` retried: FAILED_TEMP again (entered anew), having asked the
    NFVO once more."""
    op_id = failed["id"]
    asked = len(nfvo.state.requests_for(op_id))
    response = client.post(f"{OP_OCCS}/{op_id}/retry", {})
    assert response.status_code == 202, response.text
    wait_asked(nfvo, op_id, asked + 1)
    deadline = time.monotonic() + 30
    while True:
        op = show_op(client, op_id)
        entered = op["stateEnteredTime"] != failed["stateEnteredTime"]
        if op["operationState"] == "FAILED_TEMP" and entered:
            return op
        assert time.monotonic() < deadline, f"the retry never ended: {op}"
        time.sleep(0.1)


def rolled_back(client: Api, op_id: str, devices: set[str]) -> None:
    """Rollback (not granted: it undoes granted work) removes every device of the op."""
    response = client.post(f"{OP_OCCS}/{op_id}/rollback", {})
    assert response.status_code == 202, response.text
    wait_op(client, op_id, "ROLLED_BACK")
    for device_id in devices:
        client.wait_until_gone(device_id)


def test_a_retry_after_a_failed_step_asks_for_a_new_grant_for_what_remains(
    client: Api, nfvo: NfvoSimulator
) -> None:
    _, op_id, failed = failed_after_its_grant(client, nfvo)
    first_grant = failed["grantId"]
    (first,) = nfvo.state.requests_for(op_id)
    failed_devices = {r["id"] for r in first["addResources"]}
    nfvo.behave(zone_id="az-retry")
    op = retried(client, nfvo, failed)
    first, second = nfvo.state.requests_for(op_id)
    assert (second["operation"], second["vnfLcmOpOccId"]) == ("INSTANTIATE", op_id)
    # What remains: a new device per failed VNFC, the failed devices removed.
    assert removed_devices(second) == failed_devices
    new_devices = {r["id"] for r in second["addResources"]}
    assert len(new_devices) == len(failed_devices) and not new_devices & failed_devices
    # The new grant is the op's now, and its answer placed the new devices.
    assert op["grantId"] == nfvo.state.grants[op_id] != first_grant
    for device_id in new_devices:
        device = client.get(f"/v1.0/devices/{device_id}").json()["device"]
        assert device["kwargs"]["availability_zone"] == "az-retry"
    rolled_back(client, op_id, failed_devices | new_devices)


def test_a_refused_retry_grant_leaves_the_op_failed_temp_with_the_nfvos_reason(
    client: Api, nfvo: NfvoSimulator
) -> None:
    _, op_id, failed = failed_after_its_grant(client, nfvo)
    (first,) = nfvo.state.requests_for(op_id)
    before = {d["id"] for d in client.get("/v1.0/devices").json()["devices"]}
    nfvo.behave(mode="refuse", reason="no more capacity for retries in region north")
    op = retried(client, nfvo, failed)
    assert op["error"]["status"] == 403
    assert "no more capacity for retries in region north" in op["error"]["detail"]
    assert op["grantId"] == failed["grantId"]  # the grant its work ran under
    # Nothing was built or removed for the refused retry.
    assert {d["id"] for d in client.get("/v1.0/devices").json()["devices"]} == before
    assert before >= {r["id"] for r in first["addResources"]}
    nfvo.behave()
    rolled_back(client, op_id, before)
