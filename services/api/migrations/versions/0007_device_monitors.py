"""health monitors of devices

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('devices', sa.Column('monitors', postgresql.JSONB(astext_type=sa.Text()), nullable=True), schema='api')


def downgrade() -> None:
    op.drop_column('devices', 'monitors', schema='api')
