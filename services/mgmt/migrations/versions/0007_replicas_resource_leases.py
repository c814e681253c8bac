"""resource leases: one configuration per device across replicas

Revision ID: 0006_replicas
Revises: 0005
Create Date: 2026-11-30 14:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007_replicas'
down_revision: str | None = '0006_notif'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(sa.schema.CreateSequence(sa.Sequence('resource_lease_tokens', schema='mgmt')))
    op.create_table(
        'resource_leases',
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('owner', sa.String(length=255), nullable=False),
        sa.Column(
            'token',
            sa.BigInteger(),
            server_default=sa.text("nextval('mgmt.resource_lease_tokens')"),
            nullable=False,
        ),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('message_id', sa.Uuid(), nullable=False),
        sa.Column('envelope', sa.LargeBinary(), nullable=False),
        sa.Column('acquired_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('subject'),
        schema='mgmt',
    )


def downgrade() -> None:
    op.drop_table('resource_leases', schema='mgmt')
    op.execute(sa.schema.DropSequence(sa.Sequence('resource_lease_tokens', schema='mgmt')))
