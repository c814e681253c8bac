"""Which body each notification has: event type (the admin exchange's routing key, the
second part of the per-project one) → pydantic model. The one table the AsyncAPI document
(``/v1.0/asyncapi.json``) and its JSON Schemas are built from; a new kind of notification
is one more entry here, and the contract test then checks its published bodies."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel

from shared.contracts import sol003
from shared.contracts.notifications import (
    EVENT_TYPES,
    DeviceCapacityNotification,
    DeviceNotification,
    DeviceTemplateNotification,
    ServiceInstanceNotification,
)


@dataclass(frozen=True)
class NotificationKind:
    model: type[BaseModel]
    event_types: tuple[str, ...]
    summary: str


def _of(prefix: str, *, without: Iterable[str] = ()) -> tuple[str, ...]:
    excluded = set(without)
    return tuple(sorted(e for e in EVENT_TYPES if e.startswith(f"{prefix}.") and e not in excluded))


NOTIFICATION_KINDS: tuple[NotificationKind, ...] = (
    NotificationKind(
        DeviceNotification,
        _of("device", without=("device.capacity",)),
        "A device changed status (device.<status>), or was deleted.",
    ),
    NotificationKind(
        DeviceCapacityNotification,
        ("device.capacity",),
        "A device's slots after service instances were placed on it or released.",
    ),
    NotificationKind(
        ServiceInstanceNotification,
        _of("service_instance"),
        "A service instance changed status, or was deleted.",
    ),
    NotificationKind(
        DeviceTemplateNotification,
        _of("device_template"),
        "A device template was created, updated or deleted.",
    ),
    NotificationKind(
        sol003.VnfLcmOperationOccurrenceNotification,
        (sol003.event_type("VnfLcmOperationOccurrenceNotification"),),
        "SOL003: a VNF LCM operation occurrence started (START) or entered a later state (RESULT).",
    ),
    NotificationKind(
        sol003.VnfIdentifierCreationNotification,
        (sol003.event_type("VnfIdentifierCreationNotification"),),
        "SOL003: a VNF instance identifier was created.",
    ),
    NotificationKind(
        sol003.VnfIdentifierDeletionNotification,
        (sol003.event_type("VnfIdentifierDeletionNotification"),),
        "SOL003: a VNF instance identifier was deleted.",
    ),
)


def by_event_type(
    kinds: Iterable[NotificationKind] = NOTIFICATION_KINDS,
) -> dict[str, NotificationKind]:
    """Each event type's kind; an event type registered twice is a programming error."""
    table: dict[str, NotificationKind] = {}
    for kind in kinds:
        for event_type in kind.event_types:
            if event_type in table:
                raise ValueError(f"event type {event_type} registered twice")
            table[event_type] = kind
    return table
