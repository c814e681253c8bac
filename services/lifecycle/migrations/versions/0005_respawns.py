"""respawns of dead devices

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'respawns',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('template_id', sa.Uuid(), nullable=False),
        sa.Column('device_id', sa.Uuid(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        schema='lifecycle',
    )
    op.create_index('respawns_by_template', 'respawns', ['template_id', 'started_at'], unique=False, schema='lifecycle')


def downgrade() -> None:
    op.drop_index('respawns_by_template', table_name='respawns', schema='lifecycle')
    op.drop_table('respawns', schema='lifecycle')
