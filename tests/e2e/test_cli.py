"""The installed ``servicevm`` command against the running suite: what an operator types.

Each result is checked through the REST API too (tests.support.api), not only through the
command's own output.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from shared.devstack import Suite
from tests.support.api import Api
from tests.support.cli import COMMAND, Cli
from tests.support.keystone import Keystone
from tests.support.secrets import remember

pytestmark = pytest.mark.e2e


@pytest.fixture
def cli(suite: Suite) -> Cli:
    assert COMMAND.exists(), f"{COMMAND} is not installed: run make install"
    return Cli(url=suite.url("api"), amqp_url=suite.settings.amqp_url)


@pytest.fixture
def rest(cli: Cli) -> Iterator[Api]:
    """The same project as the command, through the REST API."""
    client = Api(cli.url, project=cli.project)
    yield client
    client.close()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def create_template(cli: Cli, name: str, *attributes: str) -> dict[str, object]:
    args = ["template", "create", "--name", name, "--service-type", "firewall"]
    args += ["--device-driver", "noop", "--mgmt-driver", "noop"]
    for attribute in ("slot_capacity=2", *attributes):
        args += ["--attribute", attribute]
    template: dict[str, object] = cli.json(*args)
    return template


def test_templates_and_devices_from_create_to_delete(cli: Cli, rest: Api) -> None:
    name = unique("fw")
    template = create_template(cli, name)
    assert template["name"] == name and template["tenant_id"] == cli.project
    assert rest.get(f"/v1.0/device_templates/{template['id']}").status_code == 200

    # By the template's name; --wait returns once ACTIVE.
    device = cli.json("device", "create", "--template", name, "--kwarg", "vlan=10", "--wait")
    assert device["status"] == "ACTIVE" and device["kwargs"] == {"vlan": 10}
    assert rest.device(device["id"])["status"] == "ACTIVE"  # type: ignore[index]

    listed = cli.ok("device", "list", "--template", name)
    assert device["id"] in listed and "ACTIVE" in listed
    shown = yaml.safe_load(cli.ok("device", "show", device["id"], "-f", "yaml"))
    assert shown["id"] == device["id"] and shown["template_id"] == template["id"]
    assert str(template["id"]) in cli.ok("template", "show", name)
    assert name in cli.ok("template", "list")

    updated = cli.json("device", "update", device["id"], "--kwarg", "vlan=20", "--wait")
    assert updated["status"] == "ACTIVE" and updated["kwargs"] == {"vlan": 20}
    assert rest.device(device["id"])["kwargs"] == {"vlan": 20}  # type: ignore[index]

    cli.ok("device", "delete", device["id"], "--wait")
    assert rest.device(device["id"]) is None  # gone when the command returned
    cli.ok("template", "delete", name)
    assert rest.get(f"/v1.0/device_templates/{template['id']}").status_code == 404


def test_instances_are_placed_and_the_topology_shows_them(cli: Cli, rest: Api) -> None:
    name = unique("pool")
    create_template(cli, name)
    device = cli.json("device", "create", "--template", name, "--wait")
    instance = cli.json(
        "instance", "create", "--service-type", "firewall", "--template", name,
        "--name", "edge", "--managed-by-user", "--kwarg", "vip=10.0.0.5", "--wait",
    )  # fmt: skip
    assert instance["status"] == "ACTIVE" and instance["devices"] == [device["id"]]
    assert rest.instance(instance["id"])["status"] == "ACTIVE"  # type: ignore[index]

    tree = cli.ok("topology")
    assert f"device {device['id']} ACTIVE (1/2 used, 1 free)" in tree
    assert f"instance 'edge' {instance['id']} ACTIVE" in tree
    topology = cli.json("topology")
    [host] = [h for h in topology["hosts"] if any(d["id"] == device["id"] for d in h["devices"])]
    assert host["devices"][0]["service_instances"][0]["id"] == instance["id"]

    assert "firewall" in cli.ok("service-type", "list", "--template", name)
    renamed = cli.json("instance", "update", "edge", "--name", "edge-2", "--wait")
    assert renamed["name"] == "edge-2" and renamed["status"] == "ACTIVE"
    assert instance["id"] in cli.ok("instance", "list", "--name", "edge-2")
    cli.ok("instance", "delete", "edge-2", "--wait")
    assert rest.instance(instance["id"]) is None
    cli.ok("device", "delete", device["id"], "--wait")


def wait_for_text(path: Path, text: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in path.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never appeared in {path}: {path.read_text()!r}")


def test_notifications_tail_prints_a_devices_notifications(
    cli: Cli, rest: Api, tmp_path: Path
) -> None:
    template = rest.create_template()
    out, err = tmp_path / "tail.out", tmp_path / "tail.err"
    tail = cli.popen(
        "notifications", "tail", "--event-type", "device.pending_create",
        "--event-type", "device.active", "--count", "2", "--timeout", "60", "-f", "json",
        stdout=out, stderr=err,
    )  # fmt: skip
    try:
        wait_for_text(err, "Listening on servicevm-cli.")
        device = rest.create_device(template["id"])
        assert tail.wait(timeout=60) == 0, err.read_text()
    finally:
        if tail.poll() is None:
            tail.kill()
            tail.wait()
    received = [json.loads(line) for line in out.read_text().splitlines()]
    assert [n["event_type"] for n in received] == ["device.pending_create", "device.active"]
    assert {n["resource_id"] for n in received} == {device["id"]}
    assert {n["tenant_id"] for n in received} == {cli.project}


def test_an_admin_tails_every_project_filtered_by_resource(
    cli: Cli, rest: Api, tmp_path: Path
) -> None:
    device = rest.create_device(rest.create_template()["id"])
    rest.wait_for_status(device["id"], "ACTIVE")
    admin = Cli(cli.url, cli.amqp_url, project="admin-project", roles="admin,member")
    out, err = tmp_path / "tail.out", tmp_path / "tail.err"
    tail = admin.popen(
        "notifications", "tail", "--admin", "--resource", device["id"], "--count", "1",
        "--timeout", "60", stdout=out, stderr=err,
    )  # fmt: skip
    try:
        wait_for_text(err, "Listening on")
        rest.create_device(rest.create_template()["id"])  # another device: filtered out
        assert rest.delete(f"/v1.0/devices/{device['id']}").status_code == 204
        assert tail.wait(timeout=60) == 0, err.read_text()
    finally:
        if tail.poll() is None:
            tail.kill()
            tail.wait()
    [line] = out.read_text().splitlines()
    assert "device.pending_delete" in line and device["id"] in line


def test_a_tail_that_does_not_reach_its_count_in_time_exits_4(cli: Cli) -> None:
    result = cli.run("notifications", "tail", "--count", "1", "--timeout", "1")
    assert result.returncode == 4, result.stderr
    assert "Timed out" in result.stderr


def test_errors_exit_with_the_documented_codes(cli: Cli, rest: Api) -> None:
    unknown = cli.run("device", "create", "--template", "no-such-template")
    assert (
        unknown.returncode == 1 and "No device template named 'no-such-template'" in unknown.stderr
    )

    missing = cli.run("device", "show", str(uuid.uuid4()))
    assert missing.returncode == 1
    assert "could not be found" in missing.stderr and "404" in missing.stderr

    bad = cli.run("template", "create", "--device-driver", "bogus", "--mgmt-driver", "noop")
    assert bad.returncode == 1
    assert "unknown driver 'bogus'" in bad.stderr and "400" in bad.stderr

    assert cli.run("device", "list", "-f", "xml").returncode == 2
    assert cli.run("device", "create", "--template", "x", "--kwargs", "[1]").returncode == 2

    twice = unique("twin")
    rest.create_template(name=twice)
    rest.create_template(name=twice)
    ambiguous = cli.run("template", "show", twice)
    assert ambiguous.returncode == 2 and "More than one" in ambiguous.stderr


def test_wait_ends_in_error_with_3_and_on_timeout_with_4(cli: Cli, rest: Api) -> None:
    failing = unique("failing")
    create_template(cli, failing, "noop_fail=create")
    result = cli.run("device", "create", "--template", failing, "--wait", "--timeout", "60")
    assert result.returncode == 3, result.stderr
    assert "is ERROR" in result.stderr

    slow = unique("slow")
    create_template(cli, slow, "noop_delay_seconds=30")
    result = cli.run("device", "create", "--template", slow, "--wait", "--timeout", "1")
    assert result.returncode == 4, result.stderr
    assert "Timed out" in result.stderr and "PENDING_CREATE" in result.stderr


def test_keystone_credentials_from_os_variables_and_clouds_yaml(
    keystone_suite: Suite, keystone: Keystone, tmp_path: Path
) -> None:
    """The token, not any header, says who the caller is: alice's project owns what she makes."""
    credentials = {
        "auth_url": keystone.url,
        "username": "alice",
        "password": keystone.passwords["alice"],
        "project_name": "project-a",
        "user_domain_name": "Default",
        "project_domain_name": "Default",
    }
    os_env = {f"OS_{key.upper()}": value for key, value in credentials.items()}
    alice = Cli(keystone_suite.url("api"), keystone_suite.settings.amqp_url, extra_env=os_env)
    template = create_template(alice, unique("ks"))
    assert template["tenant_id"] == keystone.project_id("alice")

    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(yaml.safe_dump({"clouds": {"test": {"auth": credentials}}}))
    cloud_env = {"OS_CLIENT_CONFIG_FILE": str(clouds)}
    by_cloud = Cli(keystone_suite.url("api"), keystone_suite.settings.amqp_url, extra_env=cloud_env)
    shown = by_cloud.json("--os-cloud", "test", "template", "show", str(template["name"]))
    assert shown["id"] == template["id"]

    # No credentials at all: the api's 401, exit code 1.
    nobody = Cli(keystone_suite.url("api"), keystone_suite.settings.amqp_url)
    result = nobody.run("template", "list")
    assert result.returncode == 1 and "401" in result.stderr


def test_vims_and_subscriptions(cli: Cli, rest: Api) -> None:
    name = unique("cloud")
    # Remembered: the suite checks that no service logged them.
    password, secret = remember(unique("vim-pw")), remember(unique("hook-secret"))
    result = cli.run(
        "vim", "create", "--name", name, "--auth-url", "http://127.0.0.1:9/v3",
        "--user-name", "u", "--user-domain-name", "Default", "--password", password,
        "--project-name", "p", "--project-domain-name", "Default", "--wait", "--timeout", "60",
    )  # fmt: skip
    # Nothing listens on port 9: lifecycle's check says UNREACHABLE, which --wait reports.
    assert result.returncode == 3, result.stderr
    assert "UNREACHABLE" in result.stderr
    vim = cli.json("vim", "show", name)
    assert vim["status"] == "UNREACHABLE" and password not in json.dumps(vim)
    assert name in cli.ok("vim", "list")
    renamed = cli.json("vim", "update", name, "--name", f"{name}-2")
    assert renamed["id"] == vim["id"] and renamed["name"] == f"{name}-2"
    cli.ok("vim", "delete", f"{name}-2")
    assert rest.get(f"/v1.0/vims/{vim['id']}").status_code == 404

    subscription = cli.json(
        "subscription", "create", "--callback-uri", "http://127.0.0.1:9/hook",
        "--event-type", "device.*", "--auth", "hmac", "--secret", secret,
    )  # fmt: skip
    assert subscription["filter"]["event_types"] == ["device.*"]
    assert subscription["authentication"] == {"type": "hmac", "username": None}
    assert subscription["id"] in cli.ok("subscription", "list")
    assert (
        yaml.safe_load(cli.ok("subscription", "show", subscription["id"], "-f", "yaml"))[
            "callback_uri"
        ]
        == "http://127.0.0.1:9/hook"
    )
    cli.ok("subscription", "delete", subscription["id"])
    assert rest.get(f"/v1.0/subscriptions/{subscription['id']}").status_code == 404
    assert (
        cli.run(
            "subscription", "create", "--callback-uri", "http://x/", "--auth", "hmac"
        ).returncode
        == 2
    )
