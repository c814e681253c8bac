"""Tables of the scheduler schema: its view of templates and devices (fed by events), and
the service instances it owns with the bindings that reserve device slots for them."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

from shared.db.tables import inbox_table, outbox_table

metadata = MetaData(schema="scheduler")

templates = Table(
    "templates",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", String(255), nullable=False),
    Column("service_types", JSONB, nullable=False),
    Column("attributes", JSONB, nullable=False),
    Column("slot_capacity", Integer, nullable=False),
    # NULL for a template projected before the scheduler kept it: its instances are
    # configured through mgmt (``domain.choice.through_mgmt``).
    Column("mgmt_driver", String(255)),
)

# One row per service type a template offers: resolves a request's service_type_id.
service_types = Table(
    "service_types",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("template_id", Uuid, ForeignKey("templates.id", ondelete="CASCADE"), nullable=False),
    Column("service_type", String(255), nullable=False),
)

devices = Table(
    "devices",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", String(255), nullable=False),
    Column("template_id", Uuid, nullable=False, index=True),
    Column("status", String(32), nullable=False, index=True),
    Column("slot_capacity", Integer, nullable=False),
    Column("slots_used", Integer, nullable=False, server_default="0"),
    Column("host", String(255)),
    Column("availability_zone", String(255)),
    # For tenant_bound templates: the one project whose instances the device hosts.
    Column("bound_tenant", String(255)),
    # Created by the scheduler to grow a pool; only these are released when idle.
    Column("pool_managed", Boolean, nullable=False, server_default="false"),
    # Since when no slot is used (None while something is placed on it).
    Column("idle_since", DateTime(timezone=True), server_default=func.now()),
    Column("revision", Integer, nullable=False),
    Column("capacity_revision", Integer, nullable=False, server_default="0"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # The guarantee behind placement: whatever the concurrency, no device is overbooked.
    CheckConstraint(
        "slots_used >= 0 AND slots_used <= slot_capacity", name="slots_within_capacity"
    ),
)
# The pick's ORDER BY, whole (free slots, then id): pack reads the first, spread the other.
Index(
    "ix_scheduler_devices_pack",
    devices.c.template_id,
    (devices.c.slot_capacity - devices.c.slots_used),
    devices.c.id,
    postgresql_where=devices.c.status == "ACTIVE",
)
Index(
    "ix_scheduler_devices_spread",
    devices.c.template_id,
    (devices.c.slot_capacity - devices.c.slots_used).desc(),
    devices.c.id,
    postgresql_where=devices.c.status == "ACTIVE",
)

service_instances = Table(
    "service_instances",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", String(255), nullable=False, index=True),
    Column("name", String(255), nullable=False),
    Column("service_type_id", Uuid, nullable=False),
    Column("service_table_id", String(255)),
    Column("mgmt_driver", String(255)),
    Column("mgmt_address", String(255)),
    Column("service_contexts", JSONB, nullable=False),
    Column("requested_devices", JSONB, nullable=False),
    Column("kwargs", JSONB, nullable=False),
    Column("managed_by_user", Boolean, nullable=False),
    Column("status", String(32), nullable=False, index=True),
    Column("error_reason", Text),
    # Set while the instance waits for room (a new device or its template); oldest first.
    Column("waiting_since", DateTime(timezone=True), index=True),
    Column("revision", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# ServiceDeviceBinding: the slots an instance holds on a device.
bindings = Table(
    "bindings",
    metadata,
    Column(
        "service_instance_id",
        Uuid,
        ForeignKey("service_instances.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("device_id", Uuid, primary_key=True, index=True),
    Column("slots", Integer, nullable=False),
    Column("position", Integer, nullable=False),
)

outbox = outbox_table(metadata)
processed_messages = inbox_table(metadata)
