"""The standard client: python-tackerclient through the `openstack` CLI, with
``--os-auth-type none --os-endpoint <api>`` against an api started with
SERVICEVM_NOAUTH_PROJECT (the CLI sends no project), as an NFVO operator would use it."""

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

OPENSTACK = Path(sys.executable).with_name("openstack")


def openstack(suite: Suite, *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(OPENSTACK), "--os-auth-type", "none", "--os-endpoint", suite.url("api"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def openstack_json(suite: Suite, *args: str) -> Any:
    done = openstack(suite, *args, "-f", "json")
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
