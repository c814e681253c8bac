"""Tables of the lifecycle schema."""

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

metadata = MetaData(schema="lifecycle")

device_templates = Table(
    "device_templates",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", String(255), nullable=False, index=True),
    Column("name", String(255), nullable=False),
    Column("description", String(255), nullable=False),
    Column("device_driver", String(255), nullable=False),
    Column("mgmt_driver", String(255), nullable=False),
    # No foreign key, as for a device's template: lifecycle refuses to delete a VIM in use.
    Column("vim_id", Uuid, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

service_types = Table(
    "service_types",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column(
        "template_id", Uuid, ForeignKey("device_templates.id", ondelete="CASCADE"), nullable=False
    ),
    Column("service_type", String(255), nullable=False),
    UniqueConstraint("template_id", "service_type"),
)

device_template_attributes = Table(
    "device_template_attributes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "template_id", Uuid, ForeignKey("device_templates.id", ondelete="CASCADE"), nullable=False
    ),
    Column("key", String(255), nullable=False),
    Column("value", Text, nullable=False),
    UniqueConstraint("template_id", "key"),
)

devices = Table(
    "devices",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", String(255), nullable=False, index=True),
    # No foreign key: a device whose template vanished is still recorded (in ERROR) and deletable.
    Column("template_id", Uuid, nullable=False, index=True),
    Column("instance_id", String(255)),
    Column("mgmt_address", String(255)),
    Column("host", String(255)),
    Column("availability_zone", String(255)),
    Column("vim_id", Uuid, index=True),
    Column("kwargs", JSONB, nullable=False),
    Column("status", String(32), nullable=False, index=True),
    Column("error_reason", Text),
    Column("revision", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

device_service_contexts = Table(
    "device_service_contexts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "device_id", Uuid, ForeignKey("devices.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("position", Integer, nullable=False),
    Column("network_id", Uuid),
    Column("subnet_id", Uuid),
    Column("port_id", Uuid),
    Column("router_id", Uuid),
    Column("role", String(255)),
    Column("index", Integer),
)

# Cloud accounts the nova and heat drivers build in. ``encrypted_secret`` is a Fernet token
# (shared.secrets); it is decrypted only to build a driver's DeviceSpec.vim or to check it.
vims = Table(
    "vims",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", String(255), nullable=False, index=True),
    Column("name", String(255), nullable=False),
    Column("description", String(255), nullable=False),
    Column("type", String(32), nullable=False),
    Column("auth_url", String(255), nullable=False),
    Column("region_name", String(255)),
    Column("project_name", String(255)),
    Column("project_domain_name", String(255)),
    Column("project_id", String(255)),
    Column("user_name", String(255)),
    Column("user_domain_name", String(255)),
    Column("application_credential_id", String(255)),
    Column("encrypted_secret", Text, nullable=False),
    Column("is_default", Boolean, nullable=False),
    Column("status", String(32), nullable=False),
    Column("status_reason", Text),
    # Increases at every check, so the api's view keeps the latest status.
    Column("revision", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # At most one default VIM per project.
    Index(
        "vims_one_default_per_tenant",
        "tenant_id",
        unique=True,
        postgresql_where=text("is_default"),
    ),
)

# --- VNF lifecycle management (vnflcm/) ----------------------------------------------------

# The VNF aggregate: lifecycle's side of a VNF instance (the api owns its name, metadata,
# ...). ``flavour`` is the VnfFlavourSpec JSON it was instantiated with.
vnf_instances = Table(
    "vnf_instances",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", String(255), nullable=False, index=True),
    Column("instantiation_state", String(32), nullable=False),
    Column("flavour", JSONB),
    Column("instantiation_level_id", String(255)),
    Column("scale_status", JSONB, nullable=False),
    Column("vnf_state", String(16)),
    Column("vim_id", Uuid),
    Column("ext_virtual_links", JSONB, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# One row per VNFC: the device behind it (replaced by heal), its power state (operate).
vnfcs = Table(
    "vnfcs",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column(
        "vnf_instance_id",
        Uuid,
        ForeignKey("vnf_instances.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("vdu_id", String(255), nullable=False),
    # No foreign key: the device row goes when the driver confirms, the VNFC with it.
    Column("device_id", Uuid, nullable=False, unique=True),
    Column("power_state", String(16), nullable=False),
    # Creation order, for scale-in (the newest go first).
    Column("seq", BigInteger, Identity(), nullable=False),
)

# Operation occurrences with their plan: ``steps`` (and ``rollback_steps``) are JSON lists
# of domain Steps, each a device action with its device id and status.
vnf_lcm_op_occs = Table(
    "vnf_lcm_op_occs",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column(
        "vnf_instance_id",
        Uuid,
        ForeignKey("vnf_instances.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("tenant_id", String(255), nullable=False),
    Column("operation", String(32), nullable=False),
    Column("state", String(32), nullable=False, index=True),
    Column("operation_params", JSONB, nullable=False),
    Column("is_automatic_invocation", Boolean, nullable=False),
    Column("start_time", DateTime(timezone=True), nullable=False),
    Column("state_entered_time", DateTime(timezone=True), nullable=False),
    Column("steps", JSONB, nullable=False),
    Column("rollback_steps", JSONB, nullable=False),
    Column("rolling_back", Boolean, nullable=False),
    Column("target", JSONB, nullable=False),
    Column("cancel_requested", Boolean, nullable=False),
    Column("cancel_mode", String(16)),
    Column("error", JSONB),
    Column("changed_info", JSONB),
    Column("changed_ext_connectivity", JSONB),
    # PROCESSING / ROLLING_BACK past this: the deadline job ends it FAILED_TEMP.
    Column("deadline", DateTime(timezone=True), index=True),
    Column("revision", Integer, nullable=False),
    # The NFVO's grant (external NFVO mode; NULL: granted locally), and until when one
    # worker holds it to ask or poll the NFVO (a crashed worker's hold runs out).
    Column("nfvo_grant", JSONB),
    Column("grant_claimed_until", DateTime(timezone=True)),
)

outbox = outbox_table(metadata)
processed_messages = inbox_table(metadata)
# Who runs the operation on a device (or template, VIM, VNF) now: replicas share the work.
resource_leases = lease_table(metadata)
