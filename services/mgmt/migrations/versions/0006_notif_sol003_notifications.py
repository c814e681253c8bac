"""SOL003 subscriptions beside servicevm's own, their delivery state, and what mgmt knows
of VNF instances and op occs to notify them

Revision ID: 0006_notif
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006_notif"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "subscriptions",
        sa.Column("kind", sa.String(length=16), server_default="servicevm", nullable=False),
        schema="mgmt",
    )
    op.add_column(
        "subscriptions",
        sa.Column("lccn_filter", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        schema="mgmt",
    )
    op.add_column("subscriptions", sa.Column("token_endpoint", sa.Text()), schema="mgmt")
    op.add_column(
        "subscriptions",
        sa.Column("state_revision", sa.Integer(), server_default="0", nullable=False),
        schema="mgmt",
    )
    op.add_column(
        "subscriptions",
        sa.Column("reported_state", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        schema="mgmt",
    )
    op.create_table(
        "vnf_records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("vnfd_id", sa.String(length=255), nullable=False),
        sa.Column("vnf_provider", sa.String(length=255), nullable=False),
        sa.Column("vnf_product_name", sa.String(length=255), nullable=False),
        sa.Column("vnf_software_version", sa.String(length=255), nullable=False),
        sa.Column("vnfd_version", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        schema="mgmt",
    )
    op.create_table(
        "vnf_op_notices",
        sa.Column("op_occ_id", sa.Uuid(), nullable=False),
        sa.Column("vnf_instance_id", sa.Uuid(), nullable=False),
        sa.Column("operation_state", sa.String(length=32), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("op_occ_id"),
        schema="mgmt",
    )
    op.create_index(
        "ix_mgmt_vnf_op_notices_vnf_instance_id",
        "vnf_op_notices",
        ["vnf_instance_id"],
        schema="mgmt",
    )


def downgrade() -> None:
    op.drop_index(
        "ix_mgmt_vnf_op_notices_vnf_instance_id", table_name="vnf_op_notices", schema="mgmt"
    )
    op.drop_table("vnf_op_notices", schema="mgmt")
    op.drop_table("vnf_records", schema="mgmt")
    for column in ("reported_state", "state_revision", "token_endpoint", "lccn_filter", "kind"):
        op.drop_column("subscriptions", column, schema="mgmt")
