"""Driving /vnflcm/v1 over HTTP: onboard a sample package, create an instance, run tasks
and wait for their op occs."""

from __future__ import annotations

import time
from typing import Any

import httpx

from shared.vnfd.build import sample_package
from tests.support.api import Api
from tests.support.vnf_packages import onboard

INSTANCES = "/vnflcm/v1/vnf_instances"
OP_OCCS = "/vnflcm/v1/vnf_lcm_op_occs"
FINAL = ("COMPLETED", "FAILED", "ROLLED_BACK")


def onboard_noop(api: Api, sample: str = "simple", **attributes: str) -> dict[str, Any]:
    """The sample package onboarded with noop device and mgmt drivers; ``attributes``
    become template attributes (``noop_delay_seconds``, ``noop_fail``)."""
    user_data: dict[str, Any] = {"device_driver": "noop", "mgmt_driver": "noop"}
    if attributes:
        user_data["template_attributes"] = attributes
    return onboard(api, sample_package(sample), **user_data)


def create_vnf(api: Api, vnfd_id: str, **fields: Any) -> dict[str, Any]:
    response = api.post(INSTANCES, {"vnfdId": vnfd_id, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert response.headers["Location"].endswith(f"{INSTANCES}/{body['id']}")
    return body


def show_vnf(api: Api, vnf_id: str) -> dict[str, Any]:
    response = api.get(f"{INSTANCES}/{vnf_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def post_task(api: Api, vnf_id: str, task: str, body: dict[str, Any]) -> httpx.Response:
    return api.post(f"{INSTANCES}/{vnf_id}/{task}", body)


def task(api: Api, vnf_id: str, name: str, body: dict[str, Any]) -> str:
    """The op occ id of an accepted task (202 with its Location)."""
    response = post_task(api, vnf_id, name, body)
    assert response.status_code == 202, response.text
    location = response.headers["Location"]
    assert f"{OP_OCCS}/" in location
    return location.rsplit("/", 1)[1]


def show_op(api: Api, op_id: str) -> dict[str, Any]:
    response = api.get(f"{OP_OCCS}/{op_id}", all_fields="")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def wait_op(api: Api, op_id: str, state: str, timeout: float = 60) -> dict[str, Any]:
    return wait_op_state(api, op_id, state, timeout=timeout)


def wait_op_state(api: Api, op_id: str, *states: str, timeout: float = 60) -> dict[str, Any]:
    """The op occ once in one of ``states`` (fails early on another final state)."""
    deadline = time.monotonic() + timeout
    seen: dict[str, Any] = {}
    while time.monotonic() < deadline:
        seen = show_op(api, op_id)
        if seen["operationState"] in states:
            return seen
        if seen["operationState"] in FINAL:
            break
        time.sleep(0.1)
    raise AssertionError(f"op occ {op_id} not {states}; last seen: {seen}")


def run(
    api: Api, vnf_id: str, name: str, body: dict[str, Any], until: Any, timeout: float = 60
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run a task to COMPLETED: the op occ, and the instance once ``until(instance)``."""
    op = wait_op(api, task(api, vnf_id, name, body), "COMPLETED", timeout)
    return op, wait_vnf(api, vnf_id, until, f"as expected after {op['operation']}")


def wait_vnf(
    api: Api, vnf_id: str, predicate: Any, what: str, timeout: float = 30
) -> dict[str, Any]:
    """The instance (all fields) once ``predicate`` holds and no op occ is running on it."""
    deadline = time.monotonic() + timeout
    seen: dict[str, Any] = {}
    while time.monotonic() < deadline:
        seen = show_vnf(api, vnf_id)
        if predicate(seen) and not unfinished_ops(api, vnf_id):
            return seen
        time.sleep(0.1)
    raise AssertionError(f"VNF {vnf_id} never {what}; last seen: {seen}")


def unfinished_ops(api: Api, vnf_id: str) -> list[dict[str, Any]]:
    response = api.get(OP_OCCS, filter=f"(eq,vnfInstanceId,{vnf_id})")
    assert response.status_code == 200, response.text
    return [op for op in response.json() if op["operationState"] not in FINAL]


def vnfcs(vnf: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """vduId -> its VNFCs."""
    by_vdu: dict[str, list[dict[str, Any]]] = {}
    for vnfc in vnf.get("instantiatedVnfInfo", {}).get("vnfcResourceInfo", []):
        by_vdu.setdefault(vnfc["vduId"], []).append(vnfc)
    return by_vdu


def counts(vnf: dict[str, Any]) -> dict[str, int]:
    return {vdu: len(found) for vdu, found in sorted(vnfcs(vnf).items())}


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["Version"]
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["detail"] and body["title"]
    return body
