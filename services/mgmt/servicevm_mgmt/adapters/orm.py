"""Tables of the mgmt schema."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, String, Table, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB

from shared.db.tables import inbox_table, outbox_table

metadata = MetaData(schema="mgmt")

# The devices mgmt has configured, and with what.
managed_devices = Table(
    "managed_devices",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", String(255), nullable=False),
    Column("mgmt_driver", String(255), nullable=False),
    Column("mgmt_address", String(255)),
    Column("configuration", JSONB, nullable=False),
    # The template's attributes: the management driver's parameters.
    Column("parameters", JSONB, nullable=False, server_default="{}"),
    Column("configured_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

outbox = outbox_table(metadata)
processed_messages = inbox_table(metadata)
