"""Prometheus metrics of every service (one registry per process; each service sets those
it owns). deploy/grafana and deploy/prometheus-rules.yml use them by these names, and
tests/unit/shared/test_metric_names.py checks that each name they use is defined here."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Gauge, Histogram

LONG_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)

HTTP_REQUESTS = Counter(
    "servicevm_http_requests_total",
    "HTTP requests handled",
    ["service", "method", "route", "status"],
)
HTTP_SECONDS = Histogram(
    "servicevm_http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
MESSAGES_HANDLED = Counter(
    "servicevm_messages_handled_total",
    "Bus messages consumed, by outcome (handled, duplicate, failed)",
    ["service", "message_type", "outcome"],
)
MESSAGE_SECONDS = Histogram(
    "servicevm_message_handling_duration_seconds",
    "Time to handle one bus message",
    ["service", "message_type"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
MESSAGE_BATCH_SIZE = Histogram(
    "servicevm_message_batch_size",
    "Messages that shared one transaction (messaging.batching), per batch",
    ["service"],
    buckets=(1, 2, 3, 4, 6, 8, 10, 15, 20, 30),
)
MESSAGES_PUBLISHED = Counter(
    "servicevm_outbox_published_total",
    "Outbox messages published with a broker confirm",
    ["service", "exchange"],
)
NOTIFICATIONS_DELIVERED = Counter(
    "servicevm_notification_deliveries_total",
    "HTTP notification delivery attempts by outcome (delivered, retried, given_up)",
    ["outcome"],
)
# Lifecycle owns devices: only it exports servicevm_devices, so a sum counts each once.
DEVICES_BY_STATUS = Gauge(
    "servicevm_devices",
    "Devices by status (lifecycle's records, the devices' owner)",
    ["status"],
)
# The api's and the scheduler's read models of the same devices: a difference from
# servicevm_devices is events not yet applied there.
DEVICE_REPLICAS_BY_STATUS = Gauge(
    "servicevm_device_replicas",
    "Devices by status as a read model (api, scheduler) counts them",
    ["service", "status"],
)
DEVICE_OPERATION_SECONDS = Histogram(
    "servicevm_device_operation_duration_seconds",
    "Time of a device driver's part of an operation, by driver, operation and outcome",
    ["driver", "operation", "outcome"],
    buckets=LONG_BUCKETS,
)
DEVICE_PENDING_OLDEST = Gauge(
    "servicevm_device_pending_oldest_seconds",
    "Age of the device longest in each PENDING_* status (0: none): a stuck operation grows",
    ["status"],
)
VIMS_BY_STATUS = Gauge(
    "servicevm_vims",
    "VIMs by lifecycle's last check: REACHABLE, UNREACHABLE, PENDING",
    ["status"],
)
OUTBOX_BACKLOG = Gauge(
    "servicevm_outbox_backlog",
    "Outbox messages written but not yet published",
    ["service"],
)
OUTBOX_LAG = Gauge(
    "servicevm_outbox_oldest_age_seconds",
    "Age of the oldest unpublished outbox message (publish lag; 0 when none)",
    ["service"],
)
DEAD_LETTERS = Gauge(
    "servicevm_dead_letter_messages",
    "Messages parked in the service's dead-letter queue (servicevm.<service>.dead-letter)",
    ["service"],
)
DELIVERIES_PENDING = Gauge(
    "servicevm_notification_deliveries_pending",
    "HTTP notification deliveries waiting for their (next) attempt",
)
DELIVERIES_FAILED = Gauge(
    "servicevm_notification_deliveries_failed",
    "HTTP notification deliveries given up and kept for an operator",
)
DELIVERY_SECONDS = Histogram(
    "servicevm_notification_delivery_latency_seconds",
    "Time from a notification's delivery row to its receiver's acceptance",
    buckets=LONG_BUCKETS,
)
SERVICE_INSTANCES_BY_STATUS = Gauge(
    "servicevm_service_instances",
    "Service instances by status, as the scheduler counts them",
    ["status"],
)
SLOTS = Gauge(
    "servicevm_device_slots",
    "Slots of ACTIVE devices as the scheduler counts them: used and free",
    ["state"],
)
TEMPLATE_SLOTS = Gauge(
    "servicevm_template_slots",
    "Slots of ACTIVE devices per device template: used and free",
    ["template_id", "state"],
)
POOL_DEVICES = Gauge(
    "servicevm_pool_devices",
    "Devices of the scheduler's pools per template: idle (no slot used) or busy",
    ["template_id", "state"],
)


@contextmanager
def timed_device_operation(driver: str, operation: str) -> Iterator[None]:
    """Observe the driver's part of ``operation``: succeeded, or failed when it raises."""
    started = time.monotonic()
    outcome = "failed"
    try:
        yield
        outcome = "succeeded"
    finally:
        DEVICE_OPERATION_SECONDS.labels(driver, operation, outcome).observe(
            time.monotonic() - started
        )


NFVO_GRANTS = Counter(
    "servicevm_nfvo_grants_total",
    "Answers of the external NFVO to grant requests and polls "
    "(granted, pending, refused, unavailable)",
    ["outcome"],
)
