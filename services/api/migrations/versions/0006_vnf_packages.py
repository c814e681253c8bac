"""vnf_packages (ETSI SOL005 VNF package management)

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    jsonb = postgresql.JSONB(astext_type=sa.Text())
    op.create_table(
        "vnf_packages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=255), nullable=False),
        sa.Column("onboarding_state", sa.String(length=16), nullable=False),
        sa.Column("operational_state", sa.String(length=16), nullable=False),
        sa.Column("usage_state", sa.String(length=16), nullable=False),
        sa.Column("user_defined_data", jsonb, nullable=False),
        sa.Column("vnfd_id", sa.String(length=255), nullable=True),
        sa.Column("vnf_provider", sa.String(length=255), nullable=True),
        sa.Column("vnf_product_name", sa.String(length=255), nullable=True),
        sa.Column("vnf_software_version", sa.String(length=255), nullable=True),
        sa.Column("vnfd_version", sa.String(length=255), nullable=True),
        sa.Column("checksum", jsonb, nullable=True),
        sa.Column("software_images", jsonb, server_default="[]", nullable=False),
        sa.Column("additional_artifacts", jsonb, server_default="[]", nullable=False),
        sa.Column("onboarding_failure_details", jsonb, nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("upload", sa.Integer(), server_default="0", nullable=False),
        sa.Column("vnfd", jsonb, nullable=True),
        sa.Column("vdu_templates", jsonb, server_default="{}", nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id"),
        schema="api",
    )
    op.create_index(
        op.f("ix_api_vnf_packages_tenant_id"),
        "vnf_packages",
        ["tenant_id"],
        unique=False,
        schema="api",
    )
    op.create_index(
        "vnf_packages_one_onboarded_vnfd",
        "vnf_packages",
        ["tenant_id", "vnfd_id"],
        unique=True,
        schema="api",
        postgresql_where=sa.text("onboarding_state = 'ONBOARDED'"),
    )


def downgrade() -> None:
    op.drop_index("vnf_packages_one_onboarded_vnfd", table_name="vnf_packages", schema="api")
    op.drop_index(op.f("ix_api_vnf_packages_tenant_id"), table_name="vnf_packages", schema="api")
    op.drop_table("vnf_packages", schema="api")
