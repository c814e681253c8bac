"""Tables of the scheduler schema: its own view of templates and devices, fed by events."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Uuid, func
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
    Column("revision", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

outbox = outbox_table(metadata)
processed_messages = inbox_table(metadata)
