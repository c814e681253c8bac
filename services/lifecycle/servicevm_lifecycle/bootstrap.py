"""Wires lifecycle: its tables, its handlers, its gauges."""

from __future__ import annotations

from servicevm_lifecycle.adapters import repository as repo
from servicevm_lifecycle.adapters.orm import metadata
from servicevm_lifecycle.handlers import HANDLERS
from servicevm_lifecycle.reconciler import reconcile_stuck_operations
from servicevm_lifecycle.vim_checks import recheck_pending_vims
from servicevm_lifecycle.vims import rotate_secrets_at_start
from shared.observability.gauges import device_gauge_refresher
from shared.runtime import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="lifecycle",
    metadata=metadata,
    handlers=HANDLERS,
    refresh_gauges=lambda store: device_gauge_refresher(store, repo.count_devices_by_status),
    background=(reconcile_stuck_operations, rotate_secrets_at_start, recheck_pending_vims),
)
