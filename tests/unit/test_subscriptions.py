"""Subscriptions without servers: the request model, matching, backoff, signatures, and the
deliverer's address check at send time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from servicevm_api.entrypoints.subscription_schemas import SubscriptionCreateRequest
from shared.config import get_settings
from shared.contracts.notifications import project_routing_key


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


def test_project_ids_are_one_routing_key_word() -> None:
    assert project_routing_key("4f1c0e", "device.active") == "4f1c0e.device.active"
    # A dotted id cannot pose as a prefix of another project's keys.
    assert project_routing_key("a.b", "device.active") == "a%2Eb.device.active"
    assert project_routing_key("x" * 300, "device.active") is None
