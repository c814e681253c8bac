"""Tables of the api schema: the gateway's query model, kept current by events."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB

from shared.db.tables import inbox_table, outbox_table

metadata = MetaData(schema="api")

device_templates = Table(
    "device_templates",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", String(255), nullable=False, index=True),
    Column("name", String(255), nullable=False),
    Column("description", String(255), nullable=False),
    Column("device_driver", String(255), nullable=False),
    Column("mgmt_driver", String(255), nullable=False),
    # [{"id": ..., "service_type": ...}]; the normalized rows live in lifecycle.
    Column("service_types", JSONB, nullable=False),
    Column("attributes", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

devices = Table(
    "devices",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", String(255), nullable=False, index=True),
    Column("template_id", Uuid, nullable=False, index=True),
    Column("instance_id", String(255)),
    Column("mgmt_address", String(255)),
    Column("kwargs", JSONB, nullable=False),
    Column("service_contexts", JSONB, nullable=False),
    Column("services", JSONB, nullable=False, server_default="[]"),
    Column("status", String(32), nullable=False, index=True),
    Column("error_reason", Text),
    # Revision of the last lifecycle snapshot applied; older snapshots are ignored.
    Column("revision", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

outbox = outbox_table(metadata)
processed_messages = inbox_table(metadata)
