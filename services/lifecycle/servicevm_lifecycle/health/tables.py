"""The respawns lifecycle started, counted per template to rate-limit them."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Identity, Index, String, Table, Uuid, func

from servicevm_lifecycle.adapters.orm import metadata

respawns = Table(
    "respawns",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("template_id", Uuid, nullable=False),
    Column("device_id", Uuid, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # The health message that started it and the instance it replaces: a redelivery of
    # that message (lifecycle died mid-respawn) resumes it, knowing what is old and new.
    Column("message_id", Uuid),
    Column("replaced_instance_id", String(255)),
    Index("respawns_by_template", "template_id", "started_at"),
    Index("respawns_by_device", "device_id"),
)
