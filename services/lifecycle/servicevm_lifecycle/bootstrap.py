"""Wires lifecycle: its tables, its handlers, its gauges and its jobs.

The process's VimChecks is made here and given to the VIM handlers (which schedule a check
after each change) and to the job that re-checks VIMs left PENDING.
"""

from __future__ import annotations

from servicevm_lifecycle.adapters.gauges import lifecycle_gauges
from servicevm_lifecycle.adapters.orm import metadata, resource_leases
from servicevm_lifecycle.handlers import DEVICE_HANDLERS
from servicevm_lifecycle.health.driver_monitor import DriverMonitors
from servicevm_lifecycle.health.handlers import HEALTH_HANDLERS
from servicevm_lifecycle.jobs.orphans import OrphanReconciler
from servicevm_lifecycle.jobs.reconciler import reconcile_stuck_operations
from servicevm_lifecycle.jobs.secret_rotation import rotate_secrets_at_start
from servicevm_lifecycle.jobs.vim_rechecks import PendingVimRechecks
from servicevm_lifecycle.jobs.vnf_op_deadlines import expire_vnf_operations
from servicevm_lifecycle.templates import TEMPLATE_HANDLERS
from servicevm_lifecycle.vims.checker import VimChecks
from servicevm_lifecycle.vims.handlers import VimHandlers
from servicevm_lifecycle.vnflcm.graceful import watch_graceful_stops
from servicevm_lifecycle.vnflcm.grants.worker import ask_nfvo_for_grants
from servicevm_lifecycle.vnflcm.handlers import VNFLCM_HANDLERS
from shared.runtime import ServiceDefinition


def build_definition() -> ServiceDefinition:
    checks = VimChecks()
    return ServiceDefinition(
        name="lifecycle",
        metadata=metadata,
        handlers={
            **TEMPLATE_HANDLERS,
            **DEVICE_HANDLERS,
            **HEALTH_HANDLERS,
            **VimHandlers(checks).table(),
            **VNFLCM_HANDLERS,
        },
        refresh_gauges=lifecycle_gauges,
        # Driver calls run long and must run once whichever replica holds the message.
        leases=resource_leases,
        background=(
            reconcile_stuck_operations,
            rotate_secrets_at_start,
            PendingVimRechecks(checks),
            expire_vnf_operations,
            ask_nfvo_for_grants,
            watch_graceful_stops,
            DriverMonitors(),
            OrphanReconciler(),
        ),
    )


DEFINITION = build_definition()
