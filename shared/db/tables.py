"""Tables every service has in its own schema: the outbox and the inbox."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    LargeBinary,
    MetaData,
    String,
    Table,
    Uuid,
    func,
)


def outbox_table(metadata: MetaData) -> Table:
    """Messages written in the same transaction as the state change they announce."""
    return Table(
        "outbox",
        metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("message_id", Uuid, nullable=False, unique=True),
        Column("exchange", String(255), nullable=False),
        Column("routing_key", String(255), nullable=False),
        Column("message_type", String(255), nullable=False),
        Column("correlation_id", String(255), nullable=False),
        Column("body", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


def inbox_table(metadata: MetaData) -> Table:
    """Ids of the messages this service has processed, so a redelivery changes nothing."""
    return Table(
        "processed_messages",
        metadata,
        Column("message_id", Uuid, primary_key=True),
        Column("message_type", String(255), nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
