"""Which subscriptions a notification goes to, and when a failed delivery is retried."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from servicevm_mgmt.subscriptions.rules import SubscriptionFilter, matches, retry_delay
from shared.contracts.notifications import Notification


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
