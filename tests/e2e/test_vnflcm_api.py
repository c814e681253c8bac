"""VNF lifecycle management over /vnflcm/v1 (SOL003), with the sample packages onboarded
through /vnfpkgm: create, instantiate, scale, scale to a level, heal, operate, change
flavour, modify with If-Match, terminate, delete; lists; a lifecycle crash
mid-instantiate; the local cloud. The state rules and errors: test_vnflcm_states.py."""

from __future__ import annotations

import time
import uuid
from typing import Any

from shared.devstack import Suite
from tests.e2e.test_local_cloud import appliance
from tests.support.api import Api
from tests.support.db import fetch
from tests.support.environment import NOAUTH_PAGE_SIZE
from tests.support.vnf_packages import PACKAGES, onboard, show
from tests.support.vnflcm_api import (
    INSTANCES,
    assert_problem,
    counts,
    create_vnf,
    onboard_noop,
    post_task,
    run,
    show_op,
    task,
    vnfcs,
    wait_op,
    wait_vnf,
)

SCALE_OUT = {"type": "SCALE_OUT", "aspectId": "worker_instance", "numberOfSteps": 1}
SCALE_IN = {**SCALE_OUT, "type": "SCALE_IN"}
FORCEFUL = {"terminationType": "FORCEFUL"}


def instantiated(api: Api, vnfd_id: str, flavour: str = "simple") -> dict[str, Any]:
    vnf = create_vnf(api, vnfd_id)
    _, vnf = run(
        api,
        vnf["id"],
        "instantiate",
        {"flavourId": flavour},
        lambda v: v["instantiationState"] == "INSTANTIATED" and "instantiatedVnfInfo" in v,
    )
    return vnf


def test_create_instantiate_scale_heal_operate_terminate_delete(api: Api) -> None:
    package = onboard_noop(api)
    created = api.post(INSTANCES, {"vnfdId": package["vnfdId"], "vnfInstanceName": "fw"})
    assert created.status_code == 201, created.text
    vnf = created.json()
    assert created.headers["Location"].endswith(f"{INSTANCES}/{vnf['id']}")
    assert vnf["instantiationState"] == "NOT_INSTANTIATED"
    assert vnf["vnfPkgId"] == package["id"] and vnf["vnfProductName"]
    assert "instantiate" in vnf["_links"]
    assert show(api, package["id"])["usageState"] == "IN_USE"
    shown = api.get(f"{INSTANCES}/{vnf['id']}")
    assert shown.headers["ETag"] and shown.json()["vnfInstanceName"] == "fw"

    op_id = task(api, vnf["id"], "instantiate", {"flavourId": "simple"})
    op = wait_op(api, op_id, "COMPLETED")
    assert op["operation"] == "INSTANTIATE" and op["operationParams"]["flavourId"] == "simple"
    assert sorted(a["changeType"] for a in op["resourceChanges"]["affectedVnfcs"]) == [
        "ADDED",
        "ADDED",
    ]
    vnf = wait_vnf(api, vnf["id"], lambda v: v["instantiationState"] == "INSTANTIATED", "on")
    info = vnf["instantiatedVnfInfo"]
    assert (info["flavourId"], info["vnfState"]) == ("simple", "STARTED")
    assert info["scaleStatus"] == [{"aspectId": "worker_instance", "scaleLevel": 0}]
    assert counts(vnf) == {"VDU1": 1, "VDU2": 1}
    for vnfc in info["vnfcResourceInfo"]:
        device = api.wait_for_status(vnfc["computeResource"]["resourceId"], "ACTIVE")
        assert device["kwargs"]["vnf_instance_id"] == vnf["id"]
        assert device["kwargs"]["vdu_id"] == vnfc["vduId"]
    # Instantiated: no second instantiate, no delete.
    assert_problem(post_task(api, vnf["id"], "instantiate", {"flavourId": "simple"}), 409)
    assert_problem(api.delete(f"{INSTANCES}/{vnf['id']}"), 409)

    def level(n: int) -> Any:
        return lambda v: v["instantiatedVnfInfo"]["scaleStatus"][0]["scaleLevel"] == n

    _, vnf = run(api, vnf["id"], "scale", SCALE_OUT, level(1))
    assert counts(vnf) == {"VDU1": 1, "VDU2": 2}
    _, vnf = run(api, vnf["id"], "scale", SCALE_IN, level(0))
    assert counts(vnf) == {"VDU1": 1, "VDU2": 1}
    # Beyond max_scale_level (2): refused before anything runs.
    too_far = {**SCALE_OUT, "numberOfSteps": 3}
    assert "outside" in assert_problem(post_task(api, vnf["id"], "scale", too_far), 422)["detail"]
    unknown = {**SCALE_OUT, "aspectId": "nope"}
    assert_problem(post_task(api, vnf["id"], "scale", unknown), 422)

    to_level = {"instantiationLevelId": "instantiation_level_2"}
    _, vnf = run(api, vnf["id"], "scale_to_level", to_level, level(2))
    assert counts(vnf) == {"VDU1": 1, "VDU2": 3}
    back = {"scaleInfo": [{"aspectId": "worker_instance", "scaleLevel": 0}]}
    _, vnf = run(api, vnf["id"], "scale_to_level", back, level(0))
    assert counts(vnf) == {"VDU1": 1, "VDU2": 1}

    healed = vnfcs(vnf)["VDU1"][0]
    old_device = healed["computeResource"]["resourceId"]
    op, vnf = run(
        api,
        vnf["id"],
        "heal",
        {"vnfcInstanceId": [healed["id"]], "cause": "test"},
        lambda v: vnfcs(v)["VDU1"][0]["computeResource"]["resourceId"] != old_device,
    )
    assert [(a["id"], a["changeType"]) for a in op["resourceChanges"]["affectedVnfcs"]] == [
        (healed["id"], "MODIFIED")
    ]
    api.wait_until_gone(old_device)

    def state(wanted: str) -> Any:
        return lambda v: v["instantiatedVnfInfo"]["vnfState"] == wanted

    _, vnf = run(api, vnf["id"], "operate", {"changeStateTo": "STOPPED"}, state("STOPPED"))
    assert {
        c["metadata"]["powerState"] for c in vnf["instantiatedVnfInfo"]["vnfcResourceInfo"]
    } == {"STOPPED"}
    _, vnf = run(api, vnf["id"], "operate", {"changeStateTo": "STARTED"}, state("STARTED"))

    devices = [
        c["computeResource"]["resourceId"] for c in vnf["instantiatedVnfInfo"]["vnfcResourceInfo"]
    ]
    _, vnf = run(
        api,
        vnf["id"],
        "terminate",
        {"terminationType": "GRACEFUL", "gracefulTerminationTimeout": 5},
        lambda v: v["instantiationState"] == "NOT_INSTANTIATED",
    )
    assert "instantiatedVnfInfo" not in vnf
    for device_id in devices:
        api.wait_until_gone(device_id)
    assert_problem(post_task(api, vnf["id"], "terminate", FORCEFUL), 409)
    assert api.delete(f"{INSTANCES}/{vnf['id']}").status_code == 204
    assert_problem(api.get(f"{INSTANCES}/{vnf['id']}"), 404)
    assert show(api, package["id"])["usageState"] == "NOT_IN_USE"


def test_change_flavour_replaces_the_vnfcs(api: Api) -> None:
    package = onboard_noop(api, "two_flavours")
    vnf = instantiated(api, package["vnfdId"], "simple")
    assert counts(vnf) == {"VDU1": 1, "VDU2": 1}
    old = {
        c["computeResource"]["resourceId"] for c in vnf["instantiatedVnfInfo"]["vnfcResourceInfo"]
    }
    assert_problem(post_task(api, vnf["id"], "change_flavour", {"newFlavourId": "simple"}), 409)
    assert_problem(post_task(api, vnf["id"], "change_flavour", {"newFlavourId": "nope"}), 422)
    _, vnf = run(
        api,
        vnf["id"],
        "change_flavour",
        {"newFlavourId": "complex", "instantiationLevelId": "large"},
        lambda v: v["instantiatedVnfInfo"]["flavourId"] == "complex",
    )
    assert counts(vnf) == {"VDU1": 2, "VDU2": 5}
    for device_id in old:
        api.wait_until_gone(device_id)


def test_modify_with_if_match(api: Api) -> None:
    package = onboard_noop(api)
    vnf = create_vnf(api, package["vnfdId"], metadata={"keep": 1, "drop": 2})
    url = f"{INSTANCES}/{vnf['id']}"
    tag = api.get(url).headers["ETag"]
    patch = {"vnfInstanceName": "renamed", "metadata": {"drop": None, "new": "x"}}
    headers = {"Content-Type": "application/merge-patch+json"}
    stale = api.http.patch(url, json=patch, headers={**headers, "If-Match": '"stale"'})
    assert_problem(stale, 412)
    accepted = api.http.patch(url, json=patch, headers={**headers, "If-Match": tag})
    assert accepted.status_code == 202, accepted.text
    op = show_op(api, accepted.headers["Location"].rsplit("/", 1)[1])
    assert (op["operation"], op["operationState"]) == ("MODIFY_INFO", "COMPLETED")
    assert op["changedInfo"]["vnfInstanceName"] == "renamed"
    shown = api.get(url, all_fields="")
    assert shown.json()["vnfInstanceName"] == "renamed"
    assert shown.json()["metadata"] == {"keep": 1, "new": "x"}
    assert shown.headers["ETag"] != tag
    # The old ETag is stale now.
    again = api.http.patch(url, json=patch, headers={**headers, "If-Match": tag})
    assert_problem(again, 412)


def test_lists_filter_select_and_page(noauth_project_suite: Suite) -> None:
    """On the api with ETSI pages of NOAUTH_PAGE_SIZE (2)."""
    api = Api(noauth_project_suite.url("api"))
    try:
        package = onboard_noop(api)
        made = [
            create_vnf(api, package["vnfdId"], vnfInstanceName=f"vnf-{i}")["id"] for i in range(3)
        ]
        listed = api.get(INSTANCES, filter="(eq,vnfInstanceName,vnf-1)")
        assert [v["id"] for v in listed.json()] == [made[1]]
        assert "metadata" not in listed.json()[0]  # complex attributes left out by default
        first = api.get(INSTANCES, all_fields="")
        assert len(first.json()) == NOAUTH_PAGE_SIZE and "metadata" in first.json()[0]
        assert first.headers["Link"].endswith('rel="next"')
        next_url = first.headers["Link"].split(";")[0].strip("<>")
        second = api.http.get(next_url)
        assert "Link" not in second.headers
        assert {v["id"] for v in first.json() + second.json()} == set(made)
        assert_problem(api.get(INSTANCES, bogus="1"), 400)
        assert_problem(api.get(INSTANCES, filter="(eq,nope"), 400)
        assert_problem(api.get(INSTANCES, fields="noSuchAttribute"), 400)
    finally:
        api.close()


def test_lifecycle_killed_mid_instantiate_finishes_after_restart(api: Api, suite: Suite) -> None:
    package = onboard_noop(api, noop_delay_seconds="2")
    vnf = create_vnf(api, package["vnfdId"])
    op_id = task(api, vnf["id"], "instantiate", {"flavourId": "simple"})
    deadline = time.monotonic() + 20
    while show_op(api, op_id)["operationState"] != "PROCESSING" and time.monotonic() < deadline:
        time.sleep(0.05)
    suite.kill("lifecycle")
    time.sleep(2.5)
    assert show_op(api, op_id)["operationState"] == "PROCESSING"
    suite.start("lifecycle")
    wait_op(api, op_id, "COMPLETED", timeout=60)
    vnf = wait_vnf(api, vnf["id"], lambda v: v["instantiationState"] == "INSTANTIATED", "on")
    assert counts(vnf) == {"VDU1": 1, "VDU2": 1}


def test_instantiate_on_the_local_cloud_runs_appliances(api: Api, suite: Suite) -> None:
    """The default drivers (local + http): each VNFC is a real appliance process, and a
    PATCH of vnfConfigurableProperties reaches every one as SOL002 VNF configuration."""
    package = onboard(api)
    assert show(api, package["id"])["onboardingState"] == "ONBOARDED"
    vnf = instantiated(api, package["vnfdId"])
    devices = []
    for vnfc in vnf["instantiatedVnfInfo"]["vnfcResourceInfo"]:
        device = api.wait_for_status(vnfc["computeResource"]["resourceId"], "ACTIVE", timeout=60)
        assert device["instance_id"]
        devices.append(device)

    url = f"{INSTANCES}/{vnf['id']}"
    merge = {"Content-Type": "application/merge-patch+json"}
    first = {"vnfConfigurableProperties": {"is_autoheal_enabled": True, "ntp": {"a": "1"}}}
    _modify_and_wait(api, url, first, merge)
    for device in devices:
        assert _vnf_specific_data(device) == first["vnfConfigurableProperties"]
    # A merge patch: "ntp.a" goes, "ntp.b" comes, the rest stays; every VNFC holds exactly
    # the merged set, and so does the record.
    second = {"vnfConfigurableProperties": {"ntp": {"a": None, "b": "2"}}}
    op = _modify_and_wait(api, url, second, merge)
    merged = {"is_autoheal_enabled": True, "ntp": {"b": "2"}}
    assert op["changedInfo"]["vnfConfigurableProperties"] == merged
    assert api.get(url, all_fields="").json()["vnfConfigurableProperties"] == merged
    for device in devices:
        assert _vnf_specific_data(device) == merged
        assert appliance(device, "/config")["vnf_configurable_properties"] == merged

    _, vnf = run(
        api,
        vnf["id"],
        "terminate",
        FORCEFUL,
        lambda v: v["instantiationState"] == "NOT_INSTANTIATED",
    )
    assert api.delete(f"{INSTANCES}/{vnf['id']}").status_code == 204
    assert api.get(f"{PACKAGES}/{package['id']}").json()["usageState"] == "NOT_IN_USE"
    # lifecycle's aggregate (its op occs' plans with it) goes with the record.
    query = "SELECT count(*) AS n FROM vnf_instances WHERE id = $1"
    deadline = time.monotonic() + 20
    while fetch(suite.settings, "lifecycle", query, uuid.UUID(vnf["id"]))[0]["n"]:
        assert time.monotonic() < deadline, "lifecycle kept the deleted VNF's aggregate"
        time.sleep(0.2)


def _modify_and_wait(
    api: Api, url: str, patch: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    accepted = api.http.patch(url, json=patch, headers=headers)
    assert accepted.status_code == 202, accepted.text
    return wait_op(api, accepted.headers["Location"].rsplit("/", 1)[1], "COMPLETED")


def _vnf_specific_data(device: dict[str, Any]) -> Any:
    return appliance(device, "/vnfconfig/v1/configuration")["vnfConfigurationData"][
        "vnfSpecificData"
    ]
