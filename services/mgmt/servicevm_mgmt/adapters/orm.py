"""Tables of the mgmt schema."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from shared.db.tables import inbox_table, lease_table, outbox_table

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

# HTTP subscriptions to notifications; the secret only as a Fernet token.
subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", String(255), nullable=False, index=True),
    Column("callback_uri", Text, nullable=False),
    Column("event_types", JSONB, nullable=False),
    Column("resource_types", JSONB, nullable=False),
    Column("all_projects", Boolean, nullable=False),
    Column("auth_type", String(16), nullable=False),
    Column("auth_username", String(255)),
    Column("encrypted_secret", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # "servicevm" (/v1.0/subscriptions) or "vnflcm" (SOL003, /vnflcm/v1/subscriptions: its
    # filter in lccn_filter, event_types and resource_types empty).
    Column("kind", String(16), nullable=False, server_default="servicevm"),
    Column("lccn_filter", JSONB),
    # OAuth2 client credentials: where the token is fetched (client id in auth_username).
    Column("token_endpoint", Text),
    # The delivery state last reported to the api, and the revision of that report.
    Column("state_revision", Integer, nullable=False, server_default="0"),
    Column("reported_state", JSONB),
)

# The VNF instances of the api, as SOL003 subscription filters match them.
vnf_records = Table(
    "vnf_records",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", String(255), nullable=False),
    Column("name", String(255)),
    Column("vnfd_id", String(255), nullable=False),
    Column("vnf_provider", String(255), nullable=False),
    Column("vnf_product_name", String(255), nullable=False),
    Column("vnf_software_version", String(255), nullable=False),
    Column("vnfd_version", String(255), nullable=False),
)

# The last state notified of each op occ (and the revision it came with): a re-announced
# or late snapshot is not notified again, and a VNF's notices are taken one at a time.
vnf_op_notices = Table(
    "vnf_op_notices",
    metadata,
    Column("op_occ_id", Uuid, primary_key=True),
    Column("vnf_instance_id", Uuid, nullable=False, index=True),
    Column("operation_state", String(32), nullable=False),
    Column("revision", Integer, nullable=False),
)

# The HTTP outbox: one row per notification per matching subscription, written with the
# notification; deleted once delivered, kept with failed_at when given up.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column(
        "subscription_id",
        Uuid,
        ForeignKey("mgmt.subscriptions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("notification_id", Uuid, nullable=False),
    Column("event_type", String(255), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # A deliverer is sending it until then; afterwards another may (its process died).
    Column("leased_until", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("failed_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("subscription_id", "notification_id"),
    # The pending deliveries of each subscription, in order.
    Index(
        "deliveries_pending",
        "subscription_id",
        "id",
        postgresql_where=text("failed_at IS NULL"),
    ),
)

outbox = outbox_table(metadata)
processed_messages = inbox_table(metadata)
# Who handles a device's (or instance's) message now: a driver is never run twice at once.
resource_leases = lease_table(metadata)
