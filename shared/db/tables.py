"""Tables every service has in its own schema: the outbox and the inbox (and, for a
service whose operations run long, the resource leases)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    LargeBinary,
    MetaData,
    Sequence,
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


def outbox_channel(schema: str) -> str:
    """The LISTEN/NOTIFY channel on which a commit wakes the schema's relay."""
    return f"servicevm_outbox_{schema}"


def outbox_notify_ddl(schema: str) -> tuple[list[str], list[str]]:
    """(upgrade, downgrade) statements for the trigger that woke the schema's relay.

    A statement-level trigger sent one NOTIFY per INSERT into the outbox; Postgres delivers
    it at commit, so the relay woke only for rows it could already read. Dropped since (each
    service's ``outbox_wakeup`` migration): a NOTIFY with every commit serialized them all,
    and a commit now wakes the relay itself (``db.relay_wakeup``).
    """
    channel = outbox_channel(schema)
    upgrade = [
        f"""
        CREATE OR REPLACE FUNCTION {schema}.notify_outbox() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{channel}', '');
            RETURN NULL;
        END $$
        """,
        f"""
        CREATE TRIGGER outbox_notify AFTER INSERT ON {schema}.outbox
        FOR EACH STATEMENT EXECUTE FUNCTION {schema}.notify_outbox()
        """,
    ]
    downgrade = [
        f"DROP TRIGGER IF EXISTS outbox_notify ON {schema}.outbox",
        f"DROP FUNCTION IF EXISTS {schema}.notify_outbox()",
    ]
    return upgrade, downgrade


def lease_table(metadata: MetaData) -> Table:
    """Who runs the operation on a resource right now (one row per busy subject).

    ``token`` comes from a sequence, so a lease taken over (or taken again after a release)
    always carries a larger token than any earlier holder's: a stale holder's fenced
    transaction finds its token gone and is refused. ``envelope`` is the message being
    handled, kept so that a replica can resume the operation when its holder died after the
    message was settled (handed off).
    """
    schema = metadata.schema
    tokens = Sequence("resource_lease_tokens", metadata=metadata, schema=schema)
    return Table(
        "resource_leases",
        metadata,
        Column("subject", String(255), primary_key=True),
        Column("owner", String(255), nullable=False),
        Column("token", BigInteger, tokens, nullable=False, server_default=tokens.next_value()),
        Column("expires_at", DateTime(timezone=True), nullable=False),
        Column("message_id", Uuid, nullable=False),
        Column("envelope", LargeBinary, nullable=False),
        Column("acquired_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
