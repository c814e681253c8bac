"""VIMs through REST and the bus, against the OpenStack simulator: checks, secrets,
defaults, validation, tenancy, and nova devices built in a registered VIM."""

from __future__ import annotations

import socket
import uuid
from typing import Any

import pytest

from servicevm_cloudsim import NO_VALID_HOST, CloudSimulator
from shared.devstack import Suite
from tests.support.api import Api
from tests.support.cloudsim import set_secrets, shared_sim
from tests.support.vims import password_body, register, wait_checked

__all__ = ["shared_sim"]  # the fixture, imported for this module

PASSWORD = f"pw-{uuid.uuid4().hex}"
APP_SECRET = f"appsecret-{uuid.uuid4().hex}"
WRONG = f"wrong-{uuid.uuid4().hex}"
NOVA = {"image": "cirros", "flavor": "m1.small"}


@pytest.fixture(scope="module")
def sim(shared_sim: CloudSimulator) -> CloudSimulator:
    set_secrets(shared_sim, password=PASSWORD, app_secret=APP_SECRET)
    return shared_sim


def app_credential_body(sim: CloudSimulator, **overrides: Any) -> dict[str, Any]:
    return {
        "auth_url": sim.auth_url,
        "application_credential_id": "appcred-demo",
        "application_credential_secret": APP_SECRET,
        **overrides,
    }


def assert_no_secret(text: str) -> None:
    for secret in (PASSWORD, APP_SECRET, WRONG):
        assert secret not in text


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_registered_vims_are_checked_and_never_show_their_secret(
    api: Api, sim: CloudSimulator
) -> None:
    response = api.post("/v1.0/vims", {"vim": password_body(sim, PASSWORD)})
    assert response.status_code == 201, response.text
    assert_no_secret(response.text)
    vim = response.json()["vim"]
    assert vim["status"] == "PENDING" and vim["type"] == "openstack"
    assert "password" not in vim
    checked = wait_checked(api, vim["id"])
    assert checked["status"] == "REACHABLE" and checked["status_reason"] is None

    by_app_credential = wait_checked(api, register(api, app_credential_body(sim))["id"])
    assert by_app_credential["status"] == "REACHABLE"
    assert by_app_credential["application_credential_id"] == "appcred-demo"

    for path in ("/v1.0/vims", f"/v1.0/vims/{vim['id']}", "/openapi.json"):
        response = api.get(path)
        assert response.status_code == 200
        assert_no_secret(response.text)
    schema = api.get("/openapi.json").json()["components"]["schemas"]["VimPublic"]
    assert not {"password", "application_credential_secret"} & set(schema["properties"])


def test_wrong_password_is_unreachable_with_the_reason(api: Api, sim: CloudSimulator) -> None:
    vim = wait_checked(api, register(api, password_body(sim, WRONG))["id"])
    assert vim["status"] == "UNREACHABLE"
    assert vim["status_reason"] == "authentication failed (HTTP 401)"


def test_unreachable_auth_url(api: Api) -> None:
    url = f"http://127.0.0.1:{closed_port()}/identity/v3"
    body = {**password_body_for(url), "password": PASSWORD}
    vim = wait_checked(api, register(api, body)["id"])
    assert vim["status"] == "UNREACHABLE"
    assert "connection refused" in vim["status_reason"]


def password_body_for(auth_url: str) -> dict[str, Any]:
    return {
        "auth_url": auth_url,
        "project_id": "demo",
        "user_name": "demo",
        "user_domain_name": "Default",
    }


def test_rotating_the_password_rechecks_the_vim(api: Api, sim: CloudSimulator) -> None:
    vim = wait_checked(api, register(api, password_body(sim, WRONG))["id"])
    assert vim["status"] == "UNREACHABLE"
    response = api.put(f"/v1.0/vims/{vim['id']}", {"vim": {"password": PASSWORD, "name": "new"}})
    assert response.status_code == 200, response.text
    assert_no_secret(response.text)
    assert response.json()["vim"]["status"] == "PENDING"
    rotated = wait_checked(api, vim["id"])
    assert rotated["status"] == "REACHABLE" and rotated["name"] == "new"


def test_one_default_vim_per_project(api: Api, sim: CloudSimulator) -> None:
    other = api.as_project(f"other-{uuid.uuid4().hex[:8]}")
    theirs = register(other, password_body(sim, PASSWORD, is_default=True))
    first = register(api, password_body(sim, PASSWORD, is_default=True))
    second = register(api, password_body(sim, PASSWORD, is_default=True))

    def defaults(client: Api) -> list[str]:
        listed = client.get("/v1.0/vims", is_default="true").json()["vims"]
        return [v["id"] for v in listed]

    assert defaults(api) == [second["id"]]
    assert api.put(f"/v1.0/vims/{first['id']}", {"vim": {"is_default": True}}).status_code == 200
    assert defaults(api) == [first["id"]]
    assert defaults(other) == [theirs["id"]]


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"password": None, "user_name": None}, "credentials required"),
        ({"password": None}, "Invalid input for password"),
        ({"application_credential_id": "x"}, "not both"),
        ({"auth_url": "ftp://keystone/v3"}, "auth_url"),
        ({"auth_url": "keystone"}, "auth_url"),
        ({"project_name": None}, "project_name"),
        ({"user_domain_name": None}, "user_domain_name"),
        ({"project_id": "p1"}, "project_id or a project name"),
        ({"type": "vmware"}, "type"),
        ({"colour": "blue"}, "Unrecognized attribute(s) 'colour'"),
        ({"status": "REACHABLE"}, "Attribute 'status' not allowed in POST"),
        ({"name": "x" * 256}, "name"),
    ],
)
def test_invalid_registrations_are_400_naming_the_attribute(
    api: Api, sim: CloudSimulator, changes: dict[str, Any], words: str
) -> None:
    body = {k: v for k, v in {**password_body(sim, PASSWORD), **changes}.items() if v is not None}
    response = api.post("/v1.0/vims", {"vim": body})
    assert response.status_code == 400, response.text
    assert words in response.json()["NeutronError"]["message"]
    assert_no_secret(response.text)


def test_invalid_updates_are_400(api: Api, sim: CloudSimulator) -> None:
    vim = register(api, app_credential_body(sim))
    path = f"/v1.0/vims/{vim['id']}"
    for body, words in (
        ({"password": PASSWORD}, "application credential"),
        ({"auth_url": sim.auth_url}, "Attribute 'auth_url' not allowed in PUT"),
        ({"application_credential_secret": ""}, "application_credential_secret"),
    ):
        response = api.put(path, {"vim": body})
        assert response.status_code == 400, response.text
        assert words in response.json()["NeutronError"]["message"]


def test_another_projects_vim_is_404(api: Api, sim: CloudSimulator) -> None:
    vim = register(api, password_body(sim, PASSWORD))
    other = api.as_project(f"other-{uuid.uuid4().hex[:8]}")
    path = f"/v1.0/vims/{vim['id']}"
    assert other.get(path).status_code == 404
    assert other.put(path, {"vim": {"name": "x"}}).status_code == 404
    assert other.delete(path).status_code == 404
    assert vim["id"] not in [v["id"] for v in other.get("/v1.0/vims").json()["vims"]]
    response = other.post(
        "/v1.0/device_templates",
        {"device_template": {"device_driver": "nova", "mgmt_driver": "noop", "vim_id": vim["id"]}},
    )
    assert response.status_code == 404
    assert vim["id"] in response.json()["NeutronError"]["message"]
    template = other.create_template()
    response = other.post(
        "/v1.0/devices", {"device": {"template_id": template["id"], "vim_id": vim["id"]}}
    )
    assert response.status_code == 404


def test_a_vim_in_use_cannot_be_deleted(api: Api, sim: CloudSimulator) -> None:
    vim = register(api, password_body(sim, PASSWORD))
    template = api.create_template(device_driver="nova", attributes=NOVA, vim_id=vim["id"])
    assert template["vim_id"] == vim["id"]
    response = api.delete(f"/v1.0/vims/{vim['id']}")
    assert response.status_code == 409
    assert template["id"] in response.json()["NeutronError"]["message"]
    assert api.delete(f"/v1.0/device_templates/{template['id']}").status_code == 204
    assert api.delete(f"/v1.0/vims/{vim['id']}").status_code == 204
    assert api.get(f"/v1.0/vims/{vim['id']}").status_code == 404


def mgmt_context(sim: CloudSimulator) -> list[dict[str, Any]]:
    return [{"network_id": sim.cloud.network_named("mgmt-net").id, "role": "management"}]


def own_servers(sim: CloudSimulator, device_id: str) -> list[Any]:
    return [s for s in sim.servers if s.metadata.get("servicevm_device_id") == device_id]


def test_nova_device_in_the_default_vim(api: Api, sim: CloudSimulator) -> None:
    vim = register(api, password_body(sim, PASSWORD, is_default=True))
    template = api.create_template(device_driver="nova", attributes=NOVA)
    device = api.create_device(template["id"], service_contexts=mgmt_context(sim))
    active = api.wait_for_status(device["id"], "ACTIVE")
    assert active["vim_id"] == vim["id"]
    assert active["host"] and active["availability_zone"]
    assert active["mgmt_address"].startswith("10.0.1.")
    (server,) = own_servers(sim, device["id"])
    assert server.id == active["instance_id"]

    updated = api.put(
        f"/v1.0/devices/{device['id']}", {"device": {"kwargs": {"metadata": {"role": "edge"}}}}
    )
    assert updated.status_code == 200
    api.wait_for_status(device["id"], "ACTIVE")
    (server,) = own_servers(sim, device["id"])
    assert server.metadata["role"] == "edge"
    # The device uses the VIM now: it cannot go.
    assert api.delete(f"/v1.0/vims/{vim['id']}").status_code == 409

    assert api.delete(f"/v1.0/devices/{device['id']}").status_code == 204
    api.wait_until_gone(device["id"])
    assert own_servers(sim, device["id"]) == []


def test_nova_boot_failure_is_error_with_the_clouds_reason(api: Api, sim: CloudSimulator) -> None:
    vim = register(api, password_body(sim, PASSWORD))
    template = api.create_template(device_driver="nova", attributes=NOVA, vim_id=vim["id"])
    sim.faults.fail_boots(1)
    device = api.create_device(template["id"], service_contexts=mgmt_context(sim))
    failed = api.wait_for_status(device["id"], "ERROR")
    assert NO_VALID_HOST in failed["error_reason"]
    assert own_servers(sim, device["id"]) == []


def test_nova_device_without_a_vim_is_error(api: Api) -> None:
    template = api.create_template(device_driver="nova", attributes=NOVA)
    device = api.create_device(template["id"])
    failed = api.wait_for_status(device["id"], "ERROR")
    assert "no VIM" in failed["error_reason"] and failed["vim_id"] is None


def test_secrets_are_never_logged(suite: Suite, api: Api, sim: CloudSimulator) -> None:
    # Runs last in this module: every VIM above was registered, checked, used.
    assert suite.log_dir is not None
    logs = list(suite.log_dir.glob("*.log"))
    assert logs
    for log in logs:
        assert_no_secret(log.read_text(errors="replace"))


@pytest.fixture
def silent_keystone() -> Any:
    """A TCP endpoint that accepts connections and never answers: the slowest cloud."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(128)
        yield f"http://127.0.0.1:{server.getsockname()[1]}/v3"


def test_vims_on_a_silent_cloud_do_not_delay_devices(
    api: Api, sim: CloudSimulator, silent_keystone: str
) -> None:
    """Each check waits its whole timeout (5 s in the tests): run inside the consumer, 30 of
    them would hold its 10 prefetch slots for about 15 s."""
    registered = [
        register(api, password_body(sim, "pw-silent", name=f"silent-{n}", auth_url=silent_keystone))
        for n in range(30)
    ]
    template = api.create_template()
    device = api.create_device(template["id"])
    api.wait_for_status(device["id"], "ACTIVE", timeout=8)
    for vim in registered:
        checked = wait_checked(api, vim["id"], timeout=60)
        assert checked["status"] == "UNREACHABLE", checked


def test_tacker_vim_body_registers_and_answers_in_tackers_shape(
    api: Api, sim: CloudSimulator
) -> None:
    # The body python-tackerclient's `openstack vim register --config-file` sends.
    tacker = {
        "name": f"tacker-{uuid.uuid4().hex[:8]}",
        "description": "registered by a Tacker script",
        "type": "openstack",
        "auth_url": sim.auth_url,
        "auth_cred": {
            "username": "demo",
            "password": PASSWORD,
            "user_id": "",
            "user_domain_name": "Default",
            "cert_verify": "True",
        },
        "vim_project": {"id": "", "name": "demo", "project_domain_name": "Default"},
        "is_default": False,
    }
    response = api.post("/v1.0/vims", {"vim": tacker})
    assert response.status_code == 201, response.text
    assert_no_secret(response.text)
    created = response.json()["vim"]
    assert created["user_name"] == "demo" and created["project_name"] == "demo"
    checked = wait_checked(api, created["id"])
    assert checked["status"] == "REACHABLE", checked
    assert checked["auth_cred"] == {
        "username": "demo",
        "user_domain_name": "Default",
        "cert_verify": True,
    }
    assert checked["vim_project"] == {"id": None, "name": "demo", "project_domain_name": "Default"}
    listed = api.get("/v1.0/vims", name=tacker["name"]).json()["vims"]
    assert [v["auth_cred"]["username"] for v in listed] == ["demo"]
    assert_no_secret(api.get(f"/v1.0/vims/{created['id']}").text)
    bad = api.post("/v1.0/vims", {"vim": {**tacker, "user_name": "demo"}})
    assert bad.status_code == 400 and "auth_cred.username" in bad.json()["NeutronError"]["message"]
    kubernetes = {**tacker, "auth_cred": {"bearer_token": "t", "ssl_ca_cert": "c"}}
    refused = api.post("/v1.0/vims", {"vim": kubernetes}).json()["NeutronError"]["message"]
    assert "auth_cred.bearer_token" in refused
