"""A subscription request: callbacks the api refuses, and its secret kept out of repr."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError

from servicevm_api.schemas.subscriptions import SubscriptionCreateRequest, SubscriptionPublic
from shared.config import get_settings


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


def test_a_row_shows_its_flat_columns_nested_and_never_its_secret() -> None:
    columns = {
        "id": uuid.uuid4(),
        "tenant_id": "p",
        "callback_uri": "https://nfvo.example.com/cb",
        "event_types": ["device.*"],
        "resource_types": ["device"],
        "all_projects": False,
        "auth_type": "basic",
        "auth_username": "u",
    }
    row = SimpleNamespace(_mapping=columns, **columns)
    shown = SubscriptionPublic.model_validate(row, from_attributes=True).model_dump(mode="json")
    assert list(shown) == [
        "id",
        "tenant_id",
        "callback_uri",
        "filter",
        "authentication",
        "all_projects",
    ]
    assert shown["filter"] == {"event_types": ["device.*"], "resource_types": ["device"]}
    assert shown["authentication"] == {"type": "basic", "username": "u"}
