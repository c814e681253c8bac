"""The monitoring engine's Prometheus metrics (served by each Celery worker)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

PROBES = Counter(
    "servicevm_health_probes_total", "Probes run, by monitor type and result", ["monitor", "result"]
)
PROBE_LATENCY = Histogram(
    "servicevm_health_probe_latency_seconds",
    "Probe latency by monitor type",
    ["monitor"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
ROUND_LAG = Histogram(
    "servicevm_health_round_lag_seconds",
    "How late the oldest probe of a round was",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)
DEVICES_BY_HEALTH = Gauge(
    "servicevm_health_devices", "Monitored devices by health state", ["state"]
)
