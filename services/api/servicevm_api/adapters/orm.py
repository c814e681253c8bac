"""Tables of the api schema: the gateway's query model, kept current by events."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
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
    Column("vim_id", Uuid, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# The catalogue clients pick a service_type_id from (GET /v1.0/service_types).
service_types = Table(
    "service_types",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column(
        "template_id",
        Uuid,
        ForeignKey("device_templates.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("tenant_id", String(255), nullable=False),
    Column("service_type", String(255), nullable=False, index=True),
)

devices = Table(
    "devices",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", String(255), nullable=False),
    Column("template_id", Uuid, nullable=False, index=True),
    Column("instance_id", String(255)),
    Column("mgmt_address", String(255)),
    Column("kwargs", JSONB, nullable=False),
    Column("service_contexts", JSONB, nullable=False),
    Column("services", JSONB, nullable=False, server_default="[]"),
    Column("status", String(32), nullable=False, index=True),
    Column("error_reason", Text),
    Column("host", String(255), index=True),
    Column("availability_zone", String(255), index=True),
    Column("vim_id", Uuid, index=True),
    # Slots, from the scheduler's capacity events (None until the first one).
    Column("slot_capacity", Integer),
    Column("slots_used", Integer, nullable=False, server_default="0"),
    Column("capacity_revision", Integer, nullable=False, server_default="0"),
    # Its health monitors as mgmt last reported them (None: not monitored, or all healthy
    # since it was configured).
    Column("monitors", JSONB),
    # Revision of the last lifecycle snapshot applied; older snapshots are ignored.
    Column("revision", Integer, nullable=False),
    # When the api itself wrote a PENDING_* status (its command not yet answered); cleared
    # by the owner's first snapshot. Past the deadline the row ends in ERROR (jobs.deadlines).
    Column("pending_since", DateTime(timezone=True), index=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # A project's list is read in id order after the marker (keyset paging).
    Index("ix_api_devices_tenant_id_id", "tenant_id", "id"),
)

service_instances = Table(
    "service_instances",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", String(255), nullable=False, index=True),
    Column("name", String(255), nullable=False),
    Column("service_type_id", Uuid, nullable=False, index=True),
    Column("service_table_id", String(255)),
    Column("mgmt_driver", String(255)),
    Column("mgmt_address", String(255)),
    Column("service_contexts", JSONB, nullable=False),
    # ServiceDeviceBinding: the devices hosting it, from the scheduler's snapshots.
    Column("devices", JSONB, nullable=False, server_default="[]"),
    Column("kwargs", JSONB, nullable=False),
    Column("managed_by_user", Boolean, nullable=False),
    Column("status", String(32), nullable=False, index=True),
    Column("error_reason", Text),
    Column("revision", Integer, nullable=False),
    # When the api itself wrote a PENDING_* status (its command not yet answered); cleared
    # by the owner's first snapshot. Past the deadline the row ends in ERROR (jobs.deadlines).
    Column("pending_since", DateTime(timezone=True), index=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# VIMs as clients see them: no secret here (lifecycle holds it, encrypted).
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
    Column("is_default", Boolean, nullable=False),
    Column("status", String(32), nullable=False),
    Column("status_reason", Text),
    # Revision of the last check applied (lifecycle's vim.status_changed).
    Column("status_revision", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index(
        "vims_one_default_per_tenant",
        "tenant_id",
        unique=True,
        postgresql_where=text("is_default"),
    ),
)

# Subscriptions as clients see them: no secret here (mgmt holds it, encrypted).
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
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# SOL003 subscriptions (/vnflcm/v1/subscriptions): the filter as given, no secret (mgmt has
# it), a fingerprint of callbackUri + filter for duplicates (303), and the delivery state
# mgmt reports (``state_revision``: the last report applied).
lccn_subscriptions = Table(
    "lccn_subscriptions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", String(255), nullable=False),
    Column("callback_uri", Text, nullable=False),
    Column("filter", JSONB, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("auth_type", String(16), nullable=False),
    Column("pending", Integer, nullable=False, server_default="0"),
    Column("undeliverable", Integer, nullable=False, server_default="0"),
    Column("oldest_undelivered_at", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("undeliverable_ids", JSONB, nullable=False, server_default="[]"),
    Column("state_revision", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("tenant_id", "fingerprint"),
)

# VNF packages (ETSI SOL005, /vnfpkgm/v1): the api owns them, as it owns templates. The
# VNF LCM side reads ``vnfd`` (shared.vnfd.model.Vnfd as JSON) and ``vdu_templates``
# ({flavour_id: {vdu_id: device template id}}) of an ONBOARDED package to instantiate.
vnf_packages = Table(
    "vnf_packages",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", String(255), nullable=False, index=True),
    Column("onboarding_state", String(16), nullable=False),
    Column("operational_state", String(16), nullable=False),
    Column("usage_state", String(16), nullable=False),
    Column("user_defined_data", JSONB, nullable=False),
    Column("vnfd_id", String(255)),
    Column("vnf_provider", String(255)),
    Column("vnf_product_name", String(255)),
    Column("vnf_software_version", String(255)),
    Column("vnfd_version", String(255)),
    Column("checksum", JSONB),
    Column("software_images", JSONB, nullable=False, server_default="[]"),
    Column("additional_artifacts", JSONB, nullable=False, server_default="[]"),
    Column("onboarding_failure_details", JSONB),
    # The CSAR zip as uploaded; kept for GET package_content, vnfd and artifacts.
    Column("content", LargeBinary),
    # Which upload the content is: a redelivered onboarding command of an older one is stale.
    Column("upload", Integer, nullable=False, server_default="0"),
    Column("vnfd", JSONB),
    Column("vdu_templates", JSONB, nullable=False, server_default="{}"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # One ONBOARDED package per VNFD per project: instances name packages by vnfdId.
    Index(
        "vnf_packages_one_onboarded_vnfd",
        "tenant_id",
        "vnfd_id",
        unique=True,
        postgresql_where=text("onboarding_state = 'ONBOARDED'"),
    ),
)

# SOL003 VNF instances: the record the api owns, and the projection of lifecycle's
# instantiatedVnfInfo (``revision`` of the last vnf_instance.changed applied).
vnf_instances = Table(
    "vnf_instances",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", String(255), nullable=False, index=True),
    Column("name", String(255)),
    Column("description", Text),
    Column("vnfd_id", String(255), nullable=False),
    Column("vnf_provider", String(255), nullable=False),
    Column("vnf_product_name", String(255), nullable=False),
    Column("vnf_software_version", String(255), nullable=False),
    Column("vnfd_version", String(255), nullable=False),
    Column("vnf_package_id", Uuid, nullable=False, index=True),
    Column("instantiation_state", String(32), nullable=False),
    Column("vnf_metadata", JSONB, nullable=False, server_default="{}"),
    Column("extensions", JSONB, nullable=False, server_default="{}"),
    Column("vnf_configurable_properties", JSONB, nullable=False, server_default="{}"),
    Column("vim_connection_info", JSONB, nullable=False, server_default="[]"),
    Column("instantiated_vnf_info", JSONB),
    Column("revision", Integer, nullable=False, server_default="0"),
    # The op occ not yet in a final state, if any (409 to any other task meanwhile).
    Column("operation_in_progress", Uuid),
    # Bumped by every change of the rendered record: the ETag.
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# SOL003 VnfLcmOpOcc, created STARTING by the api, later states from lifecycle's events.
vnf_lcm_op_occs = Table(
    "vnf_lcm_op_occs",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tenant_id", String(255), nullable=False, index=True),
    Column("vnf_instance_id", Uuid, nullable=False, index=True),
    Column("operation", String(32), nullable=False),
    Column("operation_state", String(32), nullable=False),
    Column("is_automatic_invocation", Boolean, nullable=False, server_default="false"),
    Column("operation_params", JSONB, nullable=False, server_default="{}"),
    Column("start_time", DateTime(timezone=True), nullable=False),
    Column("state_entered_time", DateTime(timezone=True), nullable=False),
    Column("is_cancel_pending", Boolean, nullable=False, server_default="false"),
    Column("cancel_mode", String(16)),
    Column("affected_vnfcs", JSONB, nullable=False, server_default="[]"),
    Column("changed_info", JSONB),
    Column("changed_ext_connectivity", JSONB),
    Column("error", JSONB),
    Column("revision", Integer, nullable=False, server_default="0"),
    # SOL003 grantId: the external NFVO's Grant of the op (NULL: granted locally).
    Column("grant_id", String(255)),
    # When the api itself put it in a running state (STARTING, or PROCESSING / ROLLING_BACK
    # on a retry or rollback) and lifecycle has not answered yet (jobs.deadlines).
    Column("pending_since", DateTime(timezone=True), index=True),
    # At most one unfinished op occ per VNF, whatever the number of api replicas.
    Index(
        "vnf_lcm_op_occs_one_unfinished_per_vnf",
        "vnf_instance_id",
        unique=True,
        postgresql_where=text("operation_state NOT IN ('COMPLETED', 'FAILED', 'ROLLED_BACK')"),
    ),
)

outbox = outbox_table(metadata)
processed_messages = inbox_table(metadata)
