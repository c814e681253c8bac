"""HTTP subscriptions through REST, delivered by mgmt to receivers the test runs: tenant
isolation, admin subscriptions to every project, authentication, retries, a hanging
receiver, write-only secrets, and visibility."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from shared.devstack import Suite
from tests.support.api import Api
from tests.support.receiver import Received, receiving
from tests.support.secrets import remember

PASSWORD = remember(f"sub-pw-{uuid.uuid4().hex}")
HMAC_SECRET = remember(f"sub-hmac-{uuid.uuid4().hex}")


def subscribe(api: Api, url: str, **fields: Any) -> dict[str, Any]:
    response = api.post("/v1.0/subscriptions", {"subscription": {"callback_uri": url, **fields}})
    assert response.status_code == 201, response.text
    assert PASSWORD not in response.text and HMAC_SECRET not in response.text
    subscription: dict[str, Any] = response.json()["subscription"]
    return subscription


def active_device(api: Api) -> dict[str, Any]:
    template = api.create_template()
    return api.wait_for_status(api.create_device(template["id"])["id"], "ACTIVE")


def device_events(received: list[Received], device_id: str) -> list[str]:
    notes = [r.notification for r in received]
    return [n["event_type"] for n in notes if n["resource_id"] == device_id]


def got_active(device_id: str) -> Any:
    return lambda received: "device.active" in device_events(received, device_id)


@pytest.fixture
def other(api: Api) -> Iterator[Api]:
    client = api.as_project(f"other-{uuid.uuid4().hex[:8]}")
    yield client
    client.close()


def test_a_project_gets_only_its_own_notifications_and_an_admin_gets_all(
    api: Api, other: Api, admin: Api
) -> None:
    with receiving() as mine, receiving() as everyone:
        subscribe(api, mine.url, filter={"event_types": ["device.*"]})
        subscribe(admin, everyone.url, all_projects=True, filter={"resource_types": ["device"]})
        own, foreign = active_device(api), active_device(other)
        everyone.wait_for(lambda r: got_active(own["id"])(r) and got_active(foreign["id"])(r))
        received = mine.wait_for(got_active(own["id"]))
    assert device_events(received, foreign["id"]) == []
    assert {r.notification["tenant_id"] for r in received} == {api.project}
    assert {r.notification["resource_type"] for r in received} == {"device"}
    first = received[0]
    assert first.headers["Content-Type"] == "application/json"
    assert first.headers["X-Servicevm-Event"] == first.notification["event_type"]


def test_only_an_admin_may_subscribe_to_every_project(api: Api) -> None:
    response = api.post(
        "/v1.0/subscriptions",
        {"subscription": {"callback_uri": "https://nfvo.example.com/cb", "all_projects": True}},
    )
    assert response.status_code == 403, response.text
    error = response.json()["NeutronError"]
    assert error["type"] == "PolicyNotAuthorized"
    assert "servicevm:subscription:all_projects" in error["message"]


def test_basic_and_hmac_authentication_reach_the_receiver(api: Api) -> None:
    with receiving() as basic, receiving() as signed:
        auth = {"type": "basic", "username": "nfvo", "password": PASSWORD}
        subscribe(api, basic.url, authentication=auth, filter={"event_types": ["device.active"]})
        secret = {"type": "hmac", "secret": HMAC_SECRET}
        subscribe(api, signed.url, authentication=secret, filter={"event_types": ["device.active"]})
        device = active_device(api)
        [by_basic] = basic.wait_for(got_active(device["id"]))
        [by_hmac] = signed.wait_for(got_active(device["id"]))
    expected = base64.b64encode(f"nfvo:{PASSWORD}".encode()).decode()
    assert by_basic.headers["Authorization"] == f"Basic {expected}"
    digest = hmac.new(HMAC_SECRET.encode(), by_hmac.body, hashlib.sha256).hexdigest()
    assert by_hmac.headers["X-Servicevm-Signature"] == f"sha256={digest}"
    assert "Authorization" not in by_hmac.headers


def test_server_errors_are_retried_until_delivered_once(api: Api) -> None:
    with receiving([500, 500]) as flaky:
        subscribe(api, flaky.url, filter={"event_types": ["device.active"]})
        device = active_device(api)
        flaky.wait_for(got_active(device["id"]))
        time.sleep(1.0)  # time for a wrong second delivery to arrive
        attempts = [r.notification["id"] for r in flaky.attempts]
        accepted = flaky.accepted
    assert len(accepted) == 1
    assert len(attempts) == 3 and len(set(attempts)) == 1


def test_a_receiver_that_never_answers_delays_no_one_else(api: Api) -> None:
    with receiving(hang=True) as stuck, receiving() as healthy:
        subscribe(api, stuck.url)
        subscribe(api, healthy.url)
        device = active_device(api)
        # Within the first stuck attempt's timeout (2s) of each of the others.
        received = healthy.wait_for(got_active(device["id"]), timeout=10)
        assert stuck.accepted == []
    assert device_events(received, device["id"])[-1] == "device.active"


def test_secrets_are_write_only(api: Api) -> None:
    auth = {"type": "basic", "username": "nfvo", "password": PASSWORD}
    created = subscribe(api, "https://nfvo.example.com/cb", authentication=auth)
    assert created["authentication"] == {"type": "basic", "username": "nfvo"}
    hmac_sub = subscribe(
        api, "https://nfvo.example.com/cb", authentication={"type": "hmac", "secret": HMAC_SECRET}
    )
    assert hmac_sub["authentication"] == {"type": "hmac", "username": None}
    for path in (
        f"/v1.0/subscriptions/{created['id']}",
        f"/v1.0/subscriptions/{hmac_sub['id']}",
        "/v1.0/subscriptions",
    ):
        response = api.get(path)
        assert response.status_code == 200
        assert PASSWORD not in response.text and HMAC_SECRET not in response.text
    # A refused request does not echo it either.
    bad = {**auth, "extra": 1}
    response = api.post(
        "/v1.0/subscriptions", {"subscription": {"callback_uri": "ftp://x", "authentication": bad}}
    )
    assert response.status_code == 400
    assert PASSWORD not in response.text


def test_other_projects_subscriptions_are_not_found(api: Api, other: Api, admin: Api) -> None:
    mine = subscribe(api, "https://nfvo.example.com/cb")
    path = f"/v1.0/subscriptions/{mine['id']}"
    assert other.get(path).status_code == 404
    assert other.delete(path).status_code == 404
    listed = other.get("/v1.0/subscriptions").json()["subscriptions"]
    assert mine["id"] not in [s["id"] for s in listed]
    assert admin.get(path).status_code == 200
    assert api.get("/v1.0/subscriptions", fields="id").json()["subscriptions"] == [
        {"id": mine["id"]}
    ]
    assert api.delete(path).status_code == 204
    assert api.get(path).status_code == 404


def test_a_deleted_subscription_gets_nothing_more(api: Api) -> None:
    with receiving() as gone, receiving() as kept:
        dropped = subscribe(api, gone.url)
        subscribe(api, kept.url)
        assert api.delete(f"/v1.0/subscriptions/{dropped['id']}").status_code == 204
        device = active_device(api)
        kept.wait_for(got_active(device["id"]))
        assert gone.attempts == []


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"callback_uri": "ftp://nfvo.example.com/cb"}, "callback_uri"),
        ({"filter": {"event_types": ["device.exploded"]}}, "event_types"),
        ({"filter": {"resource_types": ["vim"]}}, "resource_types"),
        ({"authentication": {"type": "basic", "username": "u"}}, "password"),
        ({"authentication": {"type": "oauth2"}}, "authentication"),
    ],
)
def test_invalid_subscriptions_are_400_naming_the_attribute(
    api: Api, fields: dict[str, Any], named: str
) -> None:
    body = {"callback_uri": "https://nfvo.example.com/cb", **fields}
    response = api.post("/v1.0/subscriptions", {"subscription": body})
    assert response.status_code == 400, response.text
    assert named in response.json()["NeutronError"]["message"]


def test_secrets_are_never_logged(suite: Suite, api: Api) -> None:
    # The suite's teardown greps every log for remembered secrets; this says it early.
    assert suite.log_dir is not None
    for log in suite.log_dir.glob("*.log"):
        text = log.read_text(errors="replace")
        assert PASSWORD not in text and HMAC_SECRET not in text
