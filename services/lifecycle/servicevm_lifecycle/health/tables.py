"""The respawns lifecycle started, counted per template to rate-limit them."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Identity, Index, Table, Uuid, func

from servicevm_lifecycle.adapters.orm import metadata

respawns = Table(
    "respawns",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("template_id", Uuid, nullable=False),
    Column("device_id", Uuid, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("respawns_by_template", "template_id", "started_at"),
)
