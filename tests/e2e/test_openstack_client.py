"""The standard client: python-tackerclient through the `openstack` CLI, as an NFVO operator
would use it: with ``--os-auth-type none --os-endpoint <api>`` against an api started with
SERVICEVM_NOAUTH_PROJECT (the CLI sends no project), and with Keystone passwords, finding
the api in the catalog as ``nfv-orchestration`` (where it looks for Tacker)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from shared.devstack import Suite
from shared.vnfd.build import sample_package
from tests.support.api import Api
from tests.support.environment import NOAUTH_PROJECT
from tests.support.keystone import Keystone
from tests.support.subscriber import Subscriber
from tests.support.vnflcm_api import create_vnf, onboard_noop, wait_op_state

OPENSTACK = Path(sys.executable).with_name("openstack")


def openstack(suite: Suite, *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(OPENSTACK), "--os-auth-type", "none", "--os-endpoint", suite.url("api"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def openstack_json(suite: Suite, *args: str) -> Any:
    done = openstack(suite, *args, "-f", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def openstack_as(keystone: Keystone, user: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI logged in to Keystone with a password: the api's address comes from the
    catalog of the token it gets, as with a real cloud."""
    project = keystone.sim.cloud.users[user].project.name
    command = [
        str(OPENSTACK),
        "--os-auth-url",
        keystone.url,
        "--os-identity-api-version",
        "3",
        "--os-username",
        user,
        # One argument: a generated password may begin with "-" (token_urlsafe), which
        # argparse would take for an option of its own.
        f"--os-password={keystone.passwords[user]}",
        "--os-project-name",
        project,
        "--os-user-domain-name",
        "Default",
        "--os-project-domain-name",
        "Default",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def json_as(keystone: Keystone, user: str, *args: str) -> Any:
    done = openstack_as(keystone, user, *args, "-f", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_vnf_package_commands(noauth_project_suite: Suite, tmp_path: Path) -> None:
    suite = noauth_project_suite
    created = openstack_json(suite, "vnf", "package", "create", "--user-data", "owner=cli")
    package_id = created["ID"]
    assert created["Onboarding State"] == "CREATED"
    # The package is in the configured project: a client naming it sees it.
    owner = Api(suite.url("api"), project=NOAUTH_PROJECT)
    assert owner.get(f"/vnfpkgm/v1/vnf_packages/{package_id}").status_code == 200
    owner.close()

    csar = tmp_path / "simple.zip"
    csar.write_bytes(sample_package("simple"))
    uploaded = openstack(suite, "vnf", "package", "upload", "--path", str(csar), package_id)
    assert uploaded.returncode == 0, uploaded.stderr
    deadline = time.monotonic() + 60
    shown: dict[str, Any] = {}
    while time.monotonic() < deadline:
        shown = openstack_json(suite, "vnf", "package", "show", package_id)
        if shown["Onboarding State"] in ("ONBOARDED", "CREATED"):
            break
        time.sleep(0.5)
    assert shown["Onboarding State"] == "ONBOARDED", shown
    assert shown["Operational State"] == "ENABLED"

    listed = openstack_json(suite, "vnf", "package", "list")
    assert package_id in [row["Id"] for row in listed]

    vnfd = tmp_path / "vnfd.zip"
    download = openstack(
        suite,
        "vnf",
        "package",
        "download",
        package_id,
        "--vnfd",
        "--type",
        "application/zip",
        "--file",
        str(vnfd),
    )
    assert download.returncode == 0, download.stderr
    assert vnfd.read_bytes()[:2] == b"PK"

    # ENABLED: the api refuses (409) and the CLI says so.
    refused = openstack(suite, "vnf", "package", "delete", package_id)
    assert refused.returncode != 0
    assert openstack_json(suite, "vnf", "package", "show", package_id)["ID"] == package_id
    updated = openstack_json(
        suite, "vnf", "package", "update", "--operational-state", "DISABLED", package_id
    )
    assert updated["Operational State"] == "DISABLED"
    deleted = openstack(suite, "vnf", "package", "delete", package_id)
    assert deleted.returncode == 0, deleted.stderr
    gone = openstack(suite, "vnf", "package", "show", package_id)
    assert gone.returncode != 0


def _remove_package(suite: Suite, package_id: str) -> None:
    owner = Api(suite.url("api"), project=NOAUTH_PROJECT)
    try:
        url = f"/vnfpkgm/v1/vnf_packages/{package_id}"
        disabled = owner.http.patch(url, json={"operationalState": "DISABLED"})
        assert disabled.status_code == 200, disabled.text
        deleted = owner.delete(url)
        assert deleted.status_code == 204, deleted.text
    finally:
        owner.close()


def _wait_op(suite: Suite, op_id: str, *states: str, timeout: float = 60) -> dict[str, Any]:
    """Polled over HTTP (each CLI run costs seconds); the CLI's op show is tested below."""
    owner = Api(suite.url("api"), project=NOAUTH_PROJECT)
    try:
        return wait_op_state(owner, op_id, *states, timeout=timeout)
    finally:
        owner.close()


def _last_op(suite: Suite, vnf_id: str, operation: str) -> str:
    """The newest op occ of that operation on the instance (the CLI prints no id)."""
    owner = Api(suite.url("api"), project=NOAUTH_PROJECT)
    try:
        ops = owner.get(
            "/vnflcm/v1/vnf_lcm_op_occs",
            filter=f"(eq,vnfInstanceId,{vnf_id});(eq,operation,{operation})",
        ).json()
    finally:
        owner.close()
    assert ops, f"no {operation} op occ on {vnf_id}"
    return str(max(ops, key=lambda body: body["startTime"])["id"])


def test_vnflcm_commands(noauth_project_suite: Suite, tmp_path: Path) -> None:
    """create, instantiate, show, list, scale, heal, change-ext-conn, update, op list/show,
    terminate --D (which deletes) with the CLI; the package onboarded over HTTP."""
    suite = noauth_project_suite
    owner = Api(suite.url("api"), project=NOAUTH_PROJECT)
    try:
        package = onboard_noop(owner, "two_flavours")
    finally:
        owner.close()
    created = openstack_json(
        suite, "vnflcm", "create", package["vnfdId"], "--name", "cli-vnf", "--description", "d"
    )
    vnf_id = created["ID"]
    assert created["Instantiation State"] == "NOT_INSTANTIATED"
    request = tmp_path / "instantiate.json"
    request.write_text(json.dumps({"flavourId": "simple"}))
    done = openstack(suite, "vnflcm", "instantiate", vnf_id, str(request))
    assert done.returncode == 0, done.stderr
    op_id = _last_op(suite, vnf_id, "INSTANTIATE")
    _wait_op(suite, op_id, "COMPLETED")
    shown = openstack_json(suite, "vnflcm", "show", vnf_id)
    assert shown["Instantiation State"] == "INSTANTIATED"
    assert shown["Instantiated Vnf Info"]["flavourId"] == "simple"
    assert vnf_id in [row["ID"] for row in openstack_json(suite, "vnflcm", "list")]

    scaled = openstack(
        suite, "vnflcm", "scale", "--type", "SCALE_OUT", "--aspect-id", "worker_instance", vnf_id
    )
    assert scaled.returncode == 0, scaled.stderr
    _wait_op(suite, _last_op(suite, vnf_id, "SCALE"), "COMPLETED")
    vnfc = openstack_json(suite, "vnflcm", "show", vnf_id)["Instantiated Vnf Info"][
        "vnfcResourceInfo"
    ][0]["id"]
    healed = openstack(suite, "vnflcm", "heal", vnf_id, "--vnfc-instance", vnfc)
    assert healed.returncode == 0, healed.stderr
    _wait_op(suite, _last_op(suite, vnf_id, "HEAL"), "COMPLETED")

    links = tmp_path / "ext.json"
    links.write_text(json.dumps({"extVirtualLinks": [{"id": "ext1", "resourceId": "net1"}]}))
    changed = openstack(suite, "vnflcm", "change-ext-conn", vnf_id, str(links))
    assert changed.returncode == 0, changed.stderr
    _wait_op(suite, _last_op(suite, vnf_id, "CHANGE_EXT_CONN"), "COMPLETED", "FAILED_TEMP")

    patch = tmp_path / "patch.json"
    patch.write_text(json.dumps({"vnfInstanceName": "renamed"}))
    updated = openstack(suite, "vnflcm", "update", vnf_id, "--I", str(patch))
    assert updated.returncode == 0, updated.stderr
    assert openstack_json(suite, "vnflcm", "show", vnf_id)["VNF Instance Name"] == "renamed"

    ops = openstack_json(suite, "vnflcm", "op", "list")
    assert {"INSTANTIATE", "SCALE", "HEAL", "MODIFY_INFO"} <= {op["Operation"] for op in ops}
    assert op_id in [op["ID"] for op in ops]
    shown_op = openstack_json(suite, "vnflcm", "op", "show", op_id)
    assert shown_op["Operation"] == "INSTANTIATE"
    assert shown_op["Operation Parameters"]["flavourId"] == "simple"

    terminated = openstack(
        suite, "vnflcm", "terminate", "--termination-type", "FORCEFUL", "--D", vnf_id
    )
    assert terminated.returncode == 0, terminated.stderr
    assert openstack(suite, "vnflcm", "show", vnf_id).returncode != 0


def _instantiate_with_cli(
    suite: Suite, tmp_path: Path, **attributes: str
) -> tuple[dict[str, Any], str, str]:
    """The simple sample onboarded over HTTP with these template attributes, a VNF of it
    instantiated with the CLI: (package, VNF id, instantiate op occ id)."""
    owner = Api(suite.url("api"), project=NOAUTH_PROJECT)
    try:
        package = onboard_noop(owner, "simple", **attributes)
        vnf_id = create_vnf(owner, package["vnfdId"])["id"]
    finally:
        owner.close()
    request = tmp_path / "instantiate.json"
    request.write_text(json.dumps({"flavourId": "simple"}))
    assert openstack(suite, "vnflcm", "instantiate", vnf_id, str(request)).returncode == 0
    return package, vnf_id, _last_op(suite, vnf_id, "INSTANTIATE")


def test_vnflcm_op_cancel_with_the_cli(noauth_project_suite: Suite, tmp_path: Path) -> None:
    """op cancel of a PROCESSING op occ: FAILED_TEMP, "Operation cancelled", then rollback."""
    suite = noauth_project_suite
    slow, vnf_id, op_id = _instantiate_with_cli(suite, tmp_path, noop_delay_seconds="5")
    _wait_op(suite, op_id, "PROCESSING")
    cancelled = openstack(suite, "vnflcm", "op", "cancel", "--cancel-mode", "FORCEFUL", op_id)
    # python-tackerclient 2.6 prints the acceptance, then its ShowOne command fails on the
    # empty 202 body ("cannot unpack non-iterable NoneType"), against Tacker as well: the
    # exit code says nothing; the message and the op occ's state do.
    assert f"Cancel request for LCM operation {op_id} has been accepted" in cancelled.stdout
    failed = _wait_op(suite, op_id, "FAILED_TEMP")
    assert failed["error"]["title"] == "Operation cancelled"
    assert openstack(suite, "vnflcm", "op", "rollback", op_id).returncode == 0
    _wait_op(suite, op_id, "ROLLED_BACK")
    assert openstack(suite, "vnflcm", "delete", vnf_id).returncode == 0
    # The next test onboards the same sample in this one project (one vnfdId per project).
    _remove_package(suite, slow["id"])


def test_vnflcm_op_failure_commands(noauth_project_suite: Suite, tmp_path: Path) -> None:
    """op retry, rollback, fail, cancel with the CLI on a package whose devices fail."""
    suite = noauth_project_suite
    _, vnf_id, op_id = _instantiate_with_cli(suite, tmp_path, noop_fail="create")
    request = tmp_path / "instantiate.json"  # written by _instantiate_with_cli
    _wait_op(suite, op_id, "FAILED_TEMP")
    cancelled = openstack(suite, "vnflcm", "op", "cancel", op_id)
    assert cancelled.returncode != 0  # FAILED_TEMP cannot be cancelled: 409
    assert openstack(suite, "vnflcm", "op", "retry", op_id).returncode == 0
    _wait_op(suite, op_id, "FAILED_TEMP")
    assert openstack(suite, "vnflcm", "op", "rollback", op_id).returncode == 0
    _wait_op(suite, op_id, "ROLLED_BACK")

    assert openstack(suite, "vnflcm", "instantiate", vnf_id, str(request)).returncode == 0
    again = _last_op(suite, vnf_id, "INSTANTIATE")
    _wait_op(suite, again, "FAILED_TEMP")
    failed = openstack_json(suite, "vnflcm", "op", "fail", again)
    assert failed["Operation State"] == "FAILED"
    assert openstack(suite, "vnflcm", "delete", vnf_id).returncode == 0


def test_the_cli_with_keystone_finds_servicevm_in_the_catalog(
    keystone_suite: Suite, keystone: Keystone, tmp_path: Path
) -> None:
    """Password login, the api found as nfv-orchestration, each project sees its own."""
    keystone.sim.add_service("nfv-orchestration", "servicevm", keystone_suite.url("api"))
    user_data = ["--user-data", "device_driver=noop", "--user-data", "mgmt_driver=noop"]
    package_id = json_as(keystone, "carl", "vnf", "package", "create", *user_data)["ID"]
    csar = tmp_path / "simple.zip"
    csar.write_bytes(sample_package("simple"))
    uploaded = openstack_as(
        keystone, "carl", "vnf", "package", "upload", "--path", str(csar), package_id
    )
    assert uploaded.returncode == 0, uploaded.stderr
    deadline = time.monotonic() + 60
    package: dict[str, Any] = {}
    while time.monotonic() < deadline and package.get("Onboarding State") != "ONBOARDED":
        package = json_as(keystone, "carl", "vnf", "package", "show", package_id)
        time.sleep(0.5)
    assert package["Onboarding State"] == "ONBOARDED", package

    vnf = json_as(keystone, "carl", "vnflcm", "create", package["VNFD ID"])
    vnf_id = vnf["ID"]
    assert vnf_id in [row["ID"] for row in json_as(keystone, "carl", "vnflcm", "list")]
    # Another project's user: not found, and not listed.
    assert openstack_as(keystone, "bob", "vnflcm", "show", vnf_id).returncode != 0
    assert vnf_id not in [row["ID"] for row in json_as(keystone, "bob", "vnflcm", "list")]

    request = tmp_path / "instantiate.json"
    request.write_text(json.dumps({"flavourId": "simple"}))
    instantiated = openstack_as(keystone, "carl", "vnflcm", "instantiate", vnf_id, str(request))
    assert instantiated.returncode == 0, instantiated.stderr
    deadline = time.monotonic() + 60
    shown: dict[str, Any] = {}
    while time.monotonic() < deadline:
        shown = json_as(keystone, "carl", "vnflcm", "show", vnf_id)
        if shown["Instantiation State"] == "INSTANTIATED":
            break
        time.sleep(0.5)
    assert shown["Instantiation State"] == "INSTANTIATED", shown
    terminated = openstack_as(
        keystone, "carl", "vnflcm", "terminate", "--termination-type", "FORCEFUL", "--D", vnf_id
    )
    assert terminated.returncode == 0, terminated.stderr


def test_vnflcm_subscription_commands(noauth_project_suite: Suite, tmp_path: Path) -> None:
    suite = noauth_project_suite
    subscriber = Subscriber(tmp_path / "nfvo.jsonl")
    subscriber.start()
    try:
        request = tmp_path / "subscription.json"
        wanted = {"operationTypes": ["INSTANTIATE"], "operationStates": ["COMPLETED"]}
        request.write_text(json.dumps({"callbackUri": subscriber.url, "filter": wanted}))
        created = openstack_json(suite, "vnflcm", "subsc", "create", str(request))
    finally:
        subscriber.stop()
    subscription_id = created["ID"]
    assert created["Callback URI"] == subscriber.url
    assert [r["method"] for r in subscriber.requests()] == ["GET"]  # the callback test
    listed = openstack_json(suite, "vnflcm", "subsc", "list")
    assert subscription_id in [row["ID"] for row in listed]
    shown = openstack_json(suite, "vnflcm", "subsc", "show", subscription_id)
    assert shown["ID"] == subscription_id and "COMPLETED" in str(shown["Filter"])
    assert openstack(suite, "vnflcm", "subsc", "delete", subscription_id).returncode == 0
    assert openstack(suite, "vnflcm", "subsc", "show", subscription_id).returncode != 0
