"""A subscription row as SOL003 LccnSubscription (5.5.2.4), with servicevm's
``deliveryState`` (what mgmt last reported of its deliveries). Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from servicevm_api.etsi.fields import SelectorSpec

SUBSCRIPTIONS_PATH = "/vnflcm/v1/subscriptions"
ATTRIBUTES = ("id", "filter", "callbackUri", "deliveryState", "_links")
SUBSCRIPTION_SELECTORS = SelectorSpec(
    mandatory=frozenset({"id", "callbackUri", "_links"}), attributes=frozenset(ATTRIBUTES)
)


def subscription_path(subscription_id: object) -> str:
    return f"{SUBSCRIPTIONS_PATH}/{subscription_id}"


def lccn_subscription(row: Mapping[Any, Any], base_url: str) -> dict[str, Any]:
    oldest = row["oldest_undelivered_at"]
    return {
        "id": str(row["id"]),
        "filter": row["filter"],
        "callbackUri": row["callback_uri"],
        "deliveryState": {
            # Waiting to be sent, or being retried (in order: the oldest first).
            "pendingNotifications": row["pending"],
            # Given up (past the retry window, or refused): an admin may re-send them.
            "undeliverableNotifications": row["undeliverable"],
            "oldestUndeliveredTime": None if oldest is None else oldest.isoformat(),
            "lastError": row["last_error"],
            # The ids of the oldest undeliverable ones (at most 20), as subscribers saw them.
            "undeliverableNotificationIds": row["undeliverable_ids"],
        },
        "_links": {"self": {"href": base_url + subscription_path(row["id"])}},
    }
