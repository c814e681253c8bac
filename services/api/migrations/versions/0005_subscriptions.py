"""subscriptions, as clients see them (no secret)

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
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
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id"),
        schema="api",
    )
    op.create_index(
        op.f("ix_api_subscriptions_tenant_id"),
        "subscriptions",
        ["tenant_id"],
        unique=False,
        schema="api",
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_api_subscriptions_tenant_id"), table_name="subscriptions", schema="api")
    op.drop_table("subscriptions", schema="api")
