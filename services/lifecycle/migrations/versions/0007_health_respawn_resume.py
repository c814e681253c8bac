"""respawns remember the message that started them and the instance they replace

Revision ID: 0006_health
Revises: 0005
Create Date: 2026-11-30 14:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007_health'
down_revision: str | None = '0006_nfvo'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('respawns', sa.Column('message_id', sa.Uuid(), nullable=True), schema='lifecycle')
    op.add_column(
        'respawns', sa.Column('replaced_instance_id', sa.String(255), nullable=True), schema='lifecycle'
    )
    op.create_index('respawns_by_device', 'respawns', ['device_id'], unique=False, schema='lifecycle')


def downgrade() -> None:
    op.drop_index('respawns_by_device', table_name='respawns', schema='lifecycle')
    op.drop_column('respawns', 'replaced_instance_id', schema='lifecycle')
    op.drop_column('respawns', 'message_id', schema='lifecycle')
