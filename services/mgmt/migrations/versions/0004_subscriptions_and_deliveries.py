"""HTTP subscriptions, and deliveries: the outbox of HTTP notifications

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.String(length=255), nullable=False),
        sa.Column("callback_uri", sa.Text(), nullable=False),
        sa.Column("event_types", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("resource_types", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("all_projects", sa.Boolean(), nullable=False),
        sa.Column("auth_type", sa.String(length=16), nullable=False),
        sa.Column("auth_username", sa.String(length=255), nullable=True),
        sa.Column("encrypted_secret", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id"),
        schema="mgmt",
    )
    op.create_index(
        op.f("ix_mgmt_subscriptions_tenant_id"),
        "subscriptions",
        ["tenant_id"],
        unique=False,
        schema="mgmt",
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=255), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"], ["mgmt.subscriptions.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subscription_id", "notification_id"),
        schema="mgmt",
    )
    op.create_index(
        "deliveries_pending",
        "deliveries",
        ["subscription_id", "id"],
        unique=False,
        schema="mgmt",
        postgresql_where=sa.text("failed_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("deliveries_pending", table_name="deliveries", schema="mgmt")
    op.drop_table("deliveries", schema="mgmt")
    op.drop_index(op.f("ix_mgmt_subscriptions_tenant_id"), table_name="subscriptions", schema="mgmt")
    op.drop_table("subscriptions", schema="mgmt")
