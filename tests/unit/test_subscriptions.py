"""Subscriptions without servers: the request model, matching, backoff, signatures, and the
deliverer's address check at send time."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from servicevm_api.entrypoints.subscription_schemas import SubscriptionCreateRequest
from servicevm_mgmt.delivery import Refused, _outcome, resolve, signature
from servicevm_mgmt.domain.subscriptions import SubscriptionFilter, matches, retry_delay
from shared.config import Settings, get_settings
from shared.contracts.notifications import Notification, project_routing_key


@pytest.fixture
def strict_callbacks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The settings the api validates with, as on a production machine."""
    monkeypatch.setenv("SERVICEVM_ALLOW_PRIVATE_CALLBACKS", "false")
    monkeypatch.setenv("SERVICEVM_ALLOWED_CALLBACK_HOSTS", "[]")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def request(callback_uri: str, **fields: Any) -> SubscriptionCreateRequest:
    body = {"subscription": {"callback_uri": callback_uri, **fields}}
    return SubscriptionCreateRequest.model_validate(body)


@pytest.mark.usefixtures("strict_callbacks")
@pytest.mark.parametrize(
    "uri", ["http://127.0.0.1:9/cb", "http://localhost/cb", "http://169.254.169.254/"]
)
def test_a_subscription_to_loopback_or_link_local_is_refused(uri: str) -> None:
    with pytest.raises(ValidationError, match="callback_uri"):
        request(uri)


@pytest.mark.usefixtures("strict_callbacks")
def test_a_subscription_request_keeps_its_secret_out_of_repr() -> None:
    made = request(
        "https://nfvo.example.com/cb",
        authentication={"type": "basic", "username": "u", "password": "hunter2-secret"},
        filter={"event_types": ["device.*", "service_instance.active"]},
    )
    assert "hunter2-secret" not in repr(made)
    assert made.subscription.filter.event_types == ["device.*", "service_instance.active"]


def notification(tenant: str, event_type: str = "device.active") -> Notification:
    return Notification(
        event_type=event_type,
        resource_type=event_type.split(".")[0],
        resource_id=uuid.uuid4(),
        tenant_id=tenant,
        request_id="req-1",
        payload={},
    )


def subscription(tenant: str = "a", **fields: Any) -> SubscriptionFilter:
    values: dict[str, Any] = {"all_projects": False, "event_types": [], "resource_types": []}
    return SubscriptionFilter(tenant_id=tenant, **{**values, **fields})


def test_only_the_subscriptions_project_or_an_all_projects_one_matches() -> None:
    assert matches(subscription("a"), notification("a"))
    assert not matches(subscription("a"), notification("b"))
    assert matches(subscription("admin", all_projects=True), notification("b"))


@pytest.mark.parametrize(
    ("event_types", "resource_types", "event_type", "expected"),
    [
        (["device.*"], [], "device.active", True),
        (["device.*"], [], "device_template.created", False),
        (["device.active"], [], "device.error", False),
        (["*"], [], "service_instance.active", True),
        ([], ["service_instance"], "service_instance.error", True),
        ([], ["device"], "device_template.deleted", False),
    ],
)
def test_filters_by_event_type_or_prefix_and_resource_type(
    event_types: list[str], resource_types: list[str], event_type: str, expected: bool
) -> None:
    filtered = subscription(event_types=event_types, resource_types=resource_types)
    assert matches(filtered, notification("a", event_type)) is expected


def test_retries_back_off_exponentially_up_to_a_cap() -> None:
    delays = [retry_delay(attempt, base=1, cap=10) for attempt in range(1, 7)]
    assert delays == [1, 2, 4, 8, 10, 10]


def test_the_signature_is_an_hmac_sha256_of_the_body() -> None:
    expected = hmac.new(b"k", b"{}", hashlib.sha256).hexdigest()
    assert signature("k", b"{}") == f"sha256={expected}"


@pytest.mark.parametrize(
    ("status", "delivered", "retry"),
    [(200, True, False), (204, True, False), (500, False, True), (503, False, True),
     (429, False, True), (404, False, False), (301, False, False)],
)  # fmt: skip
def test_which_answers_are_retried(status: int, delivered: bool, retry: bool) -> None:
    outcome = _outcome(status)
    assert (outcome.delivered, outcome.retry) == (delivered, retry)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "10.1.2.3", "[::1]", "0x7f000001"])
def test_the_deliverer_refuses_internal_addresses_at_send_time(host: str) -> None:
    strict = Settings(allow_private_callbacks=False, allowed_callback_hosts=[])
    with pytest.raises(Refused):
        asyncio.run(resolve(host.strip("[]"), 80, strict))


def test_the_deliverer_connects_where_the_operator_allows() -> None:
    allowed = Settings(allow_private_callbacks=False, allowed_callback_hosts=["localhost"])
    assert asyncio.run(resolve("localhost", 80, allowed)).is_loopback
    private = Settings(allow_private_callbacks=True)
    assert str(asyncio.run(resolve("10.1.2.3", 80, private))) == "10.1.2.3"


def test_project_ids_are_one_routing_key_word() -> None:
    assert project_routing_key("4f1c0e", "device.active") == "4f1c0e.device.active"
    # A dotted id cannot pose as a prefix of another project's keys.
    assert project_routing_key("a.b", "device.active") == "a%2Eb.device.active"
    assert project_routing_key("x" * 300, "device.active") is None
