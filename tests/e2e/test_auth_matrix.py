"""Every endpoint x every kind of caller, through an api process that validates Keystone tokens.

Callers: no token, an invalid token, an expired token, a member of another project, a reader
of the owning project, an admin, and the owning project's member. Expected: 401 for the first
three; for another project 404 on the owner's resources (lists leave them out, the service type
catalogue is everyone's); 403 for a reader's writes; 2xx for the admin and the owner.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from shared.devstack import Suite
from tests.support.api import Api
from tests.support.environment import KEYSTONE_WRITE_LIMIT
from tests.support.keystone import Keystone
from tests.support.secrets import remember

CALLERS = (
    "no_token",
    "invalid_token",
    "expired_token",
    "other_project",
    "reader",
    "admin",
    "owner",
)
USERS = {"other_project": "bob", "reader": "rita", "admin": "root", "owner": "alice"}


class KeystoneApi(Api):
    """The tests' REST client, speaking with a token instead of noauth headers."""

    def __init__(self, base_url: str, token: str | None) -> None:
        super().__init__(base_url)
        self.http.headers.pop("X-Project-Id")
        self.http.headers.pop("X-Roles")
        if token is not None:
            self.http.headers["X-Auth-Token"] = token


@dataclass
class World:
    """Project A's resources, made by its member alice."""

    keystone: Keystone
    url: str
    owner: KeystoneApi
    template: dict[str, Any]
    device: dict[str, Any]
    instance: dict[str, Any]
    vim: dict[str, Any]
    subscription: dict[str, Any]

    @property
    def service_type_id(self) -> str:
        return self.owner.service_type_id(self.template)

    def client(self, caller: str) -> KeystoneApi:
        if caller == "no_token":
            return KeystoneApi(self.url, None)
        if caller == "invalid_token":
            return KeystoneApi(self.url, remember(secrets.token_hex(16)))
        if caller == "expired_token":
            return KeystoneApi(self.url, self.keystone.token("alice", ttl_seconds=-1))
        return KeystoneApi(self.url, self.keystone.login(USERS[caller]))

    # Fresh resources for the updates and deletes that succeed.
    def new_template(self) -> dict[str, Any]:
        return self.owner.create_template(name="to change")

    def new_device(self) -> dict[str, Any]:
        device = self.owner.create_device(self.template["id"])
        return self.owner.wait_for_status(device["id"], "ACTIVE")

    def new_vim(self) -> dict[str, Any]:
        response = self.owner.post("/v1.0/vims", _vim_body())
        assert response.status_code == 201, response.text
        vim: dict[str, Any] = response.json()["vim"]
        return vim

    def new_subscription(self) -> dict[str, Any]:
        response = self.owner.post("/v1.0/subscriptions", _subscription_body())
        assert response.status_code == 201, response.text
        subscription: dict[str, Any] = response.json()["subscription"]
        return subscription

    def new_instance(self) -> dict[str, Any]:
        instance = self.owner.create_instance(self.service_type_id, managed_by_user=True)
        return self.owner.wait_for_instance(instance["id"], "ACTIVE")


@pytest.fixture(scope="module")
def world(keystone_suite: Suite, keystone: Keystone) -> Iterator[World]:
    url = keystone_suite.url("api")
    owner = KeystoneApi(url, keystone.login("alice"))
    template = owner.create_template(attributes={"slot_capacity": "100"})
    device = owner.wait_for_status(owner.create_device(template["id"])["id"], "ACTIVE")
    instance = owner.create_instance(owner.service_type_id(template), managed_by_user=True)
    instance = owner.wait_for_instance(instance["id"], "ACTIVE")
    vim = owner.post("/v1.0/vims", _vim_body()).json()["vim"]
    subscription = owner.post("/v1.0/subscriptions", _subscription_body()).json()["subscription"]
    yield World(keystone, url, owner, template, device, instance, vim, subscription)
    owner.close()


@dataclass(frozen=True)
class Endpoint:
    # The policy action, without its "servicevm:" prefix.
    name: str
    method: str
    # (world, whether it must succeed) -> (path, body)
    request: Callable[[World, bool], tuple[str, dict[str, Any] | None]]
    success: int
    write: bool = False
    # What a member of another project gets: 404 unless it is its own list or a catalogue.
    other_project: int = 404


def _vim_body() -> dict[str, Any]:
    # Nothing listens there: the VIM is recorded, and its check reports it UNREACHABLE.
    password = remember(secrets.token_hex(12))
    return {
        "vim": {
            "auth_url": "http://127.0.0.1:9/v3",
            "project_id": "p",
            "user_name": "u",
            "user_domain_name": "Default",
            "password": password,
        }
    }


def _subscription_body() -> dict[str, Any]:
    secret = remember(secrets.token_hex(12))
    return {
        "subscription": {
            # Only templates' notifications, to a name that does not resolve: given up at once.
            "callback_uri": "https://nfvo.invalid/notify",
            "filter": {"resource_types": ["device_template"]},
            "authentication": {"type": "hmac", "secret": secret},
        }
    }


def _template_body() -> dict[str, Any]:
    return {"device_template": {"device_driver": "noop", "mgmt_driver": "noop"}}


ENDPOINTS = [
    Endpoint(
        "device_template:create",
        "POST",
        lambda w, ok: ("/v1.0/device_templates", _template_body()),
        201,
        write=True,
        other_project=201,
    ),
    Endpoint(
        "device_template:get_all",
        "GET",
        lambda w, ok: ("/v1.0/device_templates", None),
        200,
        other_project=200,
    ),
    Endpoint(
        "device_template:get",
        "GET",
        lambda w, ok: (f"/v1.0/device_templates/{w.template['id']}", None),
        200,
    ),
    Endpoint(
        "device_template:update",
        "PUT",
        lambda w, ok: (
            f"/v1.0/device_templates/{(w.new_template() if ok else w.template)['id']}",
            {"device_template": {"name": "renamed"}},
        ),
        200,
        write=True,
    ),
    Endpoint(
        "device_template:delete",
        "DELETE",
        lambda w, ok: (
            f"/v1.0/device_templates/{(w.new_template() if ok else w.template)['id']}",
            None,
        ),
        204,
        write=True,
    ),
    Endpoint(
        "device:create",
        "POST",
        lambda w, ok: ("/v1.0/devices", {"device": {"template_id": w.template["id"]}}),
        201,
        write=True,
    ),
    Endpoint(
        "device:get_all", "GET", lambda w, ok: ("/v1.0/devices", None), 200, other_project=200
    ),
    Endpoint("device:get", "GET", lambda w, ok: (f"/v1.0/devices/{w.device['id']}", None), 200),
    Endpoint(
        "device:update",
        "PUT",
        lambda w, ok: (
            f"/v1.0/devices/{(w.new_device() if ok else w.device)['id']}",
            {"device": {"kwargs": {"changed": "yes"}}},
        ),
        200,
        write=True,
    ),
    Endpoint(
        "device:delete",
        "DELETE",
        lambda w, ok: (f"/v1.0/devices/{(w.new_device() if ok else w.device)['id']}", None),
        204,
        write=True,
    ),
    Endpoint(
        "service_instance:create",
        "POST",
        lambda w, ok: (
            "/v1.0/service_instances",
            {"service_instance": {"service_type_id": w.service_type_id}},
        ),
        201,
        write=True,
        # Service types are a catalogue: any project may ask for one.
        other_project=201,
    ),
    Endpoint(
        "service_instance:get_all",
        "GET",
        lambda w, ok: ("/v1.0/service_instances", None),
        200,
        other_project=200,
    ),
    Endpoint(
        "service_instance:get",
        "GET",
        lambda w, ok: (f"/v1.0/service_instances/{w.instance['id']}", None),
        200,
    ),
    Endpoint(
        "service_instance:update",
        "PUT",
        lambda w, ok: (
            f"/v1.0/service_instances/{(w.new_instance() if ok else w.instance)['id']}",
            {"service_instance": {"name": "renamed"}},
        ),
        200,
        write=True,
    ),
    Endpoint(
        "service_instance:delete",
        "DELETE",
        lambda w, ok: (
            f"/v1.0/service_instances/{(w.new_instance() if ok else w.instance)['id']}",
            None,
        ),
        204,
        write=True,
    ),
    Endpoint(
        "service_type:get_all",
        "GET",
        lambda w, ok: ("/v1.0/service_types", None),
        200,
        other_project=200,
    ),
    Endpoint(
        "service_type:get",
        "GET",
        lambda w, ok: (f"/v1.0/service_types/{w.service_type_id}", None),
        200,
        other_project=200,
    ),
    Endpoint("topology:get", "GET", lambda w, ok: ("/v1.0/topology", None), 200, other_project=200),
    Endpoint(
        "vim:create",
        "POST",
        lambda w, ok: ("/v1.0/vims", _vim_body()),
        201,
        write=True,
        other_project=201,
    ),
    Endpoint("vim:get_all", "GET", lambda w, ok: ("/v1.0/vims", None), 200, other_project=200),
    Endpoint("vim:get", "GET", lambda w, ok: (f"/v1.0/vims/{w.vim['id']}", None), 200),
    Endpoint(
        "vim:update",
        "PUT",
        lambda w, ok: (
            f"/v1.0/vims/{(w.new_vim() if ok else w.vim)['id']}",
            {"vim": {"description": "changed"}},
        ),
        200,
        write=True,
    ),
    Endpoint(
        "vim:delete",
        "DELETE",
        lambda w, ok: (f"/v1.0/vims/{(w.new_vim() if ok else w.vim)['id']}", None),
        204,
        write=True,
    ),
    Endpoint(
        "subscription:create",
        "POST",
        lambda w, ok: ("/v1.0/subscriptions", _subscription_body()),
        201,
        write=True,
        other_project=201,
    ),
    Endpoint(
        "subscription:get_all",
        "GET",
        lambda w, ok: ("/v1.0/subscriptions", None),
        200,
        other_project=200,
    ),
    Endpoint(
        "subscription:get",
        "GET",
        lambda w, ok: (f"/v1.0/subscriptions/{w.subscription['id']}", None),
        200,
    ),
    Endpoint(
        "subscription:delete",
        "DELETE",
        lambda w, ok: (
            f"/v1.0/subscriptions/{(w.new_subscription() if ok else w.subscription)['id']}",
            None,
        ),
        204,
        write=True,
    ),
]


def expected_status(endpoint: Endpoint, caller: str) -> int:
    if caller in ("no_token", "invalid_token", "expired_token"):
        return 401
    if caller == "reader":
        return 403 if endpoint.write else 200
    if caller == "other_project":
        return endpoint.other_project
    return endpoint.success


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_endpoint_answers_each_caller(world: World, endpoint: Endpoint, caller: str) -> None:
    expected = expected_status(endpoint, caller)
    path, body = endpoint.request(world, 200 <= expected < 300)
    client = world.client(caller)
    try:
        response = client.http.request(endpoint.method, path, json=body)
    finally:
        client.close()
    assert response.status_code == expected, response.text
    if expected >= 400:
        error = response.json()["NeutronError"]
        assert error["message"]
        if expected == 401:
            assert error["type"] == "HTTPUnauthorized"
        if expected == 403:
            assert error["type"] == "PolicyNotAuthorized"
            assert error["message"] == (
                f"Policy doesn't allow servicevm:{endpoint.name} to be performed."
            )


def test_lists_leave_out_other_projects(world: World) -> None:
    bob = world.client("other_project")
    try:
        for plural, resource in (
            ("device_templates", world.template),
            ("devices", world.device),
            ("service_instances", world.instance),
            ("vims", world.vim),
            ("subscriptions", world.subscription),
        ):
            listed = bob.get(f"/v1.0/{plural}").json()[plural]
            assert resource["id"] not in [item["id"] for item in listed]
            admin_listed = world.client("admin").get(f"/v1.0/{plural}").json()[plural]
            assert resource["id"] in [item["id"] for item in admin_listed]
        # Devices are shared, so bob may see one hosting his instances, but not alice's.
        topology = bob.get("/v1.0/topology").json()["topology"]
        assert world.instance["id"] not in str(topology)
    finally:
        bob.close()


def test_identity_comes_from_the_token_never_from_headers(world: World) -> None:
    forged = {"X-Project-Id": world.template["tenant_id"], "X-Roles": "admin"}
    no_token = httpx.get(f"{world.url}/v1.0/devices", headers=forged, timeout=5)
    assert no_token.status_code == 401
    bob = world.keystone.login("bob")
    as_bob = httpx.get(
        f"{world.url}/v1.0/devices/{world.device['id']}",
        headers={**forged, "X-Auth-Token": bob},
        timeout=5,
    )
    assert as_bob.status_code == 404


def test_a_cached_token_stops_working_when_it_expires(world: World) -> None:
    token = world.keystone.token("alice", ttl_seconds=1.5)
    client = KeystoneApi(world.url, token)
    try:
        assert client.get("/v1.0/devices").status_code == 200
        assert client.get("/v1.0/devices").status_code == 200  # from the cache
        time.sleep(1.6)
        assert client.get("/v1.0/devices").status_code == 401
    finally:
        client.close()


def test_owner_resources_survive_the_matrix(world: World) -> None:
    assert world.owner.device(world.device["id"]) is not None
    assert world.owner.instance(world.instance["id"]) is not None
    template = world.owner.get(f"/v1.0/device_templates/{world.template['id']}")
    assert template.status_code == 200


def test_writes_past_the_project_limit_are_429_with_retry_after(world: World) -> None:
    carl = KeystoneApi(world.url, world.keystone.login("carl"))
    # The limiter counts in fixed one-minute windows: start well inside one.
    into_window = time.time() % 60
    if into_window > 50:
        time.sleep(60 - into_window + 0.1)
    try:
        statuses = [
            carl.post("/v1.0/device_templates", _template_body()).status_code
            for _ in range(KEYSTONE_WRITE_LIMIT + 1)
        ]
        refused = carl.post("/v1.0/device_templates", _template_body())
        # Reads go on; other projects' writes too.
        assert carl.get("/v1.0/device_templates").status_code == 200
    finally:
        carl.close()
    assert statuses.count(201) <= KEYSTONE_WRITE_LIMIT
    assert 429 in statuses
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["NeutronError"]["type"] == "OverLimit"
    assert world.owner.post("/v1.0/device_templates", _template_body()).status_code == 201
