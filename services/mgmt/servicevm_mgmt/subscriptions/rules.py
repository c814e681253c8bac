"""Which subscriptions get a notification, and when a failed delivery is tried again. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shared.contracts.notifications import Notification


@dataclass(frozen=True)
class SubscriptionFilter:
    tenant_id: str
    all_projects: bool
    # Empty: every event type (resource type). An event type ending in ".*" is a prefix.
    event_types: Sequence[str]
    resource_types: Sequence[str]


def event_type_matches(pattern: str, event_type: str) -> bool:
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return pattern == event_type


def matches(subscription: SubscriptionFilter, notification: Notification) -> bool:
    """Tenant isolation first: another project's notification only for an admin's
    all_projects subscription."""
    if not (subscription.all_projects or subscription.tenant_id == notification.tenant_id):
        return False
    if subscription.resource_types and notification.resource_type not in (
        subscription.resource_types
    ):
        return False
    return not subscription.event_types or any(
        event_type_matches(pattern, notification.event_type) for pattern in subscription.event_types
    )


def retry_delay(attempts: int, *, base: float, cap: float) -> float:
    """Seconds before attempt ``attempts + 1``: base, 2 base, 4 base, ... at most cap."""
    return float(min(cap, base * 2 ** max(0, attempts - 1)))
