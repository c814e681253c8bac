"""Prometheus metrics shared by every service (labelled by service)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

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
DEVICES_BY_STATUS = Gauge(
    "servicevm_devices",
    "Devices by status, as this service's own records count them",
    ["service", "status"],
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
