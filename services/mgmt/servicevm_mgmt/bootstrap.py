"""Wires mgmt: its tables, its handlers and the notification deliverer."""

from __future__ import annotations

from servicevm_mgmt.adapters.orm import metadata
from servicevm_mgmt.deliverer import deliver_notifications
from servicevm_mgmt.handlers import HANDLERS
from servicevm_mgmt.secret_rotation import rotate_secrets_at_start
from shared.runtime import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="mgmt",
    metadata=metadata,
    handlers=HANDLERS,
    background=(deliver_notifications, rotate_secrets_at_start),
)
