"""mgmt's monitoring tables: what to probe and how each monitor fares, and the service
instances each device hosts (re-applied when the device is respawned)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

from servicevm_mgmt.adapters.orm import metadata

# One row per monitor of each monitored device; a probe round takes the rows that are due.
monitored_devices = Table(
    "monitored_devices",
    metadata,
    Column("device_id", Uuid, nullable=False),
    Column("monitor", String(16), nullable=False),
    Column("tenant_id", String(255), nullable=False),
    Column("mgmt_driver", String(255), nullable=False),
    Column("mgmt_address", String(255)),
    # The monitor's policy (shared.contracts.monitoring.Monitor as JSON).
    Column("spec", JSONB, nullable=False),
    Column("next_probe_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_probe_at", DateTime(timezone=True)),
    Column("last_ok", Boolean),
    Column("last_latency_seconds", Float),
    Column("last_error", Text),
    Column("consecutive_failures", Integer, nullable=False, server_default="0"),
    Column("healthy", Boolean, nullable=False, server_default="true"),
    PrimaryKeyConstraint("device_id", "monitor"),
    Index("monitored_devices_due", "next_probe_at"),
)

# The configuration of each service instance on each device, as last applied.
hosted_services = Table(
    "hosted_services",
    metadata,
    Column("instance_id", Uuid, nullable=False),
    Column("device_id", Uuid, nullable=False, index=True),
    Column("mgmt_driver", String(255)),
    Column("configuration", JSONB, nullable=False),
    PrimaryKeyConstraint("instance_id", "device_id"),
)
