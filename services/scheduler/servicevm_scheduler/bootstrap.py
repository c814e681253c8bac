"""Wires the scheduler: its tables, its handlers, its gauges."""

from __future__ import annotations

from servicevm_scheduler.adapters import repository as repo
from servicevm_scheduler.adapters.orm import metadata
from servicevm_scheduler.handlers import HANDLERS
from servicevm_scheduler.pool_keeper import keep_pools
from shared.observability.gauges import device_gauge_refresher
from shared.runtime import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="scheduler",
    metadata=metadata,
    handlers=HANDLERS,
    refresh_gauges=lambda store: device_gauge_refresher(store, repo.count_devices_by_status),
    background=(keep_pools,),
)
