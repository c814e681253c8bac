"""Wires mgmt: its tables, its handlers and its jobs (the notification deliverer and the
rotation of the subscriptions' secrets, the SOL003 subscriptions' delivery states)."""

from __future__ import annotations

from servicevm_mgmt.adapters.gauges import delivery_gauges
from servicevm_mgmt.adapters.orm import metadata, resource_leases
from servicevm_mgmt.handlers import HANDLERS
from servicevm_mgmt.jobs.deliverer import deliver_notifications
from servicevm_mgmt.jobs.delivery_state import report_delivery_states
from servicevm_mgmt.jobs.secret_rotation import rotate_secrets_at_start
from shared.contracts import events
from shared.runtime import ServiceDefinition


def build_definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="mgmt",
        metadata=metadata,
        handlers=HANDLERS,
        refresh_gauges=delivery_gauges,
        # These handlers configure appliances before their last transaction: a message
        # redelivered to another replica waits for the lease instead of configuring twice.
        # A device.spawned with nothing to configure (handlers.device_spawned's
        # one_transaction ``when``) takes no lease: it shares a transaction with others.
        leases=resource_leases,
        leased_types=frozenset(
            {events.DeviceSpawned, events.ServiceInstancePlaced, events.ServiceInstanceReleasing}
        ),
        background=(deliver_notifications, rotate_secrets_at_start, report_delivery_states),
    )


DEFINITION = build_definition()
