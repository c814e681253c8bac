"""Settings of the monitoring engine, from ``SERVICEVM_MONITOR_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class MonitorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SERVICEVM_MONITOR_", extra="ignore")

    # Celery's broker; empty: the suite's own RabbitMQ vhost (SERVICEVM_AMQP_URL).
    broker_url: str = ""
    # How often beat emits a probe round, and the most probes one round claims.
    round_seconds: float = 1.0
    round_limit: int = 50_000
    # Probes per Celery task, and probes in flight at once within one task.
    batch_size: int = 500
    concurrency: int = 500
    # Results are written (and their events sent) at least this often while a batch runs,
    # so a slow probe never holds back the others' results.
    flush_seconds: float = 0.25
    # The worker's Prometheus port; 0: none.
    metrics_port: int = 0


@lru_cache
def monitor_settings() -> MonitorSettings:
    return MonitorSettings()
