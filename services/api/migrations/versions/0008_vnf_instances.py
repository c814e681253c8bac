"""vnf_instances and vnf_lcm_op_occs (ETSI SOL003 VNF lifecycle management)

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FINAL = "operation_state NOT IN ('COMPLETED', 'FAILED', 'ROLLED_BACK')"


def upgrade() -> None:
    jsonb = postgresql.JSONB(astext_type=sa.Text())
    op.create_table(
        "vnf_instances",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("vnfd_id", sa.String(length=255), nullable=False),
        sa.Column("vnf_provider", sa.String(length=255), nullable=False),
        sa.Column("vnf_product_name", sa.String(length=255), nullable=False),
        sa.Column("vnf_software_version", sa.String(length=255), nullable=False),
        sa.Column("vnfd_version", sa.String(length=255), nullable=False),
        sa.Column("vnf_package_id", sa.Uuid(), nullable=False),
        sa.Column("instantiation_state", sa.String(length=32), nullable=False),
        sa.Column("vnf_metadata", jsonb, server_default="{}", nullable=False),
        sa.Column("extensions", jsonb, server_default="{}", nullable=False),
        sa.Column("vnf_configurable_properties", jsonb, server_default="{}", nullable=False),
        sa.Column("vim_connection_info", jsonb, server_default="[]", nullable=False),
        sa.Column("instantiated_vnf_info", jsonb, nullable=True),
        sa.Column("revision", sa.Integer(), server_default="0", nullable=False),
        sa.Column("operation_in_progress", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id"),
        schema="api",
    )
    for column in ("tenant_id", "vnf_package_id"):
        op.create_index(
            op.f(f"ix_api_vnf_instances_{column}"), "vnf_instances", [column], schema="api"
        )
    op.create_table(
        "vnf_lcm_op_occs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=255), nullable=False),
        sa.Column("vnf_instance_id", sa.Uuid(), nullable=False),
        sa.Column("operation", sa.String(length=32), nullable=False),
        sa.Column("operation_state", sa.String(length=32), nullable=False),
        sa.Column("is_automatic_invocation", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("operation_params", jsonb, server_default="{}", nullable=False),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state_entered_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_cancel_pending", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("cancel_mode", sa.String(length=16), nullable=True),
        sa.Column("affected_vnfcs", jsonb, server_default="[]", nullable=False),
        sa.Column("changed_info", jsonb, nullable=True),
        sa.Column("changed_ext_connectivity", jsonb, nullable=True),
        sa.Column("error", jsonb, nullable=True),
        sa.Column("revision", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id"),
        schema="api",
    )
    for column in ("tenant_id", "vnf_instance_id"):
        op.create_index(
            op.f(f"ix_api_vnf_lcm_op_occs_{column}"), "vnf_lcm_op_occs", [column], schema="api"
        )
    op.create_index(
        "vnf_lcm_op_occs_one_unfinished_per_vnf",
        "vnf_lcm_op_occs",
        ["vnf_instance_id"],
        unique=True,
        schema="api",
        postgresql_where=sa.text(FINAL),
    )


def downgrade() -> None:
    op.drop_index(
        "vnf_lcm_op_occs_one_unfinished_per_vnf", table_name="vnf_lcm_op_occs", schema="api"
    )
    for column in ("tenant_id", "vnf_instance_id"):
        op.drop_index(
            op.f(f"ix_api_vnf_lcm_op_occs_{column}"), table_name="vnf_lcm_op_occs", schema="api"
        )
    op.drop_table("vnf_lcm_op_occs", schema="api")
    for column in ("tenant_id", "vnf_package_id"):
        op.drop_index(
            op.f(f"ix_api_vnf_instances_{column}"), table_name="vnf_instances", schema="api"
        )
    op.drop_table("vnf_instances", schema="api")
